"""``kehu mail-in``: read a team mailbox's unseen messages over IMAP into tickets (see kehu.service.mailin.imap)."""

from __future__ import annotations

import imaplib
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = ("Read the unseen messages of an IMAP mailbox into tickets (new ones, or replies threaded to theirs); each "
            "message is marked seen after it is committed, so a run cut off resumes without duplicates. Defaults "
            "come from the KEHU_MAILIN_* settings.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="IMAP server (default KEHU_MAILIN_HOST).")
        parser.add_argument("--port", type=int, default=None, help="Port (default KEHU_MAILIN_PORT, or 143/993).")
        parser.add_argument("--user", default=None, help="Login (default KEHU_MAILIN_USER).")
        parser.add_argument("--password-env", default=None, metavar="VAR",
                            help="The environment variable holding the password (default: KEHU_MAILIN_PASSWORD).")
        parser.add_argument("--mailbox", default=None, help="Mailbox (default KEHU_MAILIN_MAILBOX, INBOX).")
        security = parser.add_mutually_exclusive_group()
        security.add_argument("--ssl", dest="security", action="store_const", const="ssl", help="IMAP over TLS.")
        security.add_argument("--starttls", dest="security", action="store_const", const="starttls",
                              help="Plain IMAP upgraded with STARTTLS.")
        security.add_argument("--plain", dest="security", action="store_const", const="none",
                              help="No encryption (a local server only).")
        parser.add_argument("--limit", type=int, default=None, help="At most this many messages (default 100).")
        parser.add_argument("--team", default=None,
                            help="A team's address for messages sent to no team's address (default KEHU_MAILIN_TEAM).")

    def handle(self, *args: Any, **options: Any) -> None:
        from kehu.service.mailin.imap import mail_fetch, team_by_address

        host = options["host"] or settings.KEHU_MAILIN_HOST
        if not host:
            raise CommandError("--host is required (or set KEHU_MAILIN_HOST).")
        security = options["security"] or settings.KEHU_MAILIN_SECURITY
        if security not in {"ssl", "starttls", "none"}:
            raise CommandError("KEHU_MAILIN_SECURITY must be ssl, starttls or none.")
        port = options["port"] or (settings.KEHU_MAILIN_PORT if not options["host"] else
                                   (993 if security == "ssl" else 143))
        if options["password_env"]:
            if options["password_env"] not in os.environ:
                raise CommandError(f"--password-env: the environment variable {options['password_env']} is not set.")
            password = os.environ[options["password_env"]]
        else:
            password = settings.KEHU_MAILIN_PASSWORD
        limit = options["limit"] if options["limit"] is not None else settings.KEHU_MAILIN_LIMIT
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        team_address = options["team"] if options["team"] is not None else settings.KEHU_MAILIN_TEAM
        team = team_by_address(team_address)
        if team_address and team is None:
            raise CommandError(f"--team: no active service team has the address {team_address}.")
        try:
            counts = mail_fetch(host=host, port=port, user=options["user"] or settings.KEHU_MAILIN_USER,
                                password=password, mailbox=options["mailbox"] or settings.KEHU_MAILIN_MAILBOX,
                                security=security, limit=limit, default_team=team)
        except (imaplib.IMAP4.error, OSError) as error:
            raise CommandError(f"IMAP: {error}") from None
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
