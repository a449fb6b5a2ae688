"""How far identity verification has got on a ticket, against what its policy needs.

`verification_missing(ticket)` is the guard of the state machine's verifying -> ready move
(tickets.states), so everything a ticket needs before it may be submitted is decided
here, not in a template:

- the level (DESIGN 4): AL1 = a passed OTP or a passed security-question round, AL2 = both,
  AL3 = AL2 and a passed document check. Only passes on this ticket within the last
  `VALIDITY` (30 minutes) count; for a security change, an OTP counts only if it went to a
  contact that is not being changed (DESIGN 5);
- no active lock-out of the customer;
- dual confirmation: every new e-mail or phone of a contact change is proven by its own
  code (when the client's policy asks for it);
- or, for a rollback ticket only, a waiver recorded by compliance (waivers.py): the
  customer is not on the line to verify anything.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from profiledesk.policies.categories import AssuranceLevel, Category
from profiledesk.policies.defaults import policy_for

from .models import Attempt, Lock, Method, Purpose, Result

# A verification is valid for its ticket this long (DESIGN 4).
VALIDITY = dt.timedelta(minutes=getattr(settings, "VERIFICATION_VALID_MINUTES", 30))
# The change items whose new value must be proven by its own code (dual confirmation),
# and the OTP channel that proves it.
NEW_CONTACT_FIELDS = {"emailaddress.email": "email", "phonenumber.number": "sms"}
# Change items that change an existing e-mail or phone row (`target_id`).
_CONTACT_ROW_FIELDS = {
    "emailaddress": ("emailaddress.email", "emailaddress.is_primary"),
    "phonenumber": ("phonenumber.number", "phonenumber.is_primary", "phonenumber.kind"),
}


def required_level(ticket, *, policy=None, items=None) -> int:
    """The policy's level for the category; AL3 when a stricter field is changed."""
    policy = policy or policy_for(client=ticket.client, category=ticket.category)
    if items is None:
        fields = set(ticket.items.values_list("field", flat=True))
    else:
        fields = {item.field for item in items}
    if fields & set(policy.stricter_fields):
        return AssuranceLevel.AL3
    return policy.verification_level


def active_lock(customer, now: dt.datetime | None = None) -> Lock | None:
    if customer is None:
        return None
    now = now or timezone.now()
    return Lock.objects.filter(customer=customer, locked_until__gt=now).first()


def contacts_being_changed(ticket, now: dt.datetime | None = None) -> dict[str, set[int]]:
    """E-mail and phone rows (by model name) that a contact change touches: targets of the
    customer's open tickets' items, and contacts proven only within the policy's
    cooling-off period (a contact just added or replaced is not yet trusted)."""
    from profiledesk.customers.models import EmailAddress, PhoneNumber
    from profiledesk.tickets.models import OPEN_STATES, ChangeItem

    now = now or timezone.now()
    changed: dict[str, set[int]] = {"emailaddress": set(), "phonenumber": set()}
    if ticket.customer_id is None:
        return changed
    fields = [name for names in _CONTACT_ROW_FIELDS.values() for name in names]
    targets = ChangeItem.objects.filter(
        ticket__customer_id=ticket.customer_id,
        ticket__state__in=OPEN_STATES,
        field__in=fields,
        target_id__isnull=False,
    ).values_list("field", "target_id")
    for item_field, target in targets:
        changed[item_field.split(".")[0]].add(target)
    hours = policy_for(client=ticket.client, category=ticket.category).cooling_off_hours
    if hours:
        since = now - dt.timedelta(hours=hours)
        for model in (EmailAddress, PhoneNumber):
            recent = model.objects.filter(customer_id=ticket.customer_id, verified_at__gt=since)
            changed[model._meta.model_name].update(recent.values_list("pk", flat=True))
    return changed


@dataclass
class Progress:
    """What the wizard shows: what is needed, what has passed, what is missing."""

    required: int
    achieved: int
    passed: set[str] = field(default_factory=set)  # Method values passed and still valid
    valid_until: dt.datetime | None = None
    lock: Lock | None = None
    unproven: list = field(default_factory=list)  # ChangeItems still to prove

    @property
    def verified(self) -> bool:
        """The caller is verified at the required level (new contacts aside)."""
        return self.lock is None and self.achieved >= self.required

    @property
    def complete(self) -> bool:
        return self.lock is None and self.achieved >= self.required and not self.unproven

    @property
    def methods_needed(self) -> list[str]:
        """The methods that still help reach the required level."""
        needed = []
        if self.required >= AssuranceLevel.AL2:
            needed = [m for m in (Method.OTP, Method.QUESTIONS) if m not in self.passed]
        elif not self.passed & {Method.OTP, Method.QUESTIONS}:
            needed = [Method.OTP, Method.QUESTIONS]
        if self.required >= AssuranceLevel.AL3 and Method.DOCUMENT not in self.passed:
            needed.append(Method.DOCUMENT)
        return needed


def _valid_passes(ticket, now: dt.datetime) -> dict[str, dt.datetime]:
    """{method: when it passed} for this ticket's identity passes still valid now."""
    rows = Attempt.objects.filter(
        ticket=ticket,
        purpose=Purpose.IDENTITY,
        result=Result.PASSED,
        at__gt=now - VALIDITY,
        at__lte=now,
    ).select_related("challenge")
    rows = list(rows)
    excluded: dict[str, set[int]] | None = None
    if ticket.category == Category.SECURITY and any(r.method == Method.OTP for r in rows):
        excluded = contacts_being_changed(ticket, now)
    passes: dict[str, dt.datetime] = {}
    for row in rows:
        if row.method == Method.OTP and excluded is not None:
            challenge = row.challenge
            if challenge is None or (
                challenge.email_id in excluded["emailaddress"]
                or challenge.phone_id in excluded["phonenumber"]
            ):
                continue
        passes[row.method] = max(row.at, passes.get(row.method, row.at))
    return passes


def _level(passed) -> int:
    level = 0
    if Method.OTP in passed or Method.QUESTIONS in passed:
        level = AssuranceLevel.AL1
    if Method.OTP in passed and Method.QUESTIONS in passed:
        level = AssuranceLevel.AL2
        if Method.DOCUMENT in passed:
            level = AssuranceLevel.AL3
    return level


def achieved_level(ticket, now: dt.datetime | None = None) -> int:
    """The level this ticket's valid passes reach now (0 while the customer is locked)."""
    now = now or timezone.now()
    if active_lock(ticket.customer, now) is not None:
        return 0
    return _level(_valid_passes(ticket, now))


def contact_items(ticket, *, policy=None, items=None) -> list:
    """The change items whose new e-mail or phone must be proven (dual confirmation)."""
    if ticket.category != Category.CONTACT:
        return []
    policy = policy or policy_for(client=ticket.client, category=ticket.category)
    if not policy.dual_confirmation:
        return []
    if items is None:
        items = ticket.items.filter(field__in=NEW_CONTACT_FIELDS)
    return [item for item in items if item.field in NEW_CONTACT_FIELDS and item.new_value.strip()]


def unproven_contacts(ticket, *, policy=None, items=None) -> list:
    """Contact items whose current new value has no passed code of its own."""
    items = contact_items(ticket, policy=policy, items=items)
    if not items:
        return []
    proven = set(
        Attempt.objects.filter(
            ticket=ticket,
            purpose=Purpose.NEW_CONTACT,
            result=Result.PASSED,
            challenge__change_item__in=items,
        ).values_list("challenge__change_item_id", "challenge__new_value")
    )
    return [item for item in items if (item.pk, item.new_value) not in proven]


def progress(ticket, now: dt.datetime | None = None) -> Progress:
    now = now or timezone.now()
    policy = policy_for(client=ticket.client, category=ticket.category)
    items = list(ticket.items.all())
    lock = active_lock(ticket.customer, now)
    passes = {} if lock else _valid_passes(ticket, now)
    level = _level(passes)
    # Valid until the earliest pass that the level relies on expires.
    relied = [passes[m] for m in passes if level >= _needs(m)]
    return Progress(
        required=required_level(ticket, policy=policy, items=items),
        achieved=level,
        passed=set(passes),
        valid_until=(min(relied) + VALIDITY) if relied and level else None,
        lock=lock,
        unproven=unproven_contacts(ticket, policy=policy, items=items),
    )


def _needs(method: str) -> int:
    return AssuranceLevel.AL3 if method == Method.DOCUMENT else AssuranceLevel.AL1


def verification_missing(ticket, now: dt.datetime | None = None) -> str | None:
    """What stops the ticket leaving `verifying` for `ready`, or None. A rollback ticket
    with a standing compliance waiver (waivers.py) needs nothing more."""
    from .waivers import waiver_standing

    if waiver_standing(ticket) is not None:
        return None
    now = now or timezone.now()
    lock = active_lock(ticket.customer, now)
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
    "VALIDITY",
    "Progress",
    "achieved_level",
    "active_lock",
    "contact_items",
    "progress",
    "required_level",
    "unproven_contacts",
    "verification_missing",
]
