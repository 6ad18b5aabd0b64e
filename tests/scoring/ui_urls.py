"""The project's URLs plus the customer value pages, for as long as ``kehu.urls`` does not include them yet."""

from django.urls import include, path

from kehu.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("scoring/", include("kehu.scoring.urls"))]
