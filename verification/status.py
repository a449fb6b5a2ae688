"""How far identity verification has got on a ticket, against what its policy needs.

`verification_missing(ticket)` is the rule of the state machine's verifying -> ready move
("Mark verified": registered with tickets.states in apps.py, checked under the row lock
by services.verification_complete), so everything a ticket needs before it may be
submitted is decided here, not in a template:

- the level (docs/design.md §4), from what each pass's method grants (the registry,
  `verification.methods.level_of`): AL1 = a passed OTP or a passed security-question
  round, AL2 = both, AL3 = AL2 and a passed document check, or the level a method reaches
  on its own (an identity provider's decision). Only passes on this ticket within the last
  `validity()` (`VERIFICATION_VALID_MINUTES`, 30) count, whoever recorded them (an agent
  or no one: staff None); an OTP counts only (its method's `counting`) if it went to
  a contact that is not withheld (`withheld_contacts`): for a security change one not
  being changed (docs/design.md §5), and for security, billing, organisation, contact and AL3
  personal changes one not added, changed or made primary within the cooling-off period
  (issue 11);
- no active lock-out of the customer;
- dual confirmation: every new e-mail or phone of a contact change is proven by its own
  code (when the client's policy asks for it);
- or, for a rollback ticket only, a waiver recorded by compliance (waivers.py): the
  customer is not on the line to verify anything.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import CharField, F, Value
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from profiledesk.accounts.models import User
from profiledesk.customers.models import Customer, EmailAddress, PhoneNumber
from profiledesk.policies.categories import AssuranceLevel, Category
from profiledesk.policies.defaults import longest_cooling_off, policy_for
from profiledesk.tickets.memo import memo_active, memoized
from profiledesk.tickets.models import OPEN_STATES, ChangeItem

from .methods import Grant, VerificationMethod, helpful, level_of, method, methods
from .models import Attempt, Lock, Purpose, Result
from .waivers import waiver_standing


def validity() -> dt.timedelta:
    """How long a verification is valid for its ticket (docs/design.md §4), read when used."""
    return dt.timedelta(minutes=settings.VERIFICATION_VALID_MINUTES)


# The change items whose new value must be proven by its own code (dual confirmation),
# and the OTP channel that proves it.
NEW_CONTACT_FIELDS = {"emailaddress.email": "email", "phonenumber.number": "sms"}
# Change items that change an existing e-mail or phone row (`target_id`).
_CONTACT_ROW_FIELDS = {
    "emailaddress": ("emailaddress.email", "emailaddress.is_primary"),
    "phonenumber": ("phonenumber.number", "phonenumber.is_primary", "phonenumber.kind"),
}


def _prefetched_items(ticket) -> list | None:
    """The ticket's items when its page prefetched them (tickets.views.detail), else None."""
    cache = getattr(ticket, "_prefetched_objects_cache", {})
    return list(cache["items"]) if "items" in cache else None


def required_level(ticket, *, policy=None, items=None) -> int:
    """The policy's level for the category; AL3 when a stricter field is changed."""
    policy = policy or policy_for(client=ticket.client, category=ticket.category)
    if items is None:
        items = _prefetched_items(ticket)
    if items is None:
        fields = set(ticket.items.values_list("field", flat=True))
    else:
        fields = {item.field for item in items}
    if fields & set(policy.stricter_fields):
        return AssuranceLevel.AL3
    return policy.verification_level


# Failures counted toward a customer's lock-out that are not wizard attempts on a ticket
# (the customer portal's sign-in codes): each counter, registered by the app above at
# ready, answers (customer id, method, since) -> how many failed since then.
FailureCounter = Callable[[int, str, dt.datetime], int]
_FAILURE_COUNTERS: list[FailureCounter] = []


def failure_counter_register(counter: FailureCounter) -> None:
    if counter not in _FAILURE_COUNTERS:
        _FAILURE_COUNTERS.append(counter)


def failures_since(customer: Customer, method: str, now: dt.datetime) -> int:
    """The customer's failures of `method` that count toward a lock-out now: within
    `VERIFICATION_FAILURE_WINDOW_HOURS` and since the end of their last lock-out, across
    all their tickets and every registered counter (one count, however they were made)."""
    since = now - dt.timedelta(hours=settings.VERIFICATION_FAILURE_WINDOW_HOURS)
    last = Lock.objects.filter(customer=customer).order_by("-locked_until").first()
    if last is not None:
        since = max(since, last.locked_until)
    count = Attempt.objects.filter(
        customer=customer, method=method, result=Result.FAILED, at__gte=since
    ).count()
    return count + sum(counter(customer.pk, method, since) for counter in _FAILURE_COUNTERS)


def active_lock(customer, now: dt.datetime | None = None) -> Lock | None:
    if customer is None:
        return None
    now = now or timezone.now()
    return Lock.objects.filter(customer=customer, locked_until__gt=now).first()


def _ticket_lock(ticket, now: dt.datetime) -> Lock | None:
    """`active_lock` of the ticket's customer; on a page that asked for it (page_memo),
    the locks running at the page's first ask read once, each later `now` answered from
    them (a lock running at a later moment was running then). An earlier `now` reads."""
    customer = ticket.customer
    if customer is None or not memo_active(ticket):
        return active_lock(customer, now)
    since, running = memoized(
        ticket,
        "verification.locks",
        lambda: (now, list(Lock.objects.filter(customer=customer, locked_until__gt=now))),
    )
    if now < since:
        return active_lock(customer, now)
    return next((lock for lock in running if lock.locked_until > now), None)


# Ticket categories whose identity codes never go to a contact changed within the
# cooling-off period (issue 11); a personal change too when it needs AL3. Dual
# confirmation of a new contact is another purpose and is not affected.
WITHHELD_CATEGORIES = {
    Category.SECURITY,
    Category.BILLING,
    Category.ORGANISATION,
    Category.CONTACT,
}
_CONTACT_VALUE = {"emailaddress": "email", "phonenumber": "number"}
# A contact whose first version is this close to the customer's own first version came
# with the customer (the client's import, the customer's sign-up): not an addition --
# unless a ticket wrote it.
WITH_THE_CUSTOMER = dt.timedelta(minutes=10)


def withholds_changed_contacts(ticket, *, required: int | None = None) -> bool:
    if ticket.category in WITHHELD_CATEGORIES:
        return True
    if ticket.category != Category.PERSONAL:
        return False
    return (required or required_level(ticket)) >= AssuranceLevel.AL3


def cooling_off_hours(ticket) -> int:
    """The cooling-off period that makes a contact "just changed": the ticket's policy's,
    or, for a category without one (contact, organisation, personal), the longest any of
    the client's policies sets (security and billing: 24 h by default)."""
    own = policy_for(client=ticket.client, category=ticket.category).cooling_off_hours
    return own or longest_cooling_off(ticket.client)


# The historical models themselves: `Model.history` builds a manager class on each access.
_CUSTOMER_HISTORY = Customer.history.model
_CONTACT_HISTORY = {
    "emailaddress": EmailAddress.history.model,
    "phonenumber": PhoneNumber.history.model,
}


def _customer_born(customer_id: int) -> dt.datetime | None:
    return (
        _CUSTOMER_HISTORY._default_manager.filter(id=customer_id)
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )


def _contact_history(customer_id: int) -> dict[str, list[tuple]]:
    """The customer's e-mails' and phones' versions (id, date, type, address or number,
    primary, reason) in the order they were written: one query (the two tables' rows
    as one UNION ALL, each tagged with its model's name)."""
    parts = [
        history._default_manager.filter(customer_id=customer_id)
        .order_by()
        .annotate(model_name=Value(name, output_field=CharField()), value=F(_CONTACT_VALUE[name]))
        .values_list(
            "model_name",
            "id",
            "history_id",
            "history_date",
            "history_type",
            "value",
            "is_primary",
            "history_change_reason",
        )
        for name, history in _CONTACT_HISTORY.items()
    ]
    rows = parts[0].union(*parts[1:], all=True).order_by("model_name", "id", "history_id")
    versions: dict[str, list[tuple]] = {name: [] for name in _CONTACT_HISTORY}
    for name, pk, _history_id, at, kind, value, primary, reason in rows:
        versions[name].append((pk, at, kind, value, primary, reason))
    return versions


def recent_contact_changes(
    customer_id: int, *, since: dt.datetime, ticket=None
) -> dict[str, dict[int, tuple[str, dt.datetime]]]:
    """{model name: {row id: (what, when)}} for the customer's e-mails and phones added,
    changed (address or number) or made primary after `since`, read from their
    simple-history rows (whoever wrote them: a ticket, a rollback, the admin). Two
    queries (a third, the customer's first version, only for a recent contact no ticket
    wrote); a customer has few contact versions. With the `ticket` whose page asked for
    it (page_memo), read once a request."""
    if ticket is None:
        versions = _contact_history(customer_id)
    else:
        versions = memoized(
            ticket,
            ("verification.contact_history", customer_id),
            lambda: _contact_history(customer_id),
        )

    read: list[dt.datetime | None] = []

    def born() -> dt.datetime | None:
        # Read only when a contact's first version is recent and no ticket wrote it, once.
        if not read:
            read.append(
                _customer_born(customer_id)
                if ticket is None
                else memoized(
                    ticket,
                    ("verification.born", customer_id),
                    lambda: _customer_born(customer_id),
                )
            )
        return read[0]

    changes: dict[str, dict[int, tuple[str, dt.datetime]]] = {}
    for name, rows in versions.items():
        found: dict[int, tuple[str, dt.datetime]] = {}
        before: dict[int, tuple[str, bool]] = {}
        for pk, at, kind, value, primary, reason in rows:
            previous = before.get(pk)
            before[pk] = (value, primary)
            if at <= since or kind == "-":
                continue
            if previous is None:
                # A ticket's apply writes "<reference> applied": always an addition.
                by_ticket = (reason or "").endswith(" applied")
                if not by_ticket:
                    first = born()
                    if first is not None and at - first <= WITH_THE_CUSTOMER:
                        continue
                what = _("added")
            elif value != previous[0]:
                what = _("changed")
            elif primary and not previous[1]:
                what = _("made primary")
            else:
                continue  # verified_at or kind only: the same contact
            found[pk] = (what, at)
        changes[name] = found
    return changes


def withheld_contacts(
    ticket, now: dt.datetime | None = None, *, unmasking: bool = False
) -> dict[str, dict[int, str]]:
    """E-mail and phone rows (by model name) that may not receive an identity code for
    this ticket, each with the reason the wizard shows:

    - for a security change, the targets of the customer's open tickets' contact items
      (docs/design.md §5: "via a contact not being changed");
    - for the categories of `withholds_changed_contacts`, a contact added, changed or
      made primary within the cooling-off period (`cooling_off_hours`): the takeover's
      "change the e-mail, then reset the password and change the card to codes sent to
      the new e-mail" (issue 11);
    - with `unmasking`, a contact changed within the cooling-off period whatever the
      category: a code to it does not verify the caller for unmasking the profile
      (`achieved_level(..., unmasking=True)`), or a preferences change verified through
      the e-mail a fraudster installed an hour ago would show them the whole profile.
    """
    now = now or timezone.now()
    withheld: dict[str, dict[int, str]] = {"emailaddress": {}, "phonenumber": {}}
    if ticket.customer_id is None:
        return withheld
    if ticket.category == Category.SECURITY:
        fields = [name for names in _CONTACT_ROW_FIELDS.values() for name in names]
        targets = memoized(
            ticket,
            "verification.targets",
            lambda: list(
                ChangeItem.objects.filter(
                    ticket__customer_id=ticket.customer_id,
                    ticket__state__in=OPEN_STATES,
                    field__in=fields,
                    target_id__isnull=False,
                ).values_list("field", "ticket__reference", "target_id")
            ),
        )
        for item_field, reference, target in targets:
            assert target is not None  # target_id__isnull=False
            withheld[item_field.split(".")[0]][target] = _(
                "being changed by %(reference)s — not used for identity codes"
            ) % {"reference": reference}
    if not (unmasking or withholds_changed_contacts(ticket)):
        return withheld
    hours = memoized(ticket, "verification.cooling_off_hours", lambda: cooling_off_hours(ticket))
    if not hours:
        return withheld
    since = now - dt.timedelta(hours=hours)
    changes = recent_contact_changes(ticket.customer_id, since=since, ticket=ticket)
    for name, rows in changes.items():
        for pk, (what, at) in rows.items():
            withheld[name].setdefault(
                pk,
                _("%(what)s on %(when)s — not used for identity codes for %(hours)d h")
                % {
                    "what": what,
                    "when": formats.date_format(timezone.localtime(at), "j M H:i"),
                    "hours": hours,
                },
            )
    return withheld


def contacts_being_changed(
    ticket, now: dt.datetime | None = None, *, unmasking: bool = False
) -> dict[str, set[int]]:
    """The ids of `withheld_contacts`, by model name."""
    withheld = withheld_contacts(ticket, now, unmasking=unmasking)
    return {name: set(rows) for name, rows in withheld.items()}


@dataclass
class Progress:
    """What the wizard shows: what is needed, what has passed, what is missing."""

    required: int
    achieved: int
    passed: set[str] = field(default_factory=set)  # codes of the methods passed, still valid
    valid_until: dt.datetime | None = None
    lock: Lock | None = None
    unproven: list = field(default_factory=list)  # ChangeItems still to prove
    # A recent contact change that holds this security or billing change back
    # (approvals.rules.cooling_off): AL3 is what lifts it, with a second person's approval.
    cooling_off: object | None = None
    # What the passes that count contribute (the registry's grants), for methods_needed.
    grants: list[Grant] = field(default_factory=list)

    @property
    def target(self) -> int:
        """The level the wizard works toward: the policy's, or AL3 while a cooling-off
        holds. `verified` and `complete` stay on the policy's level: the cooling-off is
        enforced where the change is submitted and applied (approvals.rules), and a
        ticket verified at AL2 waits there until the period ends."""
        if self.cooling_off is not None:
            return max(self.required, AssuranceLevel.AL3)
        return self.required

    @property
    def verified(self) -> bool:
        """The caller is verified at the required level (new contacts aside)."""
        return self.lock is None and self.achieved >= self.required

    @property
    def complete(self) -> bool:
        return self.lock is None and self.achieved >= self.required and not self.unproven

    @property
    def methods_needed(self) -> list[str]:
        """The codes of the methods an agent can start that still help reach the target
        level (the registry's `helpful`), in the wizard's order."""
        offered = [m for m in methods() if m.panel_template and m.code not in self.passed]
        return [m.code for m in helpful(offered, have=self.grants, target=self.target)]

    @property
    def steps(self) -> list[tuple[VerificationMethod, bool]]:
        """The wizard's checklist: (method, passed) for each method an agent can start
        on a way to the target from nothing, and each method passed."""
        offered = [m for m in methods() if m.panel_template]
        toward = {m.code for m in helpful(offered, have=[], target=self.target)}
        return [(m, m.code in self.passed) for m in methods() if m.code in toward | self.passed]


def ticket_attempts(ticket) -> list[Attempt]:
    """Every attempt on the ticket, newest first, with who made it and where its code
    went: what the wizard's evidence list shows. On a page that asked for it (page_memo)
    read once, and the passes that count are taken from it (a ticket's attempts are few:
    failures lock the customer out)."""
    return memoized(
        ticket,
        "verification.attempts",
        lambda: list(
            Attempt.objects.filter(ticket=ticket).select_related(
                "staff", "challenge__email", "challenge__phone"
            )
        ),
    )


def _valid_passes(ticket, now: dt.datetime, *, unmasking: bool = False) -> list[Attempt]:
    """This ticket's identity passes that count now: within the validity window, of a
    registered method, and kept by the method's own rule (`counting`: a code to a contact
    withheld now counts for nothing). Oldest first. On a page that asked for it
    (page_memo), the ticket's passes are read once and the window applied to them here."""
    if memo_active(ticket):
        since = now - validity()
        rows = [
            row
            for row in ticket_attempts(ticket)
            if row.purpose == Purpose.IDENTITY
            and row.result == Result.PASSED
            and since < row.at <= now
        ]
    else:
        rows = list(
            Attempt.objects.filter(
                ticket=ticket,
                purpose=Purpose.IDENTITY,
                result=Result.PASSED,
                at__gt=now - validity(),
                at__lte=now,
            ).select_related("challenge")
        )
    by_method: dict[str, list[Attempt]] = {}
    for row in rows:
        by_method.setdefault(row.method, []).append(row)
    counted: list[Attempt] = []
    for code, passes in by_method.items():
        plugin = method(code)
        if plugin is not None:
            counted += plugin.counting(passes, ticket=ticket, now=now, unmasking=unmasking)
    return sorted(counted, key=lambda row: (row.at, row.id or 0))


def _grant(row: Attempt) -> Grant:
    plugin = method(row.method)
    return plugin.grant(row) if plugin is not None else Grant()


def _level(rows: list[Attempt]) -> int:
    return level_of(_grant(row) for row in rows)


def relied_on(rows: list[Attempt], level: int) -> list[Attempt]:
    """The passes `level` rests on: going from the oldest, each pass the level does not
    need once the older ones are gone is left out (an older pass of the same method, a
    document at AL2). The oldest pass kept is the first whose expiry lowers the level."""
    if not level:
        return []
    # Of passes that grant the same, only the newest can be needed: collapsing them first
    # keeps this a handful of rows however many rounds were passed.
    newest: dict[tuple[str, Grant], Attempt] = {}
    for row in sorted(rows, key=lambda row: (row.at, row.id or 0)):
        newest[(row.method, _grant(row))] = row
    kept = sorted(newest.values(), key=lambda row: (row.at, row.id or 0))
    for row in list(kept):
        rest = [other for other in kept if other is not row]
        if _level(rest) >= level:
            kept = rest
    return kept


def achieved_level(ticket, now: dt.datetime | None = None, *, unmasking: bool = False) -> int:
    """The level this ticket's valid passes reach now (0 while the customer is locked);
    `unmasking`: not counting a code to a contact changed within the cooling-off period,
    whatever the ticket's category (see `withheld_contacts`)."""
    now = now or timezone.now()
    if _ticket_lock(ticket, now) is not None:
        return 0
    return _level(_valid_passes(ticket, now, unmasking=unmasking))


def contact_items(ticket, *, policy=None, items=None) -> list:
    """The change items whose new e-mail or phone must be proven (dual confirmation)."""
    if ticket.category != Category.CONTACT:
        return []
    policy = policy or policy_for(client=ticket.client, category=ticket.category)
    if not policy.dual_confirmation:
        return []
    if items is None:
        items = _prefetched_items(ticket)
    if items is None:
        items = ticket.items.filter(field__in=NEW_CONTACT_FIELDS)
    return [item for item in items if item.field in NEW_CONTACT_FIELDS and item.new_value.strip()]


def unproven_contacts(ticket, *, policy=None, items=None) -> list:
    """Contact items whose current new value has no passed code of its own."""
    items = contact_items(ticket, policy=policy, items=items)
    if not items:
        return []
    proven = memoized(
        ticket,
        ("verification.proven", tuple(item.pk for item in items)),
        lambda: set(
            Attempt.objects.filter(
                ticket=ticket,
                purpose=Purpose.NEW_CONTACT,
                result=Result.PASSED,
                challenge__change_item__in=items,
            ).values_list("challenge__change_item_id", "challenge__new_value")
        ),
    )
    return [item for item in items if (item.pk, item.new_value) not in proven]


def progress(ticket, now: dt.datetime | None = None) -> Progress:
    # Imported here to break a real cycle: approvals.rules imports this module at load
    # (an upward edge, listed in .importlinter).
    from profiledesk.approvals.rules import cooling_off

    now = now or timezone.now()
    policy = policy_for(client=ticket.client, category=ticket.category)
    items = list(ticket.items.all())
    lock = _ticket_lock(ticket, now)
    passes = [] if lock else _valid_passes(ticket, now)
    level = _level(passes)
    # Valid until the earliest pass that the level relies on expires.
    relied = relied_on(passes, level)
    return Progress(
        required=required_level(ticket, policy=policy, items=items),
        achieved=level,
        passed={row.method for row in passes},
        valid_until=(min(row.at for row in relied) + validity()) if relied else None,
        lock=lock,
        unproven=unproven_contacts(ticket, policy=policy, items=items),
        cooling_off=cooling_off(ticket, now=now),
        grants=[_grant(row) for row in passes],
    )


@dataclass(frozen=True)
class Verified:
    """A verification that happened on a ticket: the level its identity passes reached,
    when and by whom the last of them was recorded, the passes it relied on, and until
    when it was valid. A fact with a time: it does not turn into "not yet" when it
    expires (issue 11)."""

    level: int
    at: dt.datetime
    by: User | None
    passes: list  # the Attempt rows it relied on, oldest first
    valid_until: dt.datetime

    def expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.valid_until


def verification_reached(ticket, *, attempts: list[Attempt] | None = None) -> Verified | None:
    """The highest level the ticket's identity passes reached within one validity window,
    the latest such moment; None if no pass reached a level. One query, none when the
    caller already read the ticket's `attempts` (with staff and challenge contacts). Passes
    are taken as recorded (a contact withheld since does not rewrite history; `progress`
    applies the rules of now)."""
    if attempts is None:
        attempts = list(
            Attempt.objects.filter(ticket=ticket).select_related(
                "staff", "challenge__email", "challenge__phone"
            )
        )
    rows = sorted(
        (a for a in attempts if a.purpose == Purpose.IDENTITY and a.result == Result.PASSED),
        key=lambda a: (a.at, a.id),
    )
    window = validity()
    best: Verified | None = None
    for end, last in enumerate(rows):
        within = [row for row in rows[: end + 1] if row.at > last.at - window]
        level = _level(within)
        if not level or (best is not None and level < best.level):
            continue
        relied = relied_on(within, level)
        best = Verified(
            level=level,
            at=last.at,
            by=last.staff,
            passes=relied,
            valid_until=min(row.at for row in relied) + window,
        )
    return best


def verification_missing(ticket, now: dt.datetime | None = None) -> str | None:
    """What stops the ticket leaving `verifying` for `ready`, or None. A rollback ticket
    with a standing compliance waiver (waivers.py) needs nothing more."""
    if waiver_standing(ticket) is not None:
        return None
    now = now or timezone.now()
    lock = _ticket_lock(ticket, now)
    if lock is not None:
        return _("Verification is locked for this customer until %(until)s.") % {
            "until": timezone.localtime(lock.locked_until).strftime("%H:%M")
        }
    needed = required_level(ticket)
    if _level(_valid_passes(ticket, now)) < needed:
        return _("Identity verification has not reached AL%(level)d yet.") % {"level": needed}
    unproven = unproven_contacts(ticket)
    if unproven:
        return _("Prove the new contact with its own code first: %(items)s.") % {
            "items": ", ".join(item.new_display or item.label for item in unproven)
        }
    return None


__all__ = [
    "Progress",
    "Verified",
    "achieved_level",
    "active_lock",
    "contact_items",
    "progress",
    "required_level",
    "unproven_contacts",
    "validity",
    "verification_missing",
    "verification_reached",
]
