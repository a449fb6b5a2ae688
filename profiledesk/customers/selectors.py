"""Reads of customer profiles, always scoped to the staff member's clients."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from django.db import DEFAULT_DB_ALIAS, connections, router
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
    customers: Sequence[SearchRow]  # the customers found, as the lists draw them
    kind: str  # what the query was taken for: email, phone, number, name
    has_more: bool

    @property
    def rows(self) -> Sequence[SearchRow]:
        return self.customers


_URL_ID = 987654321987  # a stand-in for the customer id in the reversed URL

# What a row prints, in the order of the compiled query's first columns.
_COLUMNS = (
    "pk",
    "number",
    "personal__legal_name",
    "client__name",
    "primary_email",
    "primary_phone",
)


def _rows(found: Sequence[tuple[Any, ...]]) -> list[SearchRow]:
    """Masked and linked here, once, rather than by tags in every row; one reverse for
    the page (the profile URL differs only by the customer's id)."""
    pattern = reverse("customers:profile", args=[_URL_ID])
    email_policy = EmailAddress.field_policies["email"]
    phone_policy = PhoneNumber.field_policies["number"]
    return [
        SearchRow(
            pk=pk,
            number=number,
            # A customer without personal details (never in practice) shows no name.
            name=name or "",
            client=client,
            url=pattern.replace(str(_URL_ID), str(pk)),
            email=display(email, email_policy) if email else "",
            phone=display(phone, phone_policy) if phone else "",
        )
        for pk, number, name, client, email, phone, *_order in found
    ]


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


def search_queryset(
    *, staff: User, kind: str, values: Sequence[str], client_id: int | None, limit: int
) -> QuerySet[Customer, tuple[Any, ...]]:
    """The search's one query, as the ORM writes it: the customers of `staff`'s clients
    (`for_staff`) that match `values` the way `kind` says, with their primary e-mail and
    phone (subqueries: at most one each, the models' one-primary constraints), a row's
    columns only, `limit + 1` to tell whether more match."""
    customers: QuerySet[Customer] = Customer.objects.for_staff(staff)
    if client_id is not None:
        customers = customers.filter(client_id=client_id)
    if kind == "email":
        customers = customers.filter(emails__email=values[0])
    elif kind == "number":
        customers = customers.filter(number=values[0])
    elif kind == "phone":
        customers = customers.filter(phones__number__in=values)
    else:
        for token in values:
            customers = customers.filter(search_name__contains=token)
    return (
        customers.distinct()
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
        .order_by("search_name", "pk")
        .values_list(*_COLUMNS)[: limit + 1]
    )


# Stand-ins the query is compiled with, then replaced by the request's own values: none
# is a value a real request can hold (ids are positive; the text has a NUL, which the
# desk's forms refuse and no column holds).
_STAFF = -730_001
_CLIENT = -730_002


def _stand_in(index: int) -> str:
    return f"\x00search-value-{index}\x00"


@lru_cache(maxsize=64)
def _compiled(
    alias: str, kind: str, count: int, with_client: bool, limit: int
) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The search query's SQL for one shape (kind, number of values, one client or all,
    limit), compiled by the ORM once a process, and where each parameter comes from: the
    ORM's query building was most of a search's cost (issue 20), its SQL is the same for
    every search of a shape. A parameter is ("staff", _), ("client", _), ("value", i),
    ("like", i) — the value inside a LIKE pattern, escaped as the ORM escapes it — or
    ("constant", the ORM's own value)."""
    staff = User(pk=_STAFF)  # only its id is read: `client_ids_for`'s membership filter
    values = [_stand_in(i) for i in range(count)]
    queryset = search_queryset(
        staff=staff,
        kind=kind,
        values=values,
        client_id=_CLIENT if with_client else None,
        limit=limit,
    )
    sql, params = queryset.query.get_compiler(using=alias).as_sql()
    slots: list[tuple[str, Any]] = []
    for param in params:
        if param == _STAFF:
            slots.append(("staff", None))
        elif param == _CLIENT:
            slots.append(("client", None))
        elif isinstance(param, str) and param in values:
            slots.append(("value", values.index(param)))
        elif isinstance(param, str) and "\x00search-value-" in param:
            index = next(i for i, v in enumerate(values) if v in param)
            if param != f"%{values[index]}%":  # only `contains` is expected
                raise ValueError(f"unexpected pattern around a search value: {param!r}")
            slots.append(("like", index))
        else:
            slots.append(("constant", param))
    return sql, tuple(slots)


def _run(
    *, staff: User, kind: str, values: Sequence[str], client_id: int | None, limit: int
) -> list[tuple[Any, ...]]:
    alias = router.db_for_read(Customer) or DEFAULT_DB_ALIAS
    connection = connections[alias]
    sql, slots = _compiled(alias, kind, len(values), client_id is not None, limit)
    params: list[Any] = []
    for source, detail in slots:
        if source == "staff":
            params.append(staff.pk)
        elif source == "client":
            params.append(client_id)
        elif source == "value":
            params.append(values[detail])
        elif source == "like":
            params.append(f"%{connection.ops.prep_for_like_query(values[detail])}%")
        else:
            params.append(detail)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found: list[tuple[Any, ...]] = cursor.fetchall()
    return found


def search_terms(*, staff: User, query: str) -> tuple[str, list[str]]:
    """What the query is taken for and the values searched: an e-mail (lower case), a
    customer number, the phone numbers it may be in E.164 (national ones in the countries
    of `staff`'s clients: one query), or up to five folded name tokens. A NUL is dropped:
    no stored value holds one, and PostgreSQL refuses it in a parameter (a 500)."""
    query = query.replace("\x00", "")
    if "@" in query:
        return "email", [query.lower()]
    if _CUSTOMER_NUMBER.match(query):
        number = query.upper()
        if "-" not in number:
            number = re.sub(r"^([A-Z]+)(\d+)$", r"\1-\2", number)
        return "number", [number]
    if _PHONE_LIKE.match(query):
        regions = list(clients_for(staff).values_list("country", flat=True))
        return "phone", sorted(_phone_candidates(query, regions))
    return "name", fold(query).split()[:5]


def customer_search(
    *, staff: User, query: str, limit: int = SEARCH_LIMIT, client_id: int | None = None
) -> SearchResult:
    """Find customers by e-mail, phone, customer number or name; at most `limit`.
    `client_id`: of that one client only (still only if `staff` serves it).

    One query (`search_queryset`, compiled once a shape by `_compiled`), rows read as
    tuples: no model objects are built for a list that prints six strings a customer."""
    query = (query or "").replace("\x00", "").strip()
    if not query:
        return SearchResult(customers=[], kind="", has_more=False)
    kind, values = search_terms(staff=staff, query=query)
    if not values:  # no phone number it could be, no name token: nothing can match
        return SearchResult(customers=[], kind=kind, has_more=False)
    found = _run(staff=staff, kind=kind, values=values, client_id=client_id, limit=limit)
    return SearchResult(customers=_rows(found[:limit]), kind=kind, has_more=len(found) > limit)


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
