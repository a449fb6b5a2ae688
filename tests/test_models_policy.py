"""House rules of the profile of record (docs/design.md §2), held as tests so that a new field or
a new model cannot quietly break them."""

import re

import pytest
from django.db import connection

from audit.services import audit_record
from profiledesk.customers.models import PROFILE_MODELS, PaymentCard
from tests.factories import card_on_file

CARD = "4012 8888 8888 1881"
CARD_DIGITS = CARD.replace(" ", "")


def _classifiable_fields(model) -> set[str]:
    """Every column the model stores, except the automatic primary key."""
    return {f.name for f in model._meta.get_fields() if f.concrete and not f.auto_created}


@pytest.mark.parametrize("model", PROFILE_MODELS, ids=lambda m: m.__name__)
def test_every_field_of_every_profile_model_has_a_sensitivity_class(model):
    unclassified = _classifiable_fields(model) - set(model.field_policies)
    assert not unclassified, f"{model.__name__}: add these to field_policies: {unclassified}"


@pytest.mark.parametrize("model", PROFILE_MODELS, ids=lambda m: m.__name__)
def test_no_sensitivity_class_names_a_field_the_model_does_not_have(model):
    # A renamed field must not leave its old policy behind while the new name goes unclassified.
    assert set(model.field_policies) <= _classifiable_fields(model)


def _add_card(customer, number: str) -> PaymentCard:
    """What the desk does with a card number typed by an agent: vault it, keep the token."""
    card = card_on_file(customer, number, holder_name="GRACE HOPPER")
    audit_record(
        action="customer.card_added",
        client=customer.client,
        target=customer,
        data={"brand": card.brand, "last4": card.last4},
    )
    return card


def _every_stored_value() -> dict[str, list[str]]:
    """{table: [every value of every row, as text]} for every table in the database."""
    stored: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            stored[table] = [
                bytes(value).decode(errors="replace")
                if isinstance(value, bytes | memoryview)
                else str(value)
                for row in cursor.fetchall()
                for value in row
            ]
    return stored


def test_a_card_number_is_stored_nowhere_once_the_desk_has_taken_it(customer):
    card = _add_card(customer, CARD)
    card.exp_year = 2031
    card.save(update_fields=["exp_year"])  # a second history row

    stored = _every_stored_value()

    # The scan sees the card and its history (so it would see a number stored there).
    assert card.vault_token in stored[PaymentCard._meta.db_table]
    assert stored[PaymentCard.history.model._meta.db_table].count(card.vault_token) == 2
    leaks = {
        table
        for table, values in stored.items()
        for value in values
        if CARD_DIGITS in re.sub(r"[\s-]", "", value)
    }
    assert not leaks, f"the full card number is stored in {sorted(leaks)}"


def test_the_desk_keeps_at_most_bin_and_last_four_of_a_card(customer):
    card = _add_card(customer, CARD)
    assert (card.bin, card.last4) == ("401288", "1881")
    assert card.display_number == "4012 88•• •••• 1881"
