"""The scoring router on an API built like the project's (token and session auth, the one error shape), for as long
as ``kehu.api.api`` does not mount it yet (see ``tests/scoring/test_api.py``)."""

from django.urls import path

from kehu.api.auth import SessionAuth, TokenAuth
from kehu.api.base import KehuNinjaAPI
from kehu.api.errors import register_exception_handlers
from kehu.scoring.api import router

api = KehuNinjaAPI(title="Kehu scoring (tests)", version="tests", urls_namespace="scoring_tests_api",
                   auth=[TokenAuth(), SessionAuth()])
register_exception_handlers(api)
api.add_router("/scoring", router, url_name_prefix="tests_")

urlpatterns = [path("api/", api.urls)]
