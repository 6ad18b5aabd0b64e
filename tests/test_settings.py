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
    # (help needs no key: tests/test_cli_help.py)
    result = subprocess.run([sys.executable, "-m", "kehu.cli", "import", "customers", "customers.csv"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("kehu: KEHU_SECRET_KEY must be set") and "Traceback" not in result.stderr


def test_with_redis_the_cache_is_shared_by_every_process():
    """A scoring run in a worker clears the tier choices that the web processes cache: with Redis configured they
    share one cache (checked here with two processes and the real Redis)."""
    import uuid

    import pytest
    import redis

    from tests.conftest import redis_test_db

    url = f"redis://127.0.0.1:6379/{redis_test_db()}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    key = f"test-{uuid.uuid4().hex}"
    environment = {"KEHU_SECRET_KEY": "x" * 50, "KEHU_REDIS_URL": url, "DJANGO_SETTINGS_MODULE": "kehu.settings"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))} | environment

    def run(code: str) -> str:
        result = subprocess.run([sys.executable, "-c", "import django; django.setup(); "
                                 "from django.core.cache import cache; " + code],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    run(f"cache.set({key!r}, 'tiers', 60)")
    assert run(f"print(cache.get({key!r}))") == "tiers"
    run(f"cache.delete({key!r})")
    assert run(f"print(cache.get({key!r}))") == "None"
