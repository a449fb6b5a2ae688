"""The API's JSON parser: size and nesting are checked before the body is parsed, so a
hostile body is a 400/413 with a reason instead of a RecursionError (a 500) or a body
read into memory whole. Limits: API_JSON_MAX_BYTES (256 KiB) and API_JSON_MAX_DEPTH (32;
the deepest valid request nests 3 levels)."""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from profiledesk.intake.json_limits import JSONLimitError, loads_limited


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_JSON_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(_("The JSON body is larger than %(max)d bytes.") % {"max": limit})
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(_("The body is not UTF-8 text.")) from None
        try:
            return loads_limited(text, max_depth=settings.API_JSON_MAX_DEPTH)
        except JSONLimitError as error:
            raise ParseError(str(error)) from None
        except ValueError as error:
            raise ParseError(
                _("The body is not valid JSON: %(error)s") % {"error": error}
            ) from None
