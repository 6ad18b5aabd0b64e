"""`kehu serve`'s gunicorn writes query strings to its access log without their values (phones, ID numbers, names)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kehu.access_log import redact_query, redact_urls

PHONE = "13800138000"
ID_NUMBER = "11010519850315246X"


@pytest.mark.parametrize(("query", "expected"), [
    (f"phone={PHONE}", "phone=***"),
    ("q=138+0013+8000&page=2", "q=***&page=2"),
    (f"mobile=&id_number={ID_NUMBER}&name=%E5%BC%A0%E4%B8%89", "mobile=&id_number=***&name=***"),
    (PHONE, "***"),
    ("", ""),
])
def test_query_values_are_redacted(query, expected):
    assert redact_query(query) == expected


def test_urls_in_a_request_line_and_a_message_are_redacted():
    assert redact_urls(f"GET /api/customers/lookup?phone={PHONE} HTTP/1.1") == \
        "GET /api/customers/lookup?phone=*** HTTP/1.1"
    assert redact_urls(f"Error handling request /customers/?q={ID_NUMBER}") == \
        "Error handling request /customers/?q=***"
    assert redact_urls("no query here") == "no query here"


@pytest.fixture
def serve_argv(monkeypatch):
    """The gunicorn command line ``kehu serve`` builds (migrate, collectstatic and the server itself stubbed)."""
    import django.core.management
    import gunicorn.app.wsgiapp

    from kehu import cli

    captured: list[str] = []
    monkeypatch.setattr(django.core.management, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(gunicorn.app.wsgiapp, "run", lambda: captured.extend(sys.argv))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    assert cli.main(["serve", "--no-migrate", "--host", "127.0.0.1", "--port", "0", "--workers", "1"]) == 0
    return captured


def test_kehu_serve_configures_the_redacting_logger(serve_argv):
    index = serve_argv.index("--logger-class")
    assert serve_argv[index + 1] == "kehu.access_log.RedactingLogger"
    assert "--access-logfile" in serve_argv


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_server_logs_no_phone_or_id_number_from_query_strings(serve_argv, tmp_path):
    """Run gunicorn with the command line of ``kehu serve`` and read what its access log wrote."""
    port = _free_port()
    argv = [*serve_argv[1:]]
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "KEHU_DEBUG": "1", "KEHU_VAR_DIR": str(tmp_path), "KEHU_DATABASE_URL": "",
           "DJANGO_SETTINGS_MODULE": "kehu.settings", "PYTHONPATH": src}
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", *argv], stdout=output, stderr=subprocess.STDOUT,
                                  env=env, cwd=tmp_path)
        try:
            base = f"http://127.0.0.1:{port}"
            for _attempt in range(300):  # wait until the worker answers
                try:
                    _get(f"{base}/login/")
                    break
                except OSError:
                    if server.poll() is not None:
                        break
                    time.sleep(0.1)
            assert _get(f"{base}/api/customers/lookup?phone={PHONE}") == 401
            assert _get(f"{base}/customers/?q={ID_NUMBER}&page=2",
                        Referer=f"{base}/customers/?q=138%200013%208000") in (200, 302)
            assert _get(f"{base}/imports/export/?mobile={PHONE}&id_number={ID_NUMBER}") in (200, 302)
        finally:
            server.terminate()
            server.wait(timeout=30)
    written = log.read_text(encoding="utf-8", errors="replace")
    assert "GET /api/customers/lookup?phone=*** HTTP/1.1" in written, written
    assert "GET /customers/?q=***&page=2 HTTP/1.1" in written and "/customers/?q=***" in written
    assert "/imports/export/?mobile=***&id_number=***" in written
    for secret in (PHONE, ID_NUMBER, "0013"):
        assert secret not in written
