"""Red team (issue 11): the history page is another way to the current values.

Supervisors and compliance reveal a customer's details on the profile only with a typed
reason, recorded. The newest version on the history page *is* the current value: its
Reveal must ask for the same reason, or the history page unmasks the national ID with
none.
"""

import json

from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import signed_in

NATIONAL_ID = "QQ123456C"


def _reveal(user, customer, *, reason=None, **headers):
    version = customer.personal.history.latest()  # the national ID as it is now
    url = reverse(
        "audit:history_reveal",
        args=[customer.pk, "personaldetails", version.history_id, "national_id"],
    )
    data = {} if reason is None else {"reason": reason}
    return signed_in(user).post(url, data, headers=headers)


def test_the_current_national_id_is_not_revealed_from_the_history_without_a_reason(
    customer, personas
):
    for headers in ({}, {"HX-Request": "true"}):
        response = _reveal(personas["compliance"], customer, reason="  ", **headers)
        assert NATIONAL_ID not in response.content.decode()
        assert "Give the reason" in response.content.decode()
    assert _reveal(personas["compliance"], customer).status_code == 400
    assert not AuditEvent.objects.filter(action="history.value_revealed").exists()


def test_with_a_typed_reason_it_is_revealed_and_the_reason_recorded(customer, personas):
    response = _reveal(
        personas["compliance"], customer, reason="Complaint 4411: 4111 1111 1111 1111"
    )
    assert response.status_code == 200
    assert NATIONAL_ID in response.content.decode()
    event = AuditEvent.objects.get(action="history.value_revealed")
    assert event.data["reason"] == "Complaint 4411: 411111••••••1111"
    assert NATIONAL_ID not in json.dumps(event.data)


def test_the_history_page_asks_compliance_for_the_reason(customer, personas):
    page = signed_in(personas["compliance"]).get(
        reverse("audit:customer_history", args=[customer.pk])
    )
    assert 'name="reason"' in page.content.decode()
