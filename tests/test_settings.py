"""Configuration from the environment, checked in a fresh interpreter so the test process's settings don't leak."""

import os
import subprocess
import sys


def load_settings(**environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    env.update(environment)
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
        "'name': str(settings.DATABASES['default']['NAME']), 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
        "'broker': settings.CELERY_BROKER_URL, 'hosts': settings.ALLOWED_HOSTS, 'tz': settings.TIME_ZONE, "
        "'language': settings.LANGUAGE_CODE, 'debug': settings.DEBUG}))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_production_refuses_the_default_secret_key():
    result = load_settings()
    assert result.returncode != 0
    assert "KEHU_SECRET_KEY must be set" in result.stderr


def test_production_with_a_secret_key_and_postgres_and_redis(tmp_path):
    import json

    result = load_settings(
        KEHU_SECRET_KEY="x" * 50, KEHU_DATABASE_URL="postgres://kehu@db.example:5432/crm",
        KEHU_REDIS_URL="redis://127.0.0.1:6379/3", KEHU_ALLOWED_HOSTS="crm.example.cn, intranet",
        KEHU_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "crm"
    assert values["eager"] is False and values["broker"] == "redis://127.0.0.1:6379/3"
    assert values["hosts"] == ["crm.example.cn", "intranet"]
    assert (values["tz"], values["language"], values["debug"]) == ("Asia/Shanghai", "zh-hans", False)


def test_development_defaults_to_embedded_sqlite_and_eager_jobs(tmp_path):
    import json

    result = load_settings(KEHU_DEBUG="1", KEHU_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "kehu.sqlite3")
    assert values["eager"] is True and values["debug"] is True


def test_the_kehu_command_reports_a_missing_secret_key_without_a_traceback():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    result = subprocess.run([sys.executable, "-m", "kehu.cli", "import", "--help"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("kehu: KEHU_SECRET_KEY must be set") and "Traceback" not in result.stderr
