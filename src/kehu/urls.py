"""URL map: the staff UI at ``/``, configuration at ``/admin/``, the REST API at ``/api/``."""

from django.contrib import admin
from django.urls import include, path

from kehu.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("kehu.home.urls")),
    path("", include("kehu.org.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("imports/", include("kehu.imports.urls")),
    path("purchases/", include("kehu.purchases.urls")),
    path("value/", include("kehu.scoring.urls")),
    path("work/", include("kehu.work.urls")),
    path("relations/", include("kehu.relations.urls")),
    path("sales/", include("kehu.sales.urls")),
    path("loyalty/", include("kehu.loyalty.urls")),
    path("service/", include("kehu.service.urls")),
    path("s/", include("kehu.service.surveys.public_urls")),  # the public satisfaction survey page
]
