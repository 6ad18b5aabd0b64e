"""The gunicorn logger of ``kehu serve``: query strings are written without their values.

Query strings carry personal data: the phone lookup (``?phone=``), the search box and the API's ``q`` (a phone, an ID
number, a name), the duplicate check (``?mobile=…&id_number=…``). Gunicorn's access log writes them in the request
line (``%(r)s``), the query (``%(q)s``), the referring page (``%(f)s``) and, in its error log, the URI of a request
that failed. This logger keeps the path and the parameters' names and replaces every value by ``***`` (numbers of up
to 4 digits, such as ``page=2``, stay), so the log still tells which page was asked for and with which parameters.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "***"
_KEPT_VALUE = re.compile(r"\d{1,4}")
# a URL's query: from "?" to the end of the URL (a space ends the URL in a request line)
_QUERY = re.compile(r"\?([^\s\"]*)")
# atoms holding a URL or a request line; headers and environment variables that can hold one
_URL_ATOMS = ("r", "q", "f")
_URL_HEADERS = ("{referer}i", "{hx-current-url}i", "{raw_uri}e", "{query_string}e", "{http_referer}e",
                "{http_hx_current_url}e", "{request_uri}e")


def redact_query(query: str) -> str:
    """``phone=13800138000&page=2`` → ``phone=***&page=2``."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if not equals:
            parts.append(REDACTED if name and not _KEPT_VALUE.fullmatch(name) else name)
        else:
            parts.append(f"{name}={value if not value or _KEPT_VALUE.fullmatch(value) else REDACTED}")
    return "&".join(parts)


def redact_urls(text: str) -> str:
    """Every URL's query in ``text`` (a request line, a referer, a message) redacted."""
    if not text or "?" not in text:
        return text
    return _QUERY.sub(lambda match: "?" + redact_query(match.group(1)), text)


class RedactingLogger(Logger):
    """Gunicorn's logger with the values of query strings redacted (``--logger-class``, see the module)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in _URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_query(atoms[key]) if key == "q" else redact_urls(atoms[key])
        for key in _URL_HEADERS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_query(atoms[key]) if key == "{query_string}e" else redact_urls(atoms[key])
        return atoms

    def _redacted(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(redact_urls(arg) if isinstance(arg, str) else arg for arg in args)

    # the error log names the URI of a request that failed ("Error handling request /api/…?phone=…")
    def critical(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().critical(redact_urls(msg) if isinstance(msg, str) else msg, *self._redacted(args), **kwargs)

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().error(redact_urls(msg) if isinstance(msg, str) else msg, *self._redacted(args), **kwargs)

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().warning(redact_urls(msg) if isinstance(msg, str) else msg, *self._redacted(args), **kwargs)

    def info(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().info(redact_urls(msg) if isinstance(msg, str) else msg, *self._redacted(args), **kwargs)

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().debug(redact_urls(msg) if isinstance(msg, str) else msg, *self._redacted(args), **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().exception(redact_urls(msg) if isinstance(msg, str) else msg, *self._redacted(args), **kwargs)
