"""When a machine may apply a change a person used to check (issue 18). Everything here is
read on the ticket's locked row by `services.straight_through_try`, after the risk was
re-assessed; each check returns why the ticket stays in the queue, or None.

Automation decides nothing the desk's steps do not already decide: the verification
level is `verification.status.verification_missing`, approvals `approvals.rules.plan_for`,
cooling-off and freezes the approvals' rules, and the moves themselves are made by
`verification_complete` and `ticket_apply`, which check their own rules again. What it
adds is what a bank's identity team asks of a machine on top:

- the category is one a machine may apply at all: never a credential (security), a
  payment means (billing), an organisation's authority or a linked sign-in account
  (`NEVER_AUTOMATED`), nor one whose policy asks an approval, AL3 or a document (refused
  when switching on, `switch_on_problem`); a stolen app session must not be enough to
  take an account over;
- the client switched automation on for this category (the kill switch; default off);
- the request came from the client's own app or API (channel app/api, sent with an API
  key), not from a desk, the portal or an e-mail;
- no agent has it in hand, and no agent recorded any of the evidence (every valid
  identity pass has no staff member): the machine does not finish a person's work;
- the risk is low and no rule found anything, outside business hours aside (an app is
  used at night; that alone is no sign of fraud).
"""

from django.utils.translation import gettext as _

from profiledesk.approvals.rules import cooling_off_problem, frozen_problem, plan_for
from profiledesk.clients.models import Client
from profiledesk.policies.categories import AssuranceLevel, Category
from profiledesk.policies.defaults import policy_for
from profiledesk.tickets.models import Channel, RiskLevel, State, Ticket
from verification.models import Attempt
from verification.status import verification_missing

from .selectors import (
    api_key_name,
    api_key_revoked,
    automation_enabled,
    person_touched,
    revoked_signing_keys,
)

# The states automation starts from: a request not yet worked by anyone.
CANDIDATE_STATES = (State.NEW, State.VERIFYING)
CHANNELS = (Channel.API, Channel.APP)
# Risk rules that alone do not keep a low-risk request from automation.
HARMLESS_RISK_RULES = frozenset({"outside_business_hours"})
# What a bank's identity team keeps for a person, whatever a switch says: credentials
# (password, 2FA), payment means, an organisation's authority, accounts linked for sign-in.
NEVER_AUTOMATED = frozenset(
    {Category.SECURITY, Category.BILLING, Category.ORGANISATION, Category.LINKED_ACCOUNTS}
)


# Where the customer hears of changes made to their profile: the channel a victim would
# learn of a takeover by. Moving it is how an attacker silences them first, so it is a
# person's decision even in a category switched on. `ChangeItem.field`, as the policies'
# approval fields name them.
NEVER_AUTOMATED_FIELDS = frozenset(
    {"preferences.confirm_by_email", "preferences.confirm_by_sms", "preferences.confirm_in_app"}
)


def _label(category: str) -> str:
    return str(Category(category).label).lower()


def category_problem(ticket: Ticket) -> str | None:
    if ticket.category not in NEVER_AUTOMATED:
        return None
    return _("%(category)s changes always need a person") % {"category": _label(ticket.category)}


def items_problem(ticket: Ticket) -> str | None:
    """One query: the ticket's change touches a field a machine never changes."""
    touched = set(ticket.items.values_list("field", flat=True))
    if touched & NEVER_AUTOMATED_FIELDS:
        return _("it changes where the customer is told of changes")
    return None


def switch_on_problem(*, client: Client, category: str) -> str | None:
    """Why automation may not be switched on for the client's category, or None. The
    category's policy must let a request through without a person's decision: no
    approval of every request, no document, below AL3 (an app sign-in never reaches AL3).
    Asked again on every try: a switch row written around the service, or a policy made
    stricter after the switch, holds the request too."""
    if category in NEVER_AUTOMATED:
        return _("%(category)s changes always need a person") % {"category": _label(category)}
    policy = policy_for(client=client, category=category)
    if (
        policy.approval_tiers
        or policy.documents_required
        or policy.verification_level >= AssuranceLevel.AL3
    ):
        return _(
            "%(category)s changes need an approval, a document or AL3 under this client's "
            "policy: a person decides them"
        ) % {"category": _label(category)}
    return None


def switch_problem(ticket: Ticket) -> str | None:
    if automation_enabled(client_id=ticket.client_id, category=ticket.category):
        return None
    return _("automation off for %(category)s") % {
        "category": str(Category(ticket.category).label).lower()
    }


def channel_problem(ticket: Ticket, key_name: str | None) -> str | None:
    if ticket.channel in CHANNELS and key_name is not None:
        return None
    return _("not sent by the client's app or API")


def hands_problem(ticket: Ticket, passes: list[Attempt]) -> str | None:
    if ticket.assignee_id is not None:
        return _("an agent is working it")
    if ticket.customer_id is None:
        return _("not matched to a customer")
    if not passes:
        return _("no valid identity evidence")
    if any(attempt.staff_id is not None for attempt in passes):
        return _("an agent took part in verifying the customer")
    if person_touched(ticket):
        # Claimed and released, edited, noted: what the app's evidence vouched for may
        # no longer be what the ticket holds, and a person's work is a person's to finish.
        return _("a person has worked on it")
    return None


def key_problem(ticket: Ticket, passes: list[Attempt]) -> str | None:
    """The keys the request came with must still be good when the machine acts on it:
    a client revokes a leaked key, and what it sent that is still waiting applies
    nothing (a person may still verify and apply it)."""
    if api_key_revoked(ticket):
        return _("the API key it was sent with was revoked")
    revoked = revoked_signing_keys(ticket, passes)
    if revoked:
        return _("the app's signing key %(kid)s was revoked") % {"kid": ", ".join(revoked)[:64]}
    return None


def risk_problem(ticket: Ticket) -> str | None:
    """Low, and nothing found but `HARMLESS_RISK_RULES`."""
    found = [
        reason
        for reason in ticket.risk_reasons or []
        if isinstance(reason, dict) and reason.get("rule") not in HARMLESS_RISK_RULES
    ]
    if ticket.risk_level == RiskLevel.LOW and not found:
        return None
    reasons = " ".join(str(reason.get("reason") or reason.get("rule")) for reason in found)
    return _("risk %(level)s (%(score)d points%(reasons)s)") % {
        "level": RiskLevel(ticket.risk_level).label.lower(),
        "score": ticket.risk_score,
        "reasons": f": {reasons}" if reasons else "",
    }


def approval_problem(ticket: Ticket) -> str | None:
    plan = plan_for(ticket)
    if not plan.tiers:
        return None
    return _("approval required by policy (%(reasons)s)") % {
        "reasons": "; ".join(str(reason) for reason in plan.reasons)
    }


def hold_reason(ticket: Ticket, *, passes: list[Attempt]) -> str | None:
    """Why this candidate ticket stays in the queue, or None: it may be applied now.
    The cheap and decisive checks first; each is what the timeline says."""
    key_name = api_key_name(ticket)
    return (
        category_problem(ticket)
        or switch_problem(ticket)
        or items_problem(ticket)
        or channel_problem(ticket, key_name)
        or hands_problem(ticket, passes)
        or key_problem(ticket, passes)
        or frozen_problem(ticket)
        or verification_missing(ticket)
        or cooling_off_problem(ticket)
        or risk_problem(ticket)
        or approval_problem(ticket)
        or switch_on_problem(client=ticket.client, category=ticket.category)
    )
