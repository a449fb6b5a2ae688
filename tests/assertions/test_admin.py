"""The admin: a desk admin registers their client's app signing key (its public part only)
and sets the client's levels; every change audited, anything else a clear form error."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.assertions.models import AppKey, LevelPolicy
from profiledesk.assertions.services import assertion_verify
from tests.assertions.keys import ISSUER, claims_for, private_key, public_pem, sign
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
ADD_KEY = reverse("admin:assertions_appkey_add")
ADD_POLICY = reverse("admin:assertions_levelpolicy_add")


@pytest.fixture
def desk_admin(personas):
    return signed_in(personas["desk_admin"])


def key_form(client, pem: str, **overrides) -> dict:
    return {
        "client": client.pk,
        "issuer": ISSUER,
        "kid": "k1",
        "algorithm": "ES256",
        "public_key": pem,
        "is_active": "on",
        **overrides,
    }


def test_a_registered_key_is_audited_and_signs_for_the_client(desk_admin, northwind, customer):
    key = private_key("ES256")
    # Extra text around the PEM is not kept: only the key, re-encoded.
    response = desk_admin.post(ADD_KEY, key_form(northwind, f"\n{public_pem(key)}\n\n"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = AppKey.objects.get()
    assert stored.public_key == public_pem(key) and stored.created_by.username == "desk_admin"
    event = AuditEvent.objects.get(action="assertion_key.registered")
    assert event.data == {"issuer": ISSUER, "kid": "k1", "algorithm": "ES256"}
    assert event.actor.username == "desk_admin" and event.client == northwind
    token = sign(claims_for(customer), key)
    assert assertion_verify(client=northwind, token=token, customer_number=customer.number)


def _refused(desk_admin, form: dict) -> str:
    response = desk_admin.post(ADD_KEY, form)
    assert response.status_code == 200
    assert not AppKey.objects.exists()
    assert not AuditEvent.objects.filter(action="assertion_key.registered").exists()
    return str(response.context["adminform"].form.errors)


def test_a_private_key_pasted_as_the_public_one_is_refused_and_not_echoed(desk_admin, northwind):
    pem = (
        private_key("ES256")
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    errors = _refused(desk_admin, key_form(northwind, pem))
    assert "public key in PEM" in errors
    body = pem.splitlines()[1]
    assert body not in errors


@pytest.mark.parametrize(
    ("algorithm", "make", "message"),
    [
        ("HS256", lambda: public_pem(private_key("ES256")), "valid choice"),
        ("none", lambda: public_pem(private_key("ES256")), "valid choice"),
        ("ES256", lambda: public_pem(ec.generate_private_key(ec.SECP384R1())), "P-256"),
        ("ES256", lambda: public_pem(private_key("RS256")), "P-256"),
        # A weak key a client might still have: refused, which is the point.
        ("RS256", lambda: public_pem(rsa.generate_private_key(65537, 1024)), "2048"),  # noqa: S505
        ("EdDSA", lambda: public_pem(private_key("ES256")), "Ed25519"),
        ("ES256", lambda: "a shared secret", "public key in PEM"),
    ],
)
def test_a_key_that_does_not_suit_its_algorithm_is_refused(
    desk_admin, northwind, algorithm, make, message
):
    assert message in _refused(desk_admin, key_form(northwind, make(), algorithm=algorithm))


def test_a_key_of_another_client_cannot_be_registered(desk_admin, solaris):
    errors = _refused(desk_admin, key_form(solaris, public_pem(private_key("ES256"))))
    assert "clients you administer" in errors


def test_revoking_a_key_is_audited_and_it_then_signs_nothing(desk_admin, northwind, app, customer):
    changelist = reverse("admin:assertions_appkey_changelist")
    response = desk_admin.post(
        changelist, {"action": "revoke", "_selected_action": [app.registered.pk]}
    )
    assert response.status_code == 302
    app.registered.refresh_from_db()
    assert app.registered.revoked_at is not None and not app.registered.is_active
    assert AuditEvent.objects.filter(action="assertion_key.revoked").count() == 1
    # Revoked for good: the change page offers no way back.
    page = desk_admin.get(reverse("admin:assertions_appkey_change", args=[app.registered.pk]))
    assert "is_active" in page.context["adminform"].readonly_fields


def test_the_levels_are_set_per_client_and_audited(desk_admin, northwind):
    response = desk_admin.post(
        ADD_POLICY, {"client": northwind.pk, "levels": '{"pwd": 1, "otp + pwd": 2}'}
    )
    assert response.status_code == 302
    assert LevelPolicy.objects.get(client=northwind).levels == {"pwd": 1, "otp+pwd": 2}
    assert AuditEvent.objects.get(action="assertion_policy.changed").data == {
        "levels": {"pwd": 1, "otp+pwd": 2}
    }


@pytest.mark.parametrize(
    "levels",
    ['{"pwd": 3}', '{"pwd": -1}', '{"pwd": true}', '{"pwd": "2"}', '{"p w d": 1}', "[]", "{}"],
)
def test_levels_beyond_al2_or_malformed_are_refused(desk_admin, northwind, levels):
    response = desk_admin.post(ADD_POLICY, {"client": northwind.pk, "levels": levels})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not LevelPolicy.objects.exists()
