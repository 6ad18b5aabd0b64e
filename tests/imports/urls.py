"""The project's URLs with the imports app mounted at /imports/ (as the lead mounts it in kehu/urls.py)."""

from django.urls import include, path

from kehu.urls import urlpatterns as project_urlpatterns

_mounted = any(getattr(pattern, "namespace", None) == "imports" for pattern in project_urlpatterns)
urlpatterns = list(project_urlpatterns) if _mounted else [path("imports/", include("kehu.imports.urls")),
                                                          *project_urlpatterns]
