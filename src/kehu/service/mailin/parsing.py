"""Reading an RFC 822 message with the standard library (``email.policy.default``): the addresses, the subject, the
text (HTML-only mail through a stripper that keeps only the text), the threading headers and the attachments."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ATTACHMENTS = 10
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,246}>")
_TICKET_TAG = re.compile(r"\[T(\d{7,12})\]")


@dataclass
class Attachment:
    name: str
    content: bytes


@dataclass
class ParsedMail:
    message_id: str
    sender: str
    sender_name: str
    recipients: list[str]
    subject: str
    body: str
    in_reply_to: str
    references: list[str]
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this message answers, the direct parent first."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references))
        return list(dict.fromkeys(ids))[:50]

    @property
    def ticket_number(self) -> int | None:
        """The ticket id named in the subject as ``[T0000123]``, else None."""
        found = _TICKET_TAG.search(self.subject)
        return int(found.group(1)) if found else None


class _TextExtractor(HTMLParser):
    """Only the text of an HTML body: scripts, styles and every tag and attribute dropped, block ends as lines."""

    _SKIP = {"script", "style", "head", "title", "template"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _clean(text: str) -> str:
    """No NUL or other control characters but line breaks and tabs."""
    return "".join(char for char in text if char in "\n\t" or char.isprintable() or char == "\r").replace("\r", "")


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a malformed header the parser cannot fold
        return ""
    return _clean(str(value or "")).strip()


def _ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    return content if isinstance(content, str) else ""


def message_id_for(raw: bytes, header_value: str) -> str:
    """The message's own Message-ID, or one made from the digest of its bytes (the same bytes, the same id)."""
    found = _ids(header_value)
    if found:
        return found[0]
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@kehu.invalid>"


def parse(raw: bytes) -> ParsedMail:
    """The parts of a message that make or thread a ticket; ``ValidationError`` when it is not an e-mail (no
    sender's address)."""
    message = message_from_bytes(raw, policy=default_policy)
    sender_name, sender = parseaddr(_header(message, "From"))
    sender = sender.strip().lower()
    if "@" not in sender or len(sender) > 254 or any(char.isspace() for char in sender):
        raise ValidationError(_("This is not an e-mail message: it has no sender's address."))
    recipients: list[str] = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for _display, address in getaddresses([_header(message, name)]):
            address = address.strip().lower()
            if "@" in address and address not in recipients:
                recipients.append(address)
    subject = " ".join(_header(message, "Subject").split())[:200]
    plain, html = "", ""
    attachments: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition == "attachment" or (filename and disposition != "inline") or (
                filename and part.get_content_maintype() not in {"text"}):
            if len(attachments) < MAX_ATTACHMENTS:
                payload = part.get_payload(decode=True)
                attachments.append(Attachment(name=_clean(filename or "file").strip() or "file",
                                              content=payload if isinstance(payload, bytes) else b""))
            continue
        if part.get_content_type() == "text/plain" and not plain:
            plain = _part_text(part)
        elif part.get_content_type() == "text/html" and not html:
            html = _part_text(part)
    body = plain if plain.strip() else html_to_text(html)
    return ParsedMail(
        message_id=message_id_for(raw, _header(message, "Message-ID")),
        sender=sender,
        sender_name=_clean(sender_name).strip()[:100],
        recipients=recipients,
        subject=subject,
        body=_clean(body).strip()[:50000],
        in_reply_to=(_ids(_header(message, "In-Reply-To")) or [""])[0],
        references=_ids(_header(message, "References")),
        attachments=attachments,
    )

