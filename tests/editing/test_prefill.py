"""intake.prefill: a captured change back into its form. Opening the edit form and saving
it with only what must be typed again typed again changes nothing (so an edit never
loses or alters an item the agent did not touch)."""

import pytest

from profiledesk.intake.capture import drafts_for
from profiledesk.intake.forms import form_for
from profiledesk.intake.prefill import form_prefill
from profiledesk.tickets.items import items_replace
from tests.factories import card_on_file

from .helpers import ADDRESS, captured

# category -> (what intake captured, what the agent types again: masked or secret values)
CASES = {
    "personal": (
        {"legal_name": "Grace B. Hopper", "preferred_name": "Amazing Grace", "gender": "female"},
        {},
    ),
    "contact": (
        {
            **ADDRESS,
            "address_line2": "Flat 2",
            "email": "grace@example.org",
            "phone": "+447911123456",
        },
        {
            "email": "grace@example.org",
            "phone": "+447911123456",
            "address_line1": "1 New Street",
            "address_line2": "Flat 2",
            "address_postal_code": "LS1 4AP",
        },
    ),
    "security": ({"password_reset": "on", "sign_out_everywhere": "on"}, {}),
    "preferences": ({"marketing_email": "True", "auto_renew": "False"}, {}),
    "language_region": ({"language": "es", "locale": "es-ES", "time_zone": "Europe/Madrid"}, {}),
    "organisation": ({"business_name": "Hopper Ltd", "job_title": "Rear Admiral"}, {}),
}


def _as_post(initial: dict) -> dict:
    """The form's initial values as the browser posts them back."""
    data = {}
    checkbox = ("primary", "default", "reset", "everywhere")  # the rest are Yes/No radios
    for name, value in initial.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on" if name.endswith(checkbox) else "True"
            elif not name.endswith(checkbox):
                data[name] = "False"
        elif isinstance(value, list):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    return data


@pytest.mark.parametrize("category", sorted(CASES))
def test_saving_the_prefilled_form_changes_nothing(customer, agent, category):
    captured_data, typed_again = CASES[category]
    ticket = captured(customer, agent, category=category, data=captured_data)
    prefill = form_prefill(category=category, items=ticket.items.all())
    assert {r.name for r in prefill.retype} == set(typed_again)
    form = form_for(category, customer=customer, data={**_as_post(prefill.initial), **typed_again})
    assert form.is_valid(), form.errors.as_json()
    drafts = drafts_for(category=category, cleaned_data=form.cleaned_data, customer=customer)
    assert items_replace(ticket=ticket, drafts=drafts, by=agent) == []


def test_secrets_and_pictures_are_never_prefilled(customer, agent):
    card_on_file(customer)
    ticket = captured(
        customer,
        agent,
        category="billing",
        data={
            "card_number": "5555555555554444",
            "card_exp_month": "12",
            "card_exp_year": "2031",
            "card_holder_name": "G HOPPER",
            "iban": "DE89370400440532013000",
            "account_holder": "Grace Hopper",
        },
    )
    prefill = form_prefill(category="billing", items=ticket.items.all())
    assert "card_number" not in prefill.initial and "iban" not in prefill.initial
    assert {"card_number", "iban"} <= {r.name for r in prefill.retype}
    assert prefill.initial["card_holder_name"] == "G HOPPER"
    shown = " ".join(r.shown for r in prefill.retype)
    assert "5555555555554444" not in shown and "4444" in shown
