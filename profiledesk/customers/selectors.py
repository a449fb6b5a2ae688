"""Reads of customer profiles, always scoped to the staff member's clients."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from audit.models import AuditEvent
from profiledesk.accounts.models import User
from profiledesk.clients.scoping import clients_for

from .models import Customer, EmailAddress, PaymentCard, PhoneNumber, PostalAddress
from .normalise import fold

SEARCH_LIMIT = 25
_CUSTOMER_NUMBER = re.compile(r"^[A-Za-z]{2,6}-?\d{3,10}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,}$")


@dataclass(frozen=True)
class SearchResult:
    customers: Sequence[Customer]
    kind: str  # what the query was taken for: email, phone, number, name
    has_more: bool


def _phone_candidates(query: str, regions: list[str]) -> set[str]:
    numbers = set()
    for region in [None, *regions] if query.strip().startswith("+") else regions:
        try:
            parsed = phonenumbers.parse(query, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            numbers.add(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    return numbers


def customer_search(
    *, staff: User, query: str, limit: int = SEARCH_LIMIT, client_id: int | None = None
) -> SearchResult:
    """Find customers by e-mail, phone, customer number or name; at most `limit`.
    `client_id`: of that one client only (still only if `staff` serves it)."""
    query = (query or "").strip()
    customers: QuerySet[Customer] = Customer.objects.for_staff(staff)
    if client_id is not None:
        customers = customers.filter(client_id=client_id)
    if not query:
        return SearchResult(customers=[], kind="", has_more=False)
    if "@" in query:
        kind = "email"
        customers = customers.filter(emails__email=query.lower())
    elif _CUSTOMER_NUMBER.match(query):
        kind = "number"
        number = query.upper()
        if "-" not in number:
            number = re.sub(r"^([A-Z]+)(\d+)$", r"\1-\2", number)
        customers = customers.filter(number=number)
    elif _PHONE_LIKE.match(query):
        kind = "phone"
        regions = list(clients_for(staff).values_list("country", flat=True))
        customers = customers.filter(phones__number__in=_phone_candidates(query, regions))
    else:
        kind = "name"
        for token in fold(query).split()[:5]:
            customers = customers.filter(search_name__contains=token)
    page = list(
        customers.distinct()
        .select_related("client", "personal")
        .prefetch_related(
            Prefetch(
                "emails", EmailAddress.objects.filter(is_primary=True), to_attr="primary_emails"
            ),
            Prefetch(
                "phones", PhoneNumber.objects.filter(is_primary=True), to_attr="primary_phones"
            ),
        )
        .order_by("search_name", "pk")[: limit + 1]
    )
    return SearchResult(customers=page[:limit], kind=kind, has_more=len(page) > limit)


def customer_profile(customer: Customer) -> Customer:
    """Load every multi-row section of a customer fetched by the access helper."""
    prefetch_related_objects(
        [customer],
        Prefetch("emails", queryset=EmailAddress.objects.order_by("-is_primary", "pk")),
        Prefetch("phones", queryset=PhoneNumber.objects.order_by("-is_primary", "pk")),
        Prefetch("addresses", queryset=PostalAddress.objects.order_by("-is_primary")),
        "security_questions",
        "linked_accounts",
        Prefetch("cards", queryset=PaymentCard.objects.order_by("-is_default", "pk")),
        "bank_accounts",
    )
    return customer


def customer_access_log(customer: Customer, *, limit: int = 10) -> list[AuditEvent]:
    """The latest audited accesses to this customer's data (reveals and the like)."""
    return list(
        AuditEvent.objects.filter(target_type="customers.customer", target_id=str(customer.pk))
        .select_related("actor")  # named as the desk names staff, no query a row
        .order_by("-id")[:limit]
    )
