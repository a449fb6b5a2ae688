"""Running seed_demo again adds nothing; asking for more adds only what is missing."""

import pytest
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from profiledesk.accounts.models import User
from profiledesk.clients.models import Client, Membership
from profiledesk.customers import models as m
from profiledesk.customers.models import PROFILE_MODELS
from profiledesk.demo.seeding import demo_seed
from profiledesk.vault.models import VaultedIban


def _counts() -> dict[str, int]:
    tables = [Client, User, Membership, TOTPDevice, VaultedIban, *PROFILE_MODELS]
    counts = {model.__name__: model.objects.count() for model in tables}
    tables_with_history = [Client, User, Membership, *PROFILE_MODELS]
    counts |= {
        f"history of {model.__name__}": model.history.count() for model in tables_with_history
    }
    return counts


@pytest.mark.django_db
def test_a_second_run_changes_no_counts(seed):
    seed(customers=60)
    first = _counts()

    seed(customers=60)

    assert _counts() == first
    assert first["Customer"] == 60


@pytest.mark.django_db
def test_a_bigger_run_adds_the_missing_customers_only(seed):
    seed(customers=40)
    before = dict(m.PersonalDetails.objects.values_list("customer__number", "legal_name"))

    seed(customers=60)

    after = dict(m.PersonalDetails.objects.values_list("customer__number", "legal_name"))
    assert len(after) == 60
    assert {number: after[number] for number in before} == before
    assert m.Customer.history.filter(history_type="+").count() == 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="forks only on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_one_process_a_client_seeds_the_same_customers(demo_mode, logins_file):
    lines = []

    result = demo_seed(customers=40, logins_path=logins_file, progress=lines.append, jobs=2)

    assert "one process a client" in lines[0]
    assert result.customers_created == {"northwind": 20, "solaris": 20}
    assert m.Customer.objects.count() == 40
    assert m.PersonalDetails.history.count() == 40
    assert result.changes == sum(
        model.history.filter(history_type="~").count() for model in PROFILE_MODELS
    )
