"""E-mail in: a team with an address, messages built with the standard library, a local IMAP responder and an SMTP
server (aiosmtpd) that captures what Kehu sends."""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
import socketserver
import threading
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

TEAM_ADDRESS = "support@kehu.test"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def team(org, users):
    from kehu.service.models import ServiceTeam

    team = ServiceTeam.objects.create(name="上海一店客服", branch=org["sh1"], email="Support@Kehu.test")
    team.members.add(users["service_agent"])
    return team


def make_mail(*, sender: str = "李四 <lisi@example.cn>", to: str = TEAM_ADDRESS, subject: str = "发票开错了",
              body: str | None = "发票抬头写错了，请重开。", html: str | None = None, message_id: str | None = None,
              in_reply_to: str = "", references: str = "", attachments: list[tuple[str, bytes, str]] = (),
              cc: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.cn")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def sign(body: bytes, secret: str = "s3cret-shared") -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _ImapHandler(socketserver.StreamRequestHandler):
    """Just enough IMAP4rev1 for imaplib: CAPABILITY, LOGIN, SELECT, SEARCH UNSEEN, FETCH (BODY.PEEK[] / RFC822),
    STORE +FLAGS (\\Seen), CLOSE, LOGOUT, NOOP."""

    def _send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode())

    def handle(self) -> None:
        box = self.server.box  # type: ignore[attr-defined]
        self._send("* OK [CAPABILITY IMAP4rev1] test server ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            parts = line.decode().strip().split(" ", 2)
            tag, command = parts[0], (parts[1].upper() if len(parts) > 1 else "")
            args = parts[2] if len(parts) > 2 else ""
            box.commands.append(command)
            if command == "CAPABILITY":
                self._send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n")
            elif command == "LOGIN":
                user, password = [item.strip('"') for item in args.split(" ", 1)]
                ok = (user, password) == (box.user, box.password)
                self._send(f"{tag} OK logged in\r\n" if ok else f"{tag} NO wrong password\r\n")
            elif command == "SELECT":
                self._send(f"* {len(box.messages)} EXISTS\r\n* 0 RECENT\r\n{tag} OK [READ-WRITE] selected\r\n")
            elif command == "SEARCH":
                unseen = [str(i + 1) for i, item in enumerate(box.messages) if not item["seen"]]
                self._send(f"* SEARCH {' '.join(unseen)}\r\n{tag} OK done\r\n".replace("SEARCH \r", "SEARCH\r"))
            elif command == "FETCH":
                number, what = args.split(" ", 1)
                item = box.messages[int(number) - 1]
                if "RFC822" in what.upper() and "PEEK" not in what.upper():
                    item["seen"] = True
                raw = item["raw"]
                self._send(f"* {number} FETCH (BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
                self._send(f"{tag} OK fetched\r\n")
            elif command == "STORE":
                number = args.split(" ", 1)[0]
                if box.fail_store_after is not None and box.stored >= box.fail_store_after:
                    self._send(f"{tag} NO store failed\r\n")
                    continue
                box.messages[int(number) - 1]["seen"] = True
                box.stored += 1
                self._send(f"* {number} FETCH (FLAGS (\\Seen))\r\n{tag} OK stored\r\n")
            elif command in {"CLOSE", "NOOP"}:
                self._send(f"{tag} OK done\r\n")
            elif command == "LOGOUT":
                self._send(f"* BYE\r\n{tag} OK bye\r\n")
                return
            else:
                self._send(f"{tag} BAD unknown command\r\n")


class ImapBox:
    def __init__(self) -> None:
        self.user, self.password = "support", "imap-pass"
        self.messages: list[dict] = []
        self.commands: list[str] = []
        self.fail_store_after: int | None = None
        self.stored = 0

    def add(self, raw: bytes) -> None:
        self.messages.append({"raw": raw, "seen": False})


@pytest.fixture
def imap_server():
    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), _ImapHandler)
    server.box = ImapBox()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server(settings):
    """aiosmtpd on a free local port; Django's SMTP backend pointed at it; ``.messages`` the raw bytes received."""
    from aiosmtpd.controller import Controller

    class Capture:
        def __init__(self) -> None:
            self.messages: list[bytes] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append(envelope.original_content or envelope.content)
            return "250 OK"

    handler = Capture()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


def header_ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")
