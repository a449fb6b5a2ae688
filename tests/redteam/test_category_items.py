"""Red team (issue 11): a takeover step smuggled into a ticket of a milder category.

Cooling-off, withheld code destinations and the policy's level are decided by the
ticket's category; the takeover score by its items. An e-mail, a password reset, a card
or a bank account sent from a client system under "personal", "preferences" or
"organisation" would be captured under the milder category's rules. The API refuses a
field of another category (400, by field) and opens no ticket, for every pair.
"""

import pytest

from profiledesk.api.changes import API_CATEGORIES
from profiledesk.intake.forms import FORMS
from profiledesk.tickets.models import Ticket
from tests.api.conftest import api, northwind_key, submit  # noqa: F401

STEPS = {
    "email": {"email": "mallory@evil.example"},
    "phone": {"phone": "+44 7700 900123"},
    "password_reset": {"password_reset": True},
    "two_factor_reset": {"two_factor_reset": True},
    "card_number": {"card_number": "4111111111111111", "card_exp_month": 3, "card_exp_year": 2031},
    "iban": {"iban": "GB82WEST12345698765432", "account_holder": "MALLORY"},
}
CASES = [
    (category, step)
    for category in API_CATEGORIES
    for step in STEPS
    if step not in FORMS[category].base_fields
]


@pytest.mark.parametrize(("category", "step"), CASES)
def test_a_takeover_step_under_another_category_is_refused(api, customer, category, step):  # noqa: F811
    changes = STEPS[step]
    response = submit(api, {"customer": customer.number, "category": category, "changes": changes})
    assert response.status_code == 400
    assert step in response.json()["changes"]
    assert "Not a field of" in response.json()["changes"][step][0]
    assert not Ticket.objects.exists()
