from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kehu.api"
    verbose_name = "API"
