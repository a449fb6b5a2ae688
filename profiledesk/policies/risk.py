"""Risk scoring (docs/design.md §5): explainable rules, each adding points with a reason.

`risk_assess(ticket)` runs every rule in RULES over the ticket, its change items and its
customer. A rule is a small function of the facts that returns a Reason (points and a
sentence for the ticket page) or None. The score is the sum of the points; its level:

    score   0-19  low
           20-49  medium
           50-79  high       (adds a tier of approval)
           80+    critical   (sends the ticket to the security queue)

So one strong signal alone (a frozen profile: 80) is critical, and two middling ones
together (a recent contact change and a change to billing in the same ticket) are high.

The account-takeover sequence (docs/design.md §5: change the e-mail, reset the password, change
the card) is scored across the customer's tickets by `takeover_sequence`: an e-mail or
phone change plus a security or billing change within `takeover_window` (the client's
longest security/billing cooling-off, never less than `RISK_TAKEOVER_WINDOW_HOURS`, 24 h)
is high on its own (50), all three critical (80). It counts this ticket, the customer's
tickets applied within the window, and their tickets still on the way to being applied
(ready, submitted, approved, escalated) whatever their age: those would be applied now.

Query budget: the items are read once; each rule makes at most a few bounded queries
(never one per item). The ticket's time (`created_at`) decides "outside business hours";
the 30-day windows end now.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import idna
from confusable_homoglyphs import confusables
from django.conf import settings
from django.db.models import Model, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from profiledesk.customers.models import (
    BankAccount,
    Customer,
    EmailAddress,
    PaymentCard,
    PhoneNumber,
)
from profiledesk.tickets.models import ChangeItem, RiskLevel, State, Ticket, TicketEvent
from profiledesk.vault.adapters import get_vault

from .categories import Category
from .models import Policy
from .sla import Calendar

# The lowest score of each level, highest first.
LEVEL_THRESHOLDS: tuple[tuple[int, str], ...] = (
    (80, RiskLevel.CRITICAL),
    (50, RiskLevel.HIGH),
    (20, RiskLevel.MEDIUM),
    (0, RiskLevel.LOW),
)
LOOKBACK = dt.timedelta(days=30)
# Contacts added this soon after the customer's first contact on file are onboarding.
ONBOARDING = dt.timedelta(days=1)
# Enough contact versions to see every change of a real customer; the query stays bounded.
_MAX_CONTACT_VERSIONS = 500

# Timeline events (TicketEvent.to_state) the rules look for.
APPLIED = State.APPLIED.value
VERIFICATION_FAILED = State.VERIFICATION_FAILED.value

POINTS_FROZEN = 80
POINTS_TAKEOVER_ALL_THREE = 80
POINTS_TAKEOVER_PAIR = 50
POINTS_SHARED_DOCUMENT = 50
POINTS_CONFUSABLE_CONTACT = 30
POINTS_IDN_CONTACT = 15
POINTS_FLAGGED = 40
POINTS_CONTACT_AND_BILLING = 40
POINTS_VALUE_OF_ANOTHER_CUSTOMER = 30
POINTS_RECENT_CONTACT_CHANGE = 25
POINTS_PER_FAILED_VERIFICATION = 15
MAX_FAILED_VERIFICATIONS_COUNTED = 3
POINTS_OUTSIDE_BUSINESS_HOURS = 10


@dataclass(frozen=True)
class Reason:
    rule: str
    points: int
    reason: str


@dataclass
class Assessment:
    reasons: list[Reason] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(r.points for r in self.reasons)

    @property
    def level(self) -> str:
        return risk_level(self.score)

    def as_json(self) -> list[dict]:
        """What Ticket.risk_reasons stores."""
        return [{"rule": r.rule, "points": r.points, "reason": r.reason} for r in self.reasons]


def risk_level(score: int) -> str:
    return next(level for lowest, level in LEVEL_THRESHOLDS if score >= lowest)


@dataclass(frozen=True)
class Facts:
    """What the rules look at, read once."""

    ticket: Ticket
    customer: Customer | None
    items: list[ChangeItem]
    now: dt.datetime

    @property
    def since(self) -> dt.datetime:
        return self.now - LOOKBACK

    def sections(self) -> set[str]:
        return {item.section for item in self.items}


Rule = Callable[[Facts], Reason | None]


def risk_assess(ticket: Ticket, *, now: dt.datetime | None = None) -> Assessment:
    """Run every rule over the ticket (call it after its change items exist)."""
    facts = Facts(
        ticket=ticket,
        customer=ticket.customer,
        items=list(ticket.items.all()),
        now=now or timezone.now(),
    )
    assessment = Assessment()
    for rule in RULES:
        reason = rule(facts)
        if reason is not None:
            assessment.reasons.append(reason)
    return assessment


def _date(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j M Y")


# -- the rules ------------------------------------------------------------------------


def customer_flagged_or_frozen(facts: Facts) -> Reason | None:
    customer = facts.customer
    if customer is None:
        return None
    if customer.frozen_at:
        text = _("The customer's profile is frozen.")
        if customer.frozen_reason:
            text = _("The customer's profile is frozen: %(reason)s") % {
                "reason": customer.frozen_reason
            }
        return Reason("customer_frozen", POINTS_FROZEN, text)
    if customer.is_flagged:
        text = _("The customer is flagged.")
        if customer.flag_reason:
            text = _("The customer is flagged: %(reason)s") % {"reason": customer.flag_reason}
        return Reason("customer_flagged", POINTS_FLAGGED, text)
    return None


def recent_contact_change(facts: Facts) -> Reason | None:
    """The customer's e-mail or phone changed in the last 30 days: in the profile's
    history, or through a contact ticket of the desk that was applied."""
    if facts.customer is None:
        return None
    candidates = (
        _last_contact_change_in_history(facts.customer, facts.since),
        _last_applied_contact_ticket(facts.customer, facts),
    )
    changes = [moment for moment in candidates if moment is not None]
    if not changes:
        return None
    return Reason(
        "recent_contact_change",
        POINTS_RECENT_CONTACT_CHANGE,
        _("The customer's e-mail or phone changed in the last 30 days (on %(date)s).")
        % {"date": _date(max(changes))},
    )


def _last_contact_change_in_history(customer: Customer, since: dt.datetime) -> dt.datetime | None:
    """The last change since `since` in the history of the customer's e-mails and phones.

    A change is a contact added after onboarding, removed, or given a new value or a new
    primary flag; being verified is not a change. Two queries (one a model), bounded.
    """
    versions = {
        "email": _contact_versions(EmailAddress, "email", customer),
        "number": _contact_versions(PhoneNumber, "number", customer),
    }
    first_on_file = min(
        (rows[0]["history_date"] for rows in versions.values() if rows), default=None
    )
    if first_on_file is None:
        return None
    last = None
    for value_field, rows in versions.items():
        previous: dict[int, dict] = {}
        for row in rows:
            before = previous.get(row["id"])
            previous[row["id"]] = row
            if row["history_date"] < since:
                continue
            kind = row["history_type"]
            if kind == "+":
                changed = row["history_date"] > first_on_file + ONBOARDING
            elif kind == "-":
                changed = True
            else:  # "~": changed if the value or the primary flag did
                changed = before is None or any(
                    row[name] != before[name] for name in (value_field, "is_primary")
                )
            if changed and (last is None or row["history_date"] > last):
                last = row["history_date"]
    return last


def _contact_versions(model, value_field: str, customer: Customer) -> list[dict]:
    """The newest history rows of the customer's contacts of one kind, oldest first."""
    rows = (
        model.history.filter(customer_id=customer.pk)
        .order_by("-history_date", "-history_id")
        .values("id", "history_date", "history_type", "is_primary", value_field)[
            :_MAX_CONTACT_VERSIONS
        ]
    )
    return list(reversed(rows))


# Change items that change an e-mail or a phone, in a ticket the desk applied.
_CONTACT_CHANGES = [
    "emailaddress.email",
    "emailaddress.is_primary",
    "phonenumber.number",
    "phonenumber.is_primary",
]


def _last_applied_contact_ticket(customer: Customer, facts: Facts) -> dt.datetime | None:
    return (
        TicketEvent.objects.filter(
            ticket__customer_id=customer.pk,
            ticket__items__field__in=_CONTACT_CHANGES,
            to_state=APPLIED,
            at__gte=facts.since,
        )
        .exclude(ticket_id=facts.ticket.pk)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def contact_and_billing_together(facts: Facts) -> Reason | None:
    """Contact and billing changed in one ticket: the account-takeover pattern. When the
    contact change is an e-mail or phone, takeover_sequence scores it (high) instead."""
    if {CONTACT, BILLING} <= _takeover_kinds(facts.items):
        return None
    if {"contact", "billing"} <= facts.sections():
        return Reason(
            "contact_and_billing",
            POINTS_CONTACT_AND_BILLING,
            _(
                "Contact and billing details change in the same request "
                "(a pattern of account takeover)."
            ),
        )
    return None


# -- the account-takeover sequence --------------------------------------------------------

CONTACT, SECURITY, BILLING = "contact", "security", "billing"
# Tickets that will be applied unless someone stops them: they count as done.
_ON_THEIR_WAY = [State.READY, State.PENDING_APPROVAL, State.APPROVED, State.ESCALATED]
_KIND_NAMES = {
    CONTACT: _("e-mail or phone"),
    SECURITY: _("security"),
    BILLING: _("billing"),
}


def _kind_of(section: str, field_name: str) -> str | None:
    """Which step of the takeover sequence a change item is, if any: an e-mail or phone
    changed, added or made primary; anything of security (password or 2FA reset,
    questions, sign-out); anything of billing (card, bank account)."""
    if field_name in _CONTACT_CHANGES:
        return CONTACT
    if section in (SECURITY, BILLING):
        return section
    return None


def _takeover_kinds(items) -> set[str]:
    return {kind for item in items if (kind := _kind_of(item.section, item.field))}


def takeover_window(client) -> dt.timedelta:
    """The client's longest security/billing cooling-off, at least RISK_TAKEOVER_WINDOW_HOURS
    (24 h): a client that switches cooling-off off still has the sequence scored."""
    floor = int(getattr(settings, "RISK_TAKEOVER_WINDOW_HOURS", 24))
    hours = (
        Policy.objects.filter(client=client, category__in=[Category.SECURITY, Category.BILLING])
        .order_by("-cooling_off_hours")
        .values_list("cooling_off_hours", flat=True)
        .first()
    )
    return dt.timedelta(hours=max(floor, hours or 0))


def takeover_sequence(facts: Facts) -> Reason | None:
    """An e-mail/phone change and a security or billing change for one customer within
    the window, in any order, this ticket one of them: high; all three: critical.
    Two queries (the window, the other tickets' items)."""
    # A rollback (Back office, compliance's own ticket) gives earlier values back: it
    # undoes a takeover rather than continuing one.
    if facts.customer is None or facts.ticket.rollback_of_id is not None:
        return None
    own = _takeover_kinds(facts.items)
    if not own:
        return None
    window = takeover_window(facts.ticket.client)
    since = facts.now - window
    rows = (
        ChangeItem.objects.filter(ticket__customer_id=facts.customer.pk)
        .filter(
            Q(ticket__state__in=_ON_THEIR_WAY)
            | Q(ticket__events__to_state=APPLIED, ticket__events__at__gt=since)
        )
        .exclude(ticket_id=facts.ticket.pk)
        .filter(Q(field__in=_CONTACT_CHANGES) | Q(section__in=[SECURITY, BILLING]))
        .values_list("ticket__reference", "section", "field")
        .distinct()
    )
    steps: dict[str, set[str]] = {kind: {_("this request")} for kind in own}
    for reference, section, field_name in rows:
        kind = _kind_of(section, field_name)
        if kind:
            assert reference is not None  # given when the ticket was created
            steps.setdefault(kind, set()).add(reference)
    if CONTACT not in steps or len(steps) < 2:
        return None
    hours = int(window.total_seconds() // 3600)
    evidence = "; ".join(
        f"{_KIND_NAMES[kind]}: {', '.join(sorted(steps[kind], key=str))}"
        for kind in (CONTACT, SECURITY, BILLING)
        if kind in steps
    )
    if len(steps) == 3:
        return Reason(
            "takeover_sequence",
            POINTS_TAKEOVER_ALL_THREE,
            _(
                "E-mail or phone, security and billing changes for this customer within "
                "%(hours)d h (%(evidence)s): the full account-takeover sequence."
            )
            % {"hours": hours, "evidence": evidence},
        )
    other = SECURITY if SECURITY in steps else BILLING
    return Reason(
        "takeover_sequence",
        POINTS_TAKEOVER_PAIR,
        _(
            "E-mail or phone and %(other)s changes for this customer within %(hours)d h "
            "(%(evidence)s): the account-takeover sequence."
        )
        % {"other": _KIND_NAMES[other], "hours": hours, "evidence": evidence},
    )


def failed_verifications(facts: Facts) -> Reason | None:
    """The customer's tickets that failed identity verification in the last 30 days."""
    if facts.customer is None:
        return None
    failures = TicketEvent.objects.filter(
        ticket__customer_id=facts.customer.pk,
        to_state=VERIFICATION_FAILED,
        at__gte=facts.since,
    ).count()
    if not failures:
        return None
    counted = min(failures, MAX_FAILED_VERIFICATIONS_COUNTED)
    return Reason(
        "failed_verification",
        POINTS_PER_FAILED_VERIFICATION * counted,
        ngettext(
            "%(count)d failed identity verification in the last 30 days.",
            "%(count)d failed identity verifications in the last 30 days.",
            failures,
        )
        % {"count": failures},
    )


# Change items (ChangeItem.field) whose new value is a contact: model and attribute.
_CONTACT_VALUES = {
    "emailaddress.email": (EmailAddress, "email"),
    "phonenumber.number": (PhoneNumber, "number"),
}
# Change items whose new value is what the vault returned for a card or an IBAN: a JSON
# object with its token and fingerprint (intake.capture), never the number.
_BILLING_VALUES = {
    "paymentcard.vault_token": PaymentCard,
    "bankaccount.vault_token": BankAccount,
}


def value_of_another_customer(facts: Facts) -> Reason | None:
    """A new e-mail, phone, card or bank account is already on another customer's
    profile at the same client (cards and accounts by fingerprint). One query a kind of
    value, whatever the number of items."""
    wanted: dict[tuple[type[Model], str], set[str]] = {}
    for item in facts.items:
        value = item.new_value.strip()
        if not value:
            continue
        if item.field == "emailaddress.email":
            # Any spelling of the same mailbox: case, and the domain as Unicode or punycode.
            wanted.setdefault((EmailAddress, "email"), set()).update(email_spellings(value))
        elif item.field in _CONTACT_VALUES:
            model, name = _CONTACT_VALUES[item.field]
            wanted.setdefault((model, name), set()).add(value)
        elif item.field in _BILLING_VALUES and (fingerprint := _fingerprint(value)):
            wanted.setdefault((_BILLING_VALUES[item.field], "fingerprint"), set()).add(fingerprint)
    found = [
        str(model._meta.verbose_name)
        for (model, name), values in wanted.items()
        if _elsewhere(facts, model).filter(_matching(name, values)).exists()
    ]
    if not found:
        return None
    return Reason(
        "value_of_another_customer",
        POINTS_VALUE_OF_ANOTHER_CUSTOMER,
        _(
            "A new value in this request (%(what)s) already belongs to another customer "
            "of this client."
        )
        % {"what": ", ".join(found)},
    )


def _matching(name: str, values: set[str]) -> Q:
    if name != "email":
        return Q(**{f"{name}__in": values})
    # iexact: e-mails on file keep the case they were typed in.
    condition = Q()
    for value in sorted(values):
        condition |= Q(email__iexact=value)
    return condition


def _idna_domain(domain: str, *, to_unicode: bool) -> str | None:
    """The domain in its IDNA form (punycode) or back in Unicode; None if it is not a
    valid IDNA name (the e-mail validator has refused most of those already)."""
    try:
        if to_unicode:
            return idna.decode(domain.strip(".").lower())
        return idna.encode(domain.strip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def email_spellings(value: str) -> set[str]:
    """The lower-cased spellings of one mailbox: the domain as typed, in punycode and in
    Unicode ("bücher.de" and "xn--bcher-kva.de" are the same domain)."""
    local, at, domain = value.strip().lower().rpartition("@")
    if not at:
        return {value.strip().lower()}
    domains = {domain}
    ascii_form = _idna_domain(domain, to_unicode=False)
    if ascii_form:
        domains.add(ascii_form.lower())
        unicode_form = _idna_domain(ascii_form, to_unicode=True)
        if unicode_form:
            domains.add(unicode_form.lower())
    return {f"{local}@{name}" for name in domains}


def confusable_contact(facts: Facts) -> Reason | None:
    """A new e-mail whose domain mixes scripts or can be confused with a Latin one
    ("google.com" spelled with Cyrillic o's), or an internationalised (IDN) domain at all.
    The domain is examined in Unicode (a punycode "xn--" domain decoded first) and shown
    in punycode, the form in which a reader cannot mistake it. No query."""
    confusing, idn = [], []
    for item in facts.items:
        if item.field != "emailaddress.email" or "@" not in item.new_value:
            continue
        domain = item.new_value.strip().rpartition("@")[2].lower()
        ascii_form = _idna_domain(domain, to_unicode=False)
        unicode_form = _idna_domain(ascii_form, to_unicode=True) if ascii_form else domain
        shown = ascii_form or domain.encode("ascii", "backslashreplace").decode()
        if unicode_form == shown and domain.isascii():
            continue  # a plain ASCII domain
        if confusables.is_mixed_script(unicode_form) or confusables.is_dangerous(unicode_form):
            confusing.append(shown)
        else:
            idn.append(shown)
    if confusing:
        return Reason(
            "confusable_contact",
            POINTS_CONFUSABLE_CONTACT,
            _(
                "The new e-mail's domain mixes scripts or imitates another domain "
                "(%(domains)s): a look-alike address."
            )
            % {"domains": ", ".join(confusing)},
        )
    if idn:
        return Reason(
            "idn_contact",
            POINTS_IDN_CONTACT,
            _("The new e-mail's domain is internationalised (%(domains)s).")
            % {"domains": ", ".join(idn)},
        )
    return None


def shared_document(facts: Facts) -> Reason | None:
    """The identity document checked on this ticket (the same file: its SHA-256) was
    shown for another customer of the client. One query; none before a document."""
    if facts.customer is None:
        return None
    checks = facts.ticket.document_checks
    hashes = {digest for digest in checks.values_list("sha256", flat=True) if digest}
    if not hashes:
        return None
    # The reverse relation's model: policies sits below verification (STYLE 11).
    elsewhere = (
        checks.model.objects.filter(sha256__in=hashes, customer__client_id=facts.ticket.client_id)
        .exclude(customer_id=facts.customer.pk)
        .exists()
    )
    if not elsewhere:
        return None
    return Reason(
        "shared_document",
        POINTS_SHARED_DOCUMENT,
        _(
            "The identity document checked for this request (the same file) was shown for "
            "another customer of this client."
        ),
    )


def _elsewhere(facts: Facts, model):
    rows = model.objects.filter(customer__client_id=facts.ticket.client_id)
    if facts.customer is not None:
        rows = rows.exclude(customer_id=facts.customer.pk)
    return rows


def _fingerprint(value: str) -> str | None:
    """The fingerprint of a card or bank account item: from the vault's answer stored in
    the item, or, for a bare token, from a vault that can tell it (`fingerprint_of`)."""
    try:
        vaulted = json.loads(value)
    except ValueError:
        vaulted = value
    if isinstance(vaulted, dict):
        return vaulted.get("fingerprint") or None
    fingerprint_of = getattr(get_vault(), "fingerprint_of", None)
    return fingerprint_of(str(vaulted)) if fingerprint_of else None


def outside_business_hours(facts: Facts) -> Reason | None:
    """The request came in when the client's desk is closed (its time zone, holidays)."""
    at = facts.ticket.created_at or facts.now
    client = facts.ticket.client
    calendar = Calendar.for_client(client, since=at)
    if calendar.is_open(at):
        return None
    return Reason(
        "outside_business_hours",
        POINTS_OUTSIDE_BUSINESS_HOURS,
        _("Requested outside the client's business hours (%(when)s, %(zone)s time).")
        % {
            "when": formats.date_format(at.astimezone(calendar.zone), "l H:i"),
            "zone": client.time_zone,
        },
    )


RULES: list[Rule] = [
    customer_flagged_or_frozen,
    recent_contact_change,
    takeover_sequence,
    contact_and_billing_together,
    failed_verifications,
    value_of_another_customer,
    confusable_contact,
    shared_document,
    outside_business_hours,
]


def risk_rule_register(rule: Rule) -> None:
    """A rule of a layer above (an identity provider's decline, profiledesk.idv), added in
    its app's ready(): this module imports nothing above it. Registering twice is one."""
    if rule not in RULES:
        RULES.append(rule)
