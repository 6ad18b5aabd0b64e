"""Checking uploaded attachments: a size limit and an allow-list of types recognised from the content (the first
bytes), not from the name or the browser's claim."""

from __future__ import annotations

import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# (magic bytes, type, the extensions it may carry)
_SIGNATURES: list[tuple[bytes, str, tuple[str, ...]]] = [
    (b"%PDF-", "application/pdf", ("pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", ("png",)),
    (b"\xff\xd8\xff", "image/jpeg", ("jpg", "jpeg")),
    (b"GIF87a", "image/gif", ("gif",)),
    (b"GIF89a", "image/gif", ("gif",)),
]
_OFFICE = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",)),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",)),
}
ALLOWED_DESCRIPTION = "PDF, PNG, JPEG, GIF, DOCX, XLSX, PPTX, TXT"


def max_bytes() -> int:
    return int(getattr(settings, "KEHU_ATTACHMENT_MAX_MB", 10)) * 1024 * 1024


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:  # a multi-byte character cut at the end of the sample is fine
        return error.start >= len(head) - 3
    return True


def sniff(upload: Any) -> str:
    """The content type of an uploaded file if it is allowed, else ``ValidationError``. Checks the size, then the
    type from the content, and that the name's extension matches it."""
    name = str(getattr(upload, "name", "") or "")
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise ValidationError(_("The file is empty."))
    if size > max_bytes():
        raise ValidationError(_("The file is larger than %(limit)d MB.") % {"limit": max_bytes() // (1024 * 1024)})
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    extension = _extension(name)
    for magic, content_type, extensions in _SIGNATURES:
        if head.startswith(magic):
            if extension not in extensions:
                break
            return content_type
    else:
        if head.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(upload) as archive:
                    members = archive.namelist()
            except (zipfile.BadZipFile, OSError, ValueError):
                members = []
            upload.seek(0)
            for prefix, (content_type, extensions) in _OFFICE.items():
                if any(member.startswith(prefix) for member in members) and extension in extensions:
                    return content_type
        elif extension == "txt" and _is_text(head):
            return "text/plain"
    raise ValidationError(_("This type of file is not accepted (allowed: %(types)s), or its name does not match "
                            "its content.") % {"types": ALLOWED_DESCRIPTION})


def clean_name(name: str) -> str:
    """The user's file name without directories or control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(char for char in base if char.isprintable() and char not in '"<>|:*?')
    return (base or "file")[:200]
