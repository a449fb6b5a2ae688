"""What the signed-in customer sees: their profile masked as the confirmation messages
show it (privacy.masking), their requests and their status, the confirmations sent and
which of them can still be reported as "this wasn't me"."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from profiledesk.clients.models import Client
from profiledesk.confirmations.models import Confirmation, ReportLink
from profiledesk.customers import models as m
from profiledesk.policies.models import Policy
from profiledesk.privacy.masking import display, mask_email, mask_head, mask_phone
from profiledesk.privacy.sensitivity import Sensitivity
from profiledesk.tickets.models import State, Ticket

REQUESTS_SHOWN = 20
CONFIRMATIONS_SHOWN = 20


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


def shown(row: Model, name: str) -> str:
    """One value as a confirmation message shows it: masked values stay masked, public
    ones as they are, other personal values to their first character; e-mails and phones
    in their masked form (j•••@example.com, +44 •••• ••0123)."""
    value = getattr(row, name)
    if isinstance(row, m.EmailAddress) and name == "email":
        return mask_email(value)
    if isinstance(row, m.PhoneNumber) and name == "number":
        return mask_phone(value)
    if isinstance(row, m.LanguageRegion) and name == "language":
        try:
            return str(get_language_info(value)["name_translated"])
        except KeyError:
            return str(value)
    policy = type(row).field_policies[name]  # type: ignore[attr-defined]
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    text = display(value, policy)
    if not text or policy.sensitivity == Sensitivity.PUBLIC or policy.masked_by_default:
        return text
    return mask_head(text)


def _rows(row: Model | None, names: tuple[str, ...]) -> list[Row]:
    if row is None:
        return []
    return [
        # capfirst, not capitalize: "SMS de servicio" stays SMS, not "Sms de servicio".
        Row(capfirst(str(row._meta.get_field(name).verbose_name)), shown(row, name))  # type: ignore[union-attr]
        for name in names
        if getattr(row, name) not in (None, "")
    ]


def _one(customer: m.Customer, related: str) -> Model | None:
    try:
        row: Model = getattr(customer, related)
    except Exception:  # RelatedObjectDoesNotExist: the customer has none of that section
        return None
    return row


PERSONAL = ("legal_name", "preferred_name", "date_of_birth")
PREFERENCES = (
    "email_notifications",
    "sms_notifications",
    "marketing_email",
    "marketing_sms",
    "confirm_by_email",
    "confirm_by_sms",
    "confirm_in_app",
    "auto_renew",
)
LANGUAGE_REGION = ("language", "locale", "time_zone", "country")


def _primary(text: str, row: m.ContactPoint) -> str:
    return _("%(value)s (primary)") % {"value": text} if row.is_primary else text


def _address(row: m.PostalAddress) -> str:
    parts = [shown(row, "line1"), shown(row, "postal_code") if row.postal_code else "", row.country]
    return ", ".join(part for part in parts if part)


def _contacts(customer: m.Customer) -> list[Row]:
    return [
        *(Row(_("E-mail"), _primary(shown(e, "email"), e)) for e in customer.emails.all()),
        *(Row(_("Phone"), _primary(shown(p, "number"), p)) for p in customer.phones.all()),
        *(Row(_("Address"), _primary(_address(a), a)) for a in customer.addresses.all()),
    ]


def profile_sections(customer: m.Customer) -> list[Section]:
    """The customer's profile, section by section, masked."""
    sections = [
        Section(_("Personal details"), _rows(_one(customer, "personal"), PERSONAL)),
        Section(_("Contact details"), _contacts(customer)),
        Section(_("Preferences"), _rows(_one(customer, "preferences"), PREFERENCES)),
        Section(
            _("Language and region"), _rows(_one(customer, "language_region"), LANGUAGE_REGION)
        ),
    ]
    return [section for section in sections if section.rows]


def customer_requests(customer: m.Customer) -> list[Ticket]:
    """The customer's latest requests, whatever the channel (one query)."""
    return list(
        Ticket.objects.filter(customer=customer, client_id=customer.client_id).order_by(
            "-created_at", "-id"
        )[:REQUESTS_SHOWN]
    )


@dataclass(frozen=True)
class Sent:
    confirmation: Confirmation
    link: ReportLink | None  # still usable: "this wasn't me" is offered


def customer_confirmations(customer: m.Customer) -> list[Sent]:
    """The confirmations sent to the customer, newest first, each with its report link
    while it can be used (two queries)."""
    rows = list(
        Confirmation.objects.filter(ticket__customer=customer)
        .select_related("ticket")
        .order_by("-created_at", "-id")[:CONFIRMATIONS_SHOWN]
    )
    now = timezone.now()
    links = {
        link.confirmation_id: link
        for link in ReportLink.objects.filter(
            confirmation__in=rows, used_at__isnull=True, expires_at__gt=now
        )
    }
    return [Sent(confirmation=row, link=links.get(row.pk)) for row in rows]


def self_service_categories(client: Client) -> set[str]:
    """The categories the client's policies open to customer self-service (one query; a
    client whose policies are not written yet opens none: everything is a request)."""
    return set(
        Policy.objects.filter(client=client, self_service=True).values_list("category", flat=True)
    )


# A request's status as the customer reads it (the desk's states are its own words).
_STATUS: dict[str, Any] = {
    State.NEW: gettext_lazy("Received"),
    State.VERIFYING: gettext_lazy("Being checked"),
    State.READY: gettext_lazy("Being checked"),
    State.PENDING_APPROVAL: gettext_lazy("Being checked"),
    State.APPROVED: gettext_lazy("Approved, being made"),
    State.APPLIED: gettext_lazy("Done"),
    State.CLOSED: gettext_lazy("Done"),
    State.VERIFICATION_FAILED: gettext_lazy("We could not confirm it was you"),
    State.ESCALATED: gettext_lazy("With our security team"),
    State.REJECTED: gettext_lazy("Not made"),
    State.CANCELLED: gettext_lazy("Cancelled"),
    State.ROLLED_BACK: gettext_lazy("Undone"),
}


def customer_status(ticket: Ticket) -> str:
    return str(_STATUS.get(ticket.state, ticket.get_state_display()))
