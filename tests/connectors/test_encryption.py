"""Encrypted payloads (issue 15): a receiver registers a public key (a JWK) on its
connector and its scoped values travel as a JWE only its private key opens, signed like
every event. Abuse first: a private key pasted as the public one, hostile JWK JSON, a
wrong key, a key the desk cannot use. Sent through the real apply and the real delivery
task to a real local receiver; opened by docs/examples/webhook_receiver.py."""

import base64
import datetime as dt
import importlib.util
import json
import warnings
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from audit.models import AuditEvent
from profiledesk.apply.services import ticket_apply
from profiledesk.connectors.encryption import (
    MAX_CHARS,
    public_jwk_clean,
    public_jwk_parse,
    thumbprint,
)
from profiledesk.connectors.models import Connector, Delivery, Kind, Status
from profiledesk.connectors.services import DeliveryError, delivery_retry, scoped
from profiledesk.connectors.tasks import deliver
from tests.apply.helpers import applicable
from tests.approvals.helpers import WEDNESDAY
from tests.conftest import signed_in

from .helpers import SECRET, connector_for
from .test_admin_and_secrets import form

_spec = importlib.util.spec_from_file_location(
    "webhook_receiver", Path(settings.BASE_DIR) / "docs" / "examples" / "webhook_receiver.py"
)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)

ADD = reverse("admin:connectors_connector_add")
# Made once: an RSA key takes a moment to generate.
RSA_PRIVATE = RSAKey.generate_key(2048, private=True)
EC_PRIVATE = ECKey.generate_key("P-256", private=True)


def public(key) -> dict:
    return key.as_dict(private=False)


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def email_change(customer, personas, value="g.hopper@navy.example") -> Delivery:
    primary = customer.emails.get(is_primary=True)
    ticket = applicable(customer, personas, "contact", {"email": value, "email_target": primary.pk})
    ticket_apply(ticket=ticket, by=personas["agent"])
    return Delivery.objects.get(ticket=ticket)


def verified(request) -> dict:
    headers = request["headers"]
    return example.verify(
        secret=SECRET,
        headers=headers,
        body=request["body"],
        now=int(headers["x-profiledesk-timestamp"]),
    )


# --- Abuse: what a desk admin may paste --------------------------------------------------


@pytest.mark.parametrize("private", [RSA_PRIVATE, EC_PRIVATE], ids=["rsa", "ec"])
def test_a_private_key_pasted_as_the_public_one_is_refused_and_never_shown_again(
    personas, northwind, private
):
    pasted = json.dumps(private.as_dict(private=True))
    response = signed_in(personas["desk_admin"]).post(ADD, form(northwind, encryption_key=pasted))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is a private key" in page
    assert private.as_dict(private=True)["d"] not in page  # not echoed into the textarea
    assert not Connector.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="connectors.").exists()


HOSTILE = [
    ("x" * (MAX_CHARS + 1), "at most 8192 characters"),
    ('{"a":' * 1000 + "1" + "}" * 1000, "nests too deeply"),
    ("[" * 100_000, "at most 8192 characters"),
    ("[" * 5000, "nests too deeply"),
    ('{"kty": "RSA", "n": ' + "[" * 50 + "]" * 50 + "}", "nests too deeply"),
    ("not json", "Paste the key as JSON"),
    ("NaN", "Paste the key as JSON"),
    ("[1, 2]", "one JSON object"),
    ('{"keys": []}', "key set"),
    ('{"kty": "oct", "k": "c2VjcmV0"}', "private key"),  # a symmetric key is a secret too
    ('{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}', "kty"),
    ('{"kty": ["RSA"]}', "kty"),
    ('{"kty": "RSA", "n": 12, "e": "AQAB"}', "missing or is not a base64url string"),
    ('{"kty": "RSA", "n": "AQAB", "e": "AQAB"}', "not a valid RSA public key"),
    ('{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}', "not a valid EC public key"),
    ('{"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}', "P-256, P-384 or P-521"),
    ('{"kty": "RSA", "use": "sig", "n": "AQAB", "e": "AQAB"}', "not for encryption"),
    ('{"kty": "RSA", "alg": "RSA1_5", "n": "AQAB", "e": "AQAB"}', "RSA-OAEP-256"),
    ('{"kty": "RSA", "kid": "' + "k" * 500 + '", "n": "AQAB", "e": "AQAB"}', "key id"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_jwk_json_is_a_clear_form_error_never_a_500(personas, northwind, text, message):
    response = signed_in(personas["desk_admin"]).post(ADD, form(northwind, encryption_key=text))
    assert response.status_code == 200
    assert message in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert not Connector.objects.exists()


def test_an_rsa_key_below_2048_bits_is_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc's own warning about the size
        small = RSAKey.generate_key(1024, private=True)
    with pytest.raises(Exception, match="2048"):
        public_jwk_clean(public(small))


@given(text=st.text(max_size=300) | st.recursive(st.none() | st.text(), st.lists).map(json.dumps))
@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_pasted_text_is_a_key_or_a_validation_error(text):
    try:
        key = public_jwk_parse(text)
    except ValidationError as error:
        assert error.messages[0]
    else:  # random text is never a valid key, but if it were, it would be a public one
        assert key["kty"] in {"RSA", "EC"} and "d" not in key


def test_a_public_key_is_kept_without_extra_members_and_its_edit_is_audited(personas, northwind):
    pasted = {
        **public(RSA_PRIVATE),
        "kid": "crm-2026",
        "x-note": "<script>",
        "key_ops": ["wrapKey"],
    }
    response = signed_in(personas["desk_admin"]).post(
        ADD, form(northwind, encryption_key=json.dumps(pasted))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connector = Connector.objects.get()
    assert connector.encryption_key == {
        **public(RSA_PRIVATE),
        "kid": "crm-2026",
        "use": "enc",
        "alg": "RSA-OAEP-256",
    }
    event = AuditEvent.objects.get(action="connectors.connector_added")
    assert event.data["encryption_key"] == thumbprint(connector.encryption_key)
    assert "encryption_key" in event.data["changed"]

    # The change page shows the kept key, and saving it unchanged is not a key change.
    change = reverse("admin:connectors_connector_change", args=[connector.pk])
    http = signed_in(personas["desk_admin"])
    page = http.get(change).content.decode()
    assert "RSA-OAEP-256" in page
    kept = json.dumps(connector.encryption_key, indent=2)
    http.post(change, form(northwind, name="CRM v2", encryption_key=kept, secret=""))
    event = AuditEvent.objects.get(action="connectors.connector_changed")
    assert event.data["changed"] == ["name"]


# --- The payload --------------------------------------------------------------------------


@pytest.mark.parametrize("private", [RSA_PRIVATE, EC_PRIVATE], ids=["rsa-oaep-256", "ecdh-es"])
def test_the_jwe_opens_with_the_receivers_key_to_exactly_the_scoped_data_and_is_signed(
    customer, personas, northwind, receiver, clock, private
):
    connector = connector_for(
        northwind, url=receiver.url, kind=Kind.SUPPORT, encryption_key=public(private)
    )
    delivery = email_change(customer, personas, "g.hopper@navy.example")
    assert deliver.apply(args=[delivery.pk]).result == "delivered"

    [request] = receiver.requests
    assert b"g.hopper@navy.example" not in request["body"]  # nothing in clear on the wire
    event = verified(request)  # the HMAC over the whole body still holds
    assert "data" not in event and event["data_jwe"].count(".") == 4
    protected = event["data_jwe"].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    assert header["alg"] == {"RSA": "RSA-OAEP-256", "EC": "ECDH-ES"}[private.key_type]
    assert header["enc"] == "A256GCM" and "zip" not in header

    opened = example.decrypt(event, private_jwk=private.as_dict(private=True))
    # Exactly what a full connector of this scope would have got in clear.
    row = customer.emails.get(is_primary=True).pk
    [change] = opened["data"]["changes"]
    assert change["new"] == "g.hopper@navy.example" and change["row"] == row
    assert opened["data"]["customer"] == customer.number
    assert set(opened) == {*event} - {"data_jwe"} | {"data"}
    assert opened["data"] == scoped(opened["data"], scope=connector.scope)


def test_a_wrong_key_cannot_open_the_jwe(customer, personas, northwind, receiver, clock):
    connector_for(northwind, url=receiver.url, kind=Kind.CRM, encryption_key=public(RSA_PRIVATE))
    deliver.apply(args=[email_change(customer, personas).pk])
    event = verified(receiver.requests[0])
    for wrong in (RSAKey.generate_key(2048, private=True), EC_PRIVATE):
        with pytest.raises(JoseError):
            example.decrypt(event, private_jwk=wrong.as_dict(private=True))
    # Nor does anyone who tampers with it get past the signature.
    tampered = receiver.requests[0]["body"].replace(b'"data_jwe":"e', b'"data_jwe":"f')
    with pytest.raises(ValueError, match="bad signature"):
        verified({**receiver.requests[0], "body": tampered})


def test_a_retry_sends_the_same_encrypted_bytes(customer, personas, northwind, receiver, clock):
    connector_for(northwind, url=receiver.url, kind=Kind.CRM, encryption_key=public(EC_PRIVATE))
    receiver.answers = [500]
    delivery = email_change(customer, personas)
    deliver.apply(args=[delivery.pk])
    clock.shift(dt.timedelta(minutes=1))
    assert deliver.apply(args=[delivery.pk]).result == "delivered"
    first, second = receiver.requests
    assert first["body"] == second["body"]  # encrypted once, when the delivery was written


def test_a_key_the_desk_cannot_use_sends_nothing_in_clear_and_gives_up(
    customer, personas, northwind, receiver, clock
):
    connector = connector_for(
        northwind, url=receiver.url, kind=Kind.CRM, encryption_key=public(RSA_PRIVATE)
    )
    # A row written around the admin form (a shell, a fixture): not a key at all.
    Connector.objects.filter(pk=connector.pk).update(encryption_key={"kty": "RSA", "n": "AQAB"})
    delivery = email_change(customer, personas)
    assert delivery.status == Status.GAVE_UP
    assert "cannot encrypt" in delivery.last_error
    assert "data" not in delivery.event and "data_jwe" not in delivery.event
    assert "navy.example" not in json.dumps(delivery.event)
    assert deliver.apply(args=[delivery.pk]).result == "skipped" and receiver.requests == []
    with pytest.raises(DeliveryError, match="nothing to send"):
        delivery_retry(delivery=delivery, by=personas["supervisor"])


def test_the_admin_shows_an_encrypted_delivery_without_its_payload(
    customer, personas, northwind, clock
):
    connector_for(northwind, url="https://crm.example/hook", encryption_key=public(EC_PRIVATE))
    delivery = email_change(customer, personas)
    page = signed_in(personas["desk_admin"]).get(
        reverse("admin:connectors_delivery_change", args=[delivery.pk])
    )
    assert page.status_code == 200
    assert delivery.event["data_jwe"] not in page.content.decode()
    assert "JWE, " in page.content.decode()
