"""POST /inbound/email/: the inbound-parse webhook of the e-mail provider.

Signed with HMAC-SHA256 over the raw body (signature.py); nothing is parsed before the
signature is checked. Answers JSON: 201 a new ticket, 200 a redelivery of one already
made (the same Message-ID, or the same signed request replayed: InboundDelivery), 403 a
missing/bad/stale signature, 413 too large, 422 no client addressed.
"""

import logging
from io import BytesIO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from profiledesk.accounts.access import public

from .parsing import from_form
from .services import InboundError, email_ingest
from .signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify

logger = logging.getLogger(__name__)


def _too_large() -> JsonResponse:
    return JsonResponse({"detail": _("The e-mail is too large.")}, status=413)


def _form(request: HttpRequest, raw: bytes) -> tuple[QueryDict, MultiValueDict]:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        parser = MultiPartParser(request.META, BytesIO(raw), request.upload_handlers, "utf-8")
        return parser.parse()
    if content_type.startswith("application/x-www-form-urlencoded"):
        return QueryDict(raw, encoding="utf-8"), MultiValueDict()
    raise MultiPartParserError("unsupported content type")


@public
@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest) -> JsonResponse:
    limit = settings.INBOUND_EMAIL_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _too_large()
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return _too_large()
    try:
        request_hash = verify(
            raw,
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
        )
    except SignatureError as error:
        return JsonResponse({"detail": str(error)}, status=403)
    try:
        data, files = _form(request, raw)
    except MultiPartParserError:
        return JsonResponse({"detail": _("Post the e-mail as multipart/form-data.")}, status=400)
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        return _too_large()
    message = from_form(data, files)
    try:
        ingested = email_ingest(message=message, request_hash=request_hash)
    except InboundError as error:
        logger.warning("inbound e-mail refused: %s", error)
        return JsonResponse({"detail": str(error)}, status=422)
    return JsonResponse(
        {
            "ticket": ingested.ticket.reference,
            "customer_matched": ingested.matched,
            "duplicate": not ingested.created,
        },
        status=201 if ingested.created else 200,
    )
