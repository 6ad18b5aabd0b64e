"""The /api/docs page with the Swagger UI files bundled in django-ninja's wheel, never from a CDN.

ninja's own ``Swagger`` falls back to a CDN page when ``ninja`` is not an installed app; this one always renders the
local template, so a missing ``"ninja"`` in ``INSTALLED_APPS`` fails loudly instead of loading third-party code.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger, _csrf_needed

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    template = "ninja/swagger.html"
    # no call to swagger.io's online validator either
    default_settings = {**Swagger.default_settings, "validatorUrl": None}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, self.template, context)
