"""Rotating MESSAGE_ENCRYPTION_KEY (or SECRET_KEY, from which the key is derived when none
is set) without downtime: the new key first and the old one after it, every process
decrypts both; `reseal_secrets` re-encrypts connectors' secrets, open deliveries' sealed
values and unsent messages with the new key; then the old key can go."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from profiledesk.connectors.models import Connector
from profiledesk.connectors.services import SEALED, deliveries_create
from profiledesk.messaging import crypto
from tests.connectors.helpers import EVENT, SECRET, connector_for, mark_applied
from tests.factories import TicketFactory
from verification.services import code_hash, code_matches

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_the_first_key_encrypts_and_every_listed_key_decrypts(settings):
    settings.MESSAGE_ENCRYPTION_KEY = OLD
    sealed_before = crypto.seal({"code": "123456"})
    settings.MESSAGE_ENCRYPTION_KEY = f"{NEW}, {OLD}"
    assert crypto.unseal(sealed_before) == {"code": "123456"}  # a message queued before
    sealed_after = crypto.seal({"code": "654321"})
    settings.MESSAGE_ENCRYPTION_KEY = NEW
    assert crypto.unseal(sealed_after) == {"code": "654321"}
    with pytest.raises(ValueError):
        crypto.unseal(sealed_before)  # the old key is gone, and nothing was resealed


@pytest.mark.django_db
def test_reseal_lets_the_old_key_go_for_connector_secrets_and_open_deliveries(
    settings, northwind, customer, agent
):
    settings.MESSAGE_ENCRYPTION_KEY = OLD
    settings.CONNECTOR_ALLOW_HTTP = True
    connector = connector_for(northwind, url="https://crm.example/hooks")
    ticket = TicketFactory(customer=customer, created_by=agent, category="contact")
    mark_applied(ticket)
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    delivery.event = {**delivery.event, SEALED: crypto.seal({"secret_field": "x"})}
    delivery.save(update_fields=["event"])

    settings.MESSAGE_ENCRYPTION_KEY = f"{NEW},{OLD}"
    call_command("reseal_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.MESSAGE_ENCRYPTION_KEY = NEW
    assert Connector.objects.get(pk=connector.pk).secret() == SECRET
    delivery.refresh_from_db()
    assert crypto.unseal(delivery.event[SEALED]) == {"secret_field": "x"}


@pytest.mark.django_db
def test_reseal_covers_a_given_up_delivery_a_supervisor_may_still_retry(
    settings, northwind, customer, agent
):
    """Red team: a delivery that gave up keeps its sealed values (a supervisor's retry
    sends them); resealed only while open, it could never be sent once the old key went."""
    from profiledesk.connectors.models import Delivery, Status
    from profiledesk.connectors.services import delivery_give_up, outgoing_event

    settings.MESSAGE_ENCRYPTION_KEY = OLD
    settings.CONNECTOR_ALLOW_HTTP = True
    connector_for(northwind, url="https://crm.example/hooks")
    ticket = TicketFactory(customer=customer, created_by=agent, category="contact")
    mark_applied(ticket)
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    delivery.event = {**delivery.event, SEALED: crypto.seal({"secret_field": "x"})}
    delivery.save(update_fields=["event"])
    delivery_give_up(delivery_id=delivery.pk, error="HTTP 500")
    assert Delivery.objects.get(pk=delivery.pk).status == Status.GAVE_UP

    settings.MESSAGE_ENCRYPTION_KEY = f"{NEW},{OLD}"
    call_command("reseal_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.MESSAGE_ENCRYPTION_KEY = NEW
    delivery.refresh_from_db()
    assert outgoing_event(delivery.event)["data"]["secret_field"] == "x"


@pytest.mark.django_db
def test_a_secret_key_rotation_keeps_connectors_working_through_the_fallback(settings, northwind):
    settings.MESSAGE_ENCRYPTION_KEY = ""
    settings.SECRET_KEY = "old-secret-key-" + "a" * 50
    settings.SECRET_KEY_FALLBACKS = []
    connector = connector_for(northwind, url="https://crm.example/hooks", secret="whsec-1")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = (
        "new-secret-key-" + "b" * 50,
        ["old-secret-key-" + "a" * 50],
    )
    assert Connector.objects.get(pk=connector.pk).secret() == "whsec-1"
    call_command("reseal_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.SECRET_KEY_FALLBACKS = []
    assert Connector.objects.get(pk=connector.pk).secret() == "whsec-1"


@pytest.mark.django_db
def test_reseal_without_the_old_key_changes_nothing_and_says_why(settings, northwind):
    settings.MESSAGE_ENCRYPTION_KEY = OLD
    connector = connector_for(northwind, url="https://crm.example/hooks")
    before = Connector.objects.get(pk=connector.pk).secret_encrypted
    settings.MESSAGE_ENCRYPTION_KEY = NEW
    with pytest.raises(CommandError, match="old key"):
        call_command("reseal_secrets")
    assert Connector.objects.get(pk=connector.pk).secret_encrypted == before


def test_an_identity_code_sent_before_a_secret_key_rotation_still_matches(settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-secret-key-" + "a" * 50, []
    stored = code_hash("123456")
    settings.SECRET_KEY = "new-secret-key-" + "b" * 50
    settings.SECRET_KEY_FALLBACKS = ["old-secret-key-" + "a" * 50]
    assert code_matches("123456", stored)
    assert not code_matches("654321", stored)
    settings.SECRET_KEY_FALLBACKS = []
    assert not code_matches("123456", stored)  # the old key gone: no code of its own
