"""Reads of customer profiles, always scoped to the staff member's clients."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery, prefetch_related_objects
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.accounts.models import User
from profiledesk.clients.scoping import clients_for
from profiledesk.privacy.masking import display

from .models import Customer, EmailAddress, PaymentCard, PhoneNumber, PostalAddress
from .normalise import fold

SEARCH_LIMIT = 25
_CUSTOMER_NUMBER = re.compile(r"^[A-Za-z]{2,6}-?\d{3,10}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,}$")


@dataclass(frozen=True)
class SearchRow:
    """One customer as the result lists draw it (customers/_results.html, the ticket's
    match card): masked and linked here, once, rather than by tags in every row."""

    pk: int
    number: str
    name: str
    client: str
    url: str
    email: str  # the primary e-mail, masked ("" without one)
    phone: str  # the primary phone, masked


@dataclass(frozen=True)
class SearchResult:
    customers: Sequence[Customer]
    kind: str  # what the query was taken for: email, phone, number, name
    has_more: bool
    rows: Sequence[SearchRow] = ()


def _rows(customers: Sequence[Customer]) -> list[SearchRow]:
    # One reverse for the page: the profile URL differs only by the customer's id.
    pattern = reverse("customers:profile", args=[_URL_ID])
    email_policy = EmailAddress.field_policies["email"]
    phone_policy = PhoneNumber.field_policies["number"]
    rows = []
    for c in customers:
        email, phone = getattr(c, "primary_email", None), getattr(c, "primary_phone", None)
        rows.append(
            SearchRow(
                pk=c.pk,
                number=c.number,
                # A customer without personal details (never in practice) shows no name.
                name=getattr(getattr(c, "personal", None), "legal_name", ""),
                client=c.client.name,
                url=pattern.replace(str(_URL_ID), str(c.pk)),
                email=display(email, email_policy) if email else "",
                phone=display(phone, phone_policy) if phone else "",
            )
        )
    return rows


_URL_ID = 987654321987  # a stand-in for the customer id in the reversed URL


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
    # The primary e-mail and phone in the same query (at most one each: the models'
    # one-primary constraints), not two prefetches of model rows.
    page = list(
        customers.distinct()
        .select_related("client", "personal")
        .annotate(
            primary_email=Subquery(
                EmailAddress.objects.filter(customer=OuterRef("pk"), is_primary=True).values(
                    "email"
                )[:1]
            ),
            primary_phone=Subquery(
                PhoneNumber.objects.filter(customer=OuterRef("pk"), is_primary=True).values(
                    "number"
                )[:1]
            ),
        )
        .order_by("search_name", "pk")[: limit + 1]
    )
    found = page[:limit]
    return SearchResult(customers=found, kind=kind, has_more=len(page) > limit, rows=_rows(found))


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
