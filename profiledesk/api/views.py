"""REST API v1 for client systems (apps, web forms, chatbots): submit a change request,
read its status; a thin connector's receiver fetches an event's values. JSON only;
authenticated by a client's API key (`Authorization: Bearer`).
"""

import math
import re
import uuid
from typing import NoReturn

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from profiledesk.accounts.access import public
from profiledesk.assertions.services import AssertionRefused, assertion_refusal_record
from profiledesk.connectors.thin import FetchRefused, thin_event_fetch
from profiledesk.tickets.models import Ticket
from profiledesk.tickets.services import TicketError

from .access import get_ticket_for_api_client
from .authentication import ApiKeyAuthentication, HasApiKey
from .changes import capture_form, changes_errors
from .models import ApiKey
from .parsers import LimitedJSONParser
from .serializers import (
    ChangeRequestCreateSerializer,
    ChangeRequestStatusSerializer,
    ErrorSerializer,
    EventSerializer,
    ValidationErrorSerializer,
)
from .services import (
    IdempotencyConflict,
    change_request_replay,
    change_request_submit,
    request_fingerprint,
)
from .throttling import CreateRateThrottle, ReadRateThrottle

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PATTERN = r"^[!-~]{1,255}$"  # printable ASCII, no spaces, at most 255
REFERENCE_PATTERN = r"^PD-[0-9]{6,}$"

_401 = OpenApiResponse(ErrorSerializer, description="Missing, invalid or revoked API key.")
_404 = OpenApiResponse(ErrorSerializer, description="No change request of yours has it.")
_429 = OpenApiResponse(
    ErrorSerializer,
    description="Too many requests with this API key; retry after `Retry-After` seconds.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[429],
    required=True,
    description="Seconds to wait before the next request with this API key.",
)


def status_payload(ticket: Ticket) -> dict:
    """What a client system may know of a ticket: where it is, and its changes masked."""
    return {
        "reference": ticket.reference,
        "state": ticket.state,
        "category": ticket.category,
        "channel": ticket.channel,
        "customer": ticket.customer.number if ticket.customer else None,
        "created_at": ticket.created_at,
        "sla_due_at": ticket.sla_due_at,
        "items": [
            {
                "section": item.section,
                "field": item.field,
                "label": item.label,
                "old_value": item.old_display,
                # Masked when the item was captured (intake.capture), as the desk shows it.
                "new_value": item.new_display,
            }
            for item in ticket.items.all()
        ],
    }


def _api_key(request: Request) -> ApiKey:
    """The caller's key: HasApiKey lets no request without one reach a view."""
    key = request.auth
    assert isinstance(key, ApiKey)
    return key


def assertion_refused(request: Request, *, api_key: ApiKey, refusal: AssertionRefused) -> Response:
    """A refused app assertion: audited (never the token), and answered with its reason;
    the request's transaction has rolled back, so no ticket was opened."""
    assertion_refusal_record(
        client=api_key.client,
        refusal=refusal,
        api_key_prefix=api_key.prefix,
        request=request._request,
    )
    if refusal.status == status.HTTP_401_UNAUTHORIZED:
        return Response(
            {"detail": str(refusal), "reason": refusal.reason},
            status=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": ApiKeyAuthentication().authenticate_header(request)},
        )
    return Response(
        {"assertion": [str(refusal)], "reason": refusal.reason},
        status=status.HTTP_400_BAD_REQUEST,
    )


class ApiView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        seconds = max(1, math.ceil(wait or 1))
        error = Throttled(
            detail=ngettext(
                "Too many requests with this API key. Try again in %(seconds)d second.",
                "Too many requests with this API key. Try again in %(seconds)d seconds.",
                seconds,
            )
            % {"seconds": seconds}
        )
        # Becomes the Retry-After header (set after: given to __init__, it would add DRF's own
        # sentence to the message). DRF sets `wait` in __init__; its stubs leave it out.
        error.wait = seconds  # type: ignore[attr-defined]
        raise error


class ChangeRequestCreate(ApiView):
    throttle_classes = [CreateRateThrottle]

    @extend_schema(
        operation_id="change_request_create",
        summary="Submit a change request",
        description=(
            "Opens a ticket on the desk. Every request needs an `Idempotency-Key`: a retry "
            "with the same key and the same body returns the ticket the first request made "
            "(200) instead of opening another (an `assertion` in it is not checked or spent "
            "again); the same key with a different body is refused (422). Keys are scoped "
            "to your client and remembered for 7 days (the desk's API_IDEMPOTENCY_DAYS): a "
            "retry after that opens a new ticket. The customer's identity is verified by the "
            "desk before anything changes, or by your app's signed `assertion` (docs/api.md)."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                {"type": "string", "pattern": IDEMPOTENCY_PATTERN, "maxLength": 255},
                OpenApiParameter.HEADER,
                required=True,
                description="A unique key per request, such as a UUID; reuse it to retry.",
            ),
            RETRY_AFTER,
        ],
        request=ChangeRequestCreateSerializer,
        responses={
            201: OpenApiResponse(ChangeRequestStatusSerializer, description="Ticket opened."),
            200: OpenApiResponse(
                ChangeRequestStatusSerializer,
                description="A retry: the ticket the first request with this key opened.",
            ),
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description=(
                    "Invalid body or Idempotency-Key, or an `assertion` refused (`reason`: "
                    "expired, too_long_lived, too_old, stale_sign_in, wrong_audience, "
                    "other_customer, replayed, no_assurance, missing_claim, invalid_claim, "
                    "malformed, …): no ticket is opened."
                ),
            ),
            401: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "Missing, invalid or revoked API key; or an `assertion` whose signature "
                    "or key is refused (`reason`: bad_signature, unknown_key, "
                    "algorithm_refused): no ticket is opened."
                ),
            ),
            415: OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
            422: OpenApiResponse(
                ErrorSerializer, description="Idempotency-Key reused with a different body."
            ),
            429: _429,
        },
        examples=[
            OpenApiExample(
                "New e-mail address",
                request_only=True,
                value={
                    "customer": "NWE-0001234",
                    "channel": "app",
                    "category": "contact",
                    "changes": {"email": "grace@example.com"},
                    "summary": "Customer changed their e-mail in the app",
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if not re.fullmatch(IDEMPOTENCY_PATTERN, key):
            return Response(
                {
                    "detail": _(
                        "Send an Idempotency-Key header: 1 to 255 printable characters "
                        "without spaces, unique for each request."
                    )
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        api_key = _api_key(request)
        client = api_key.client
        fingerprint = request_fingerprint(request.data)
        try:
            submission = change_request_replay(client=client, key=key, fingerprint=fingerprint)
            if submission is None:
                serializer = ChangeRequestCreateSerializer(
                    data=request.data, context={"client": client}
                )
                serializer.is_valid(raise_exception=True)  # JSON shape
                data = serializer.validated_data
                # The values: the desk's own capture form of the category.
                form = capture_form(
                    client=client,
                    category=data["category"],
                    changes=data["changes"],
                    customer=data.get("customer"),
                )
                errors = changes_errors(form=form, changes=data["changes"])
                if errors:
                    return Response({"changes": errors}, status=status.HTTP_400_BAD_REQUEST)
                submission = change_request_submit(
                    api_key=api_key,
                    key=key,
                    fingerprint=fingerprint,
                    data=data,
                    cleaned_data=form.cleaned_data,
                )
        except AssertionRefused as refusal:
            return assertion_refused(request, api_key=api_key, refusal=refusal)
        except IdempotencyConflict as error:
            return Response({"detail": str(error)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        except TicketError as error:
            return Response({"non_field_errors": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        except DjangoValidationError as error:  # capture: nothing to change, vault refusal
            return Response(
                {"changes": {"non_field_errors": error.messages}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        ticket = submission.ticket
        location = reverse("api:change_request", kwargs={"reference": ticket.reference})
        if submission.created:
            return Response(
                status_payload(ticket),
                status=status.HTTP_201_CREATED,
                headers={"Location": location},
            )
        return Response(
            status_payload(ticket),
            status=status.HTTP_200_OK,
            headers={"Location": location, "Idempotent-Replayed": "true"},
        )


class ChangeRequestStatus(ApiView):
    throttle_classes = [ReadRateThrottle]

    @extend_schema(
        operation_id="change_request_status",
        summary="Read a change request's status",
        description="Only your client's change requests; changed values are masked.",
        parameters=[
            OpenApiParameter(
                "reference",
                {"type": "string", "pattern": REFERENCE_PATTERN},
                OpenApiParameter.PATH,
                description="The ticket reference, such as PD-000123.",
            ),
            RETRY_AFTER,
        ],
        responses={200: ChangeRequestStatusSerializer, 401: _401, 404: _404, 429: _429},
    )
    def get(self, request: Request, reference: str) -> Response:
        ticket = get_ticket_for_api_client(_api_key(request).client, reference)
        return Response(status_payload(ticket))


class EventFetch(ApiView):
    throttle_classes = [ReadRateThrottle]

    @extend_schema(
        operation_id="event_fetch",
        summary="Fetch a thin event's values, once",
        description=(
            "A thin connector's event names the change without its values; fetch them "
            "here with the `fetch.id` of that event, once, within the hours the event's "
            "`fetch.expires_at` says (the desk's CONNECTOR_THIN_FETCH_HOURS). You get the "
            "event as a full connector would have received it. A second fetch, or one "
            "after it expired, is 410: the desk no longer holds the values. Every fetch is "
            "recorded in the desk's audit log."
        ),
        parameters=[
            OpenApiParameter(
                "fetch_id",
                {"type": "string", "format": "uuid"},
                OpenApiParameter.PATH,
                description="The `fetch.id` of the thin event.",
            ),
            RETRY_AFTER,
        ],
        responses={
            200: OpenApiResponse(
                EventSerializer,
                description="The event with its values; the desk then wipes them.",
            ),
            401: _401,
            404: OpenApiResponse(ErrorSerializer, description="No thin event of yours has it."),
            410: OpenApiResponse(
                ErrorSerializer, description="Fetched already, or expired: the values are gone."
            ),
            429: _429,
        },
    )
    def get(self, request: Request, fetch_id: uuid.UUID) -> Response:
        api_key = _api_key(request)
        try:
            event = thin_event_fetch(
                fetch_id=fetch_id,
                client=api_key.client,
                key_label=api_key.prefix,
                request=request._request,
            )
        except FetchRefused as refusal:
            code = status.HTTP_410_GONE if refusal.gone else status.HTTP_404_NOT_FOUND
            return Response({"detail": str(refusal)}, status=code)
        return Response(event, headers={"Cache-Control": "no-store"})


@public
@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"detail": _("Not found.")}, status=404)


change_request_create = public(ChangeRequestCreate.as_view())
change_request_status = public(ChangeRequestStatus.as_view())
event_fetch = public(EventFetch.as_view())
# The schema and its docs page are public: they describe the API, they hold no data.
schema = public(SpectacularAPIView.as_view())


class DocsView(SpectacularSwaggerSplitView):
    # The split view serves Swagger UI's start-up script as a file (GET /api/docs/?script=),
    # not inline: the page keeps the desk's Content-Security-Policy (script-src 'self').
    # A page to look at: OPTIONS would render DRF's metadata through the page's HTML
    # template (TemplateDoesNotExist, a 500); anything but GET and HEAD is a 405.
    http_method_names = ["get", "head"]


docs = public(DocsView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"))
