"""Red team (issue 11): the desk admin of the fraudster's target client zeroes the
cooling-off (and the approval tiers) of security and billing in the admin first.

That is the client's policy to set, and it is audited. What must still hold: the
takeover sequence is scored on a window of at least 24 h whatever the policy says, so
the pair needs someone other than the agent and all three end in security.
"""

import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.policies.defaults import policies_ensure_defaults
from profiledesk.policies.models import Policy
from profiledesk.tickets.models import State
from tests.approvals.desk import INSIDE, Desk, a_customer
from tests.approvals.test_takeover_sequence import play
from tests.conftest import signed_in


def _zero(http, policy) -> None:
    url = reverse("admin:policies_policy_change", args=[policy.pk])
    form = http.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if name in ("client", "category"):
            continue
        value = form.initial.get(name, field.initial)
        if isinstance(value, list):
            data[name] = value
        elif value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    data.update(cooling_off_hours=0, approval_tiers=0, approval_fields=[])
    assert http.post(url, data).status_code == 302


def test_a_zeroed_cooling_off_is_audited_and_the_sequence_still_ends_in_security(
    northwind, personas, codes
):
    customer = a_customer(northwind)
    policies_ensure_defaults(client=northwind)
    http = signed_in(personas["desk_admin"])
    for category in ("security", "billing"):
        _zero(http, Policy.objects.get(client=northwind, category=category))
    zeroed = Policy.objects.filter(client=northwind, category__in=["security", "billing"])
    assert set(zeroed.values_list("cooling_off_hours", "approval_tiers")) == {(0, 0)}
    events = AuditEvent.objects.filter(action="policy.changed", actor=personas["desk_admin"])
    assert events.count() == 2
    assert all(e.data["changed"]["cooling_off_hours"][1] == 0 for e in events)

    with time_machine.travel(INSIDE, tick=False) as clock:
        tickets = play(Desk(customer, personas, codes, clock), ["email", "password", "card"])
    assert [t.state for t in tickets] == [State.APPLIED, State.APPLIED, State.ESCALATED]
    assert not customer.cards.filter(holder_name="MALLORY").exists()
