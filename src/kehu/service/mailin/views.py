"""E-mail attachments of tickets, served to users who may see the ticket (another branch's: 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from ..models import TicketAttachment
from . import selectors


@login_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        attachment = selectors.attachment_get(user=request.user, pk=pk)  # type: ignore[arg-type]
    except TicketAttachment.DoesNotExist:
        raise Http404(_("No such file.")) from None
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("No such file.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
