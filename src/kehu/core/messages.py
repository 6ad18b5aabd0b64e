"""Messages stored as a code with parameters and shown in the reader's language.

A text stored in the language of whoever caused it (an import's row problems, written in the importer's language)
reads wrongly to a colleague using the other language. Instead, store what to say and say it when it is read:

    from django.utils.translation import gettext_noop as N_
    from kehu.core.messages import problem

    raise FieldError(problem(N_("Longer than %(max)d characters."), max=40))

``problem(code, **params)`` returns a :class:`Message`: a ``str`` (the text in the active language, so code that
treats it as text keeps working) that also carries its ``code`` (the English message, marked with ``gettext_noop``
so ``makemessages`` collects it), optional ``context`` (msgctxt) and ``params``. :meth:`Message.as_json` gives what to
store (a JSON column next to the text); :func:`render` says it again in the active language. A parameter that is
itself translatable (a lazy field label, another :class:`Message`) is stored as its code and translated too; other
parameters are stored as they are (numbers, text from the user's file).

Old rows without the JSON keep their text as written (:func:`render` falls back to it).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext


def _translated_message(code: str, context: str | None, params: dict[str, Any] | None) -> str:
    text = pgettext(context, code) if context else gettext(code)
    if params:
        try:
            return text % {name: _param_text(value) for name, value in params.items()}
        except (KeyError, TypeError, ValueError):  # a translation naming a parameter differently
            return code % {name: _param_text(value) for name, value in params.items()}
    return text


def _param_text(value: Any) -> Any:
    if isinstance(value, dict) and "code" in value:
        return _translated_message(value["code"], value.get("context"), value.get("params"))
    return value


def _param_json(value: Any) -> Any:
    """A parameter as stored: a translatable one as its code, a number as it is, anything else as text."""
    if isinstance(value, Message):
        return value.as_json()
    if isinstance(value, Promise):
        args: tuple[Any, ...] = getattr(value, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):  # gettext_lazy(message)
            return {"code": args[0]}
        if len(args) == 2 and all(isinstance(arg, str) for arg in args):  # pgettext_lazy(context, message)
            return {"code": args[1], "context": args[0]}
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


class Message(str):
    """A message in the active language that remembers its code and parameters (see the module's docstring)."""

    code: str
    context: str | None
    params: dict[str, Any]

    def __new__(cls, code: str, params: dict[str, Any] | None = None, context: str | None = None) -> Message:
        stored = {name: _param_json(value) for name, value in (params or {}).items()}
        message = super().__new__(cls, _translated_message(code, context, stored))
        message.code, message.context, message.params = code, context, stored
        return message

    def __reduce__(self) -> Any:  # rows are prepared in other processes: keep the code when pickled
        return (_restore, (str(self), self.code, self.params, self.context))

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code}
        if self.context:
            data["context"] = self.context
        if self.params:
            data["params"] = self.params
        return data


class _Template(Message):
    """What :func:`gettext_message` returns: ``%`` with a dict of parameters gives the :class:`Message`."""

    def __mod__(self, params: Any) -> Any:
        if isinstance(params, dict):
            return Message(self.code, params, self.context)
        return str(self) % params

    def __reduce__(self) -> Any:
        return (_restore, (str(self), self.code, self.params, self.context))


def gettext_message(code: str) -> str:
    """A drop-in for ``gettext`` in modules whose texts are stored (``from kehu.core.messages import gettext_message as
    _``): ``_("Text %(x)s") % {"x": value}`` is the text in the active language that remembers its code and
    parameters. ``makemessages`` collects these calls as usual."""
    return _Template(code)


def _restore(text: str, code: str, params: dict[str, Any], context: str | None) -> Message:
    message = str.__new__(Message, text)
    message.code, message.context, message.params = code, context, params
    return message


def problem(code: str, /, context: str | None = None, **params: Any) -> Message:
    """A message to store: ``code`` is the English text (mark it with ``gettext_noop``), ``params`` its parameters."""
    return Message(code, params, context)


def from_validation_error(error: ValidationError) -> str:
    """The first message of a ``ValidationError`` as a :class:`Message` when it was raised with a lazy message and
    parameters (Django's and Kehu's validators do), else its text."""
    for item in error.error_list if hasattr(error, "error_list") else [error]:
        message = item.message
        args: tuple[Any, ...] = getattr(message, "_args", ())
        if isinstance(message, Promise) and len(args) == 1 and isinstance(args[0], str):
            return Message(args[0], item.params or {})
        if isinstance(message, Promise) and len(args) == 2 and all(isinstance(arg, str) for arg in args):
            return Message(args[1], item.params or {}, args[0])
        text = str(message)
        return text % item.params if item.params else text
    return ""


def message_json(text: Any) -> dict[str, Any] | None:
    """What to store for a text that may be a :class:`Message` (None for plain text)."""
    return text.as_json() if isinstance(text, Message) else None


def render(data: dict[str, Any] | None, fallback: str = "") -> str:
    """A stored message in the active language; ``fallback`` (the text as first written) when nothing was stored."""
    if not data or not isinstance(data, dict) or not isinstance(data.get("code"), str):
        return fallback
    return _translated_message(data["code"], data.get("context"), data.get("params"))


def as_stored_text(text: str, max_length: int) -> str:
    """What to store in a text column for ``text``: a :class:`Message` as compact JSON (read back by
    :func:`stored_text` in each reader's language) when it fits in ``max_length``, else the text as it reads now."""
    if isinstance(text, Message):
        import json

        stored = json.dumps(text.as_json(), ensure_ascii=False, separators=(",", ":"))
        if len(stored) <= max_length:
            return stored
    return str(text)[:max_length]


def stored_text(value: Any) -> str:
    """A text column's value in the active language: a system text stored as its English message is translated, a
    :class:`Message` stored as JSON (:func:`as_stored_text`) is rendered, anything else is shown as it is."""
    if value in (None, ""):
        return ""
    text = str(value)
    if text.startswith('{"code"'):
        import json

        try:
            return render(json.loads(text), text)
        except ValueError:
            return text
    return gettext(text)
