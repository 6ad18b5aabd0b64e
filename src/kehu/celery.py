"""Celery application. Run a worker with ``kehu worker`` (or ``celery -A kehu worker``) and beat with ``kehu beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

app = Celery("kehu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
