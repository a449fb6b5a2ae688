"""assertion_verify: every way a forged, stale, foreign or replayed assertion is refused,
and what an accepted one proves."""

import base64
import json
import time
import uuid

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.assertions.models import AppKey, UsedAssertion
from profiledesk.assertions.services import (
    AssertionRefused,
    app_key_revoke,
    assertion_verify,
    level_policy_save,
)
from tests.assertions.keys import AppSigner, claims_for, private_key, public_pem, sign
from tests.factories import complete_customer

pytestmark = pytest.mark.django_db


def refused(client, token, customer) -> AssertionRefused:
    with pytest.raises(AssertionRefused) as caught:
        assertion_verify(client=client, token=token, customer_number=customer.number)
    return caught.value


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- the attacker's cases first ----------------------------------------------------------


def test_a_token_signed_with_another_key_is_a_bad_signature(northwind, customer, app):
    forged = sign(claims_for(customer), private_key("ES256"), kid=app.kid)
    refusal = refused(northwind, forged, customer)
    assert (refusal.reason, refusal.status) == ("bad_signature", 401)
    assert not UsedAssertion.objects.exists()


def test_a_changed_claim_breaks_the_signature(northwind, customer, app):
    header, payload, signature = app.token(customer).split(".")
    other = complete_customer(northwind)
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered = f"{header}.{b64({**claims, 'sub': other.number})}.{signature}"
    assert refused(northwind, tampered, other).reason == "bad_signature"


def test_alg_none_is_refused(northwind, customer, app):
    unsigned = jwt.encode(claims_for(customer), None, algorithm="none", headers={"kid": "k1"})
    refusal = refused(northwind, unsigned, customer)
    assert (refusal.reason, refusal.status) == ("algorithm_refused", 401)


def test_hs256_with_the_public_key_as_the_secret_is_refused(northwind, customer, app):
    # The classic confusion: a verifier that took the PEM as an HMAC secret would accept it.
    header = b64({"alg": "HS256", "typ": "JWT", "kid": "k1"})
    body = b64(claims_for(customer))
    import hashlib
    import hmac

    pem = app.registered.public_key.encode()
    mac = hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert refused(northwind, token, customer).reason == "algorithm_refused"


def test_a_key_embedded_in_the_header_is_never_used(northwind, customer, app):
    # The attacker signs with their own key and hands it over in the header (jwk / jku).
    attacker = private_key("ES256")
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(attacker.public_key()))
    headers = {"jwk": jwk, "jku": "https://evil.example/keys.json"}
    token = sign(claims_for(customer), attacker, kid="k1", headers=headers)
    assert refused(northwind, token, customer).reason == "bad_signature"


@pytest.mark.parametrize("extension", [{"crit": ["exp"]}, {"crit": ["b64"], "b64": False}])
def test_header_extensions_are_refused(northwind, customer, app, extension):
    header = b64({"alg": "ES256", "kid": "k1", **extension})
    token = f"{header}.{b64(claims_for(customer))}.c2ln"
    assert refused(northwind, token, customer).reason == "malformed"


def test_a_key_registered_for_another_algorithm_is_not_used_with_this_one(northwind, customer):
    rsa_app = AppSigner(northwind, algorithm="RS256", kid="r1")
    token = sign(claims_for(customer), private_key("ES256"), algorithm="ES256", kid="r1")
    assert rsa_app.registered.algorithm == "RS256"
    assert refused(northwind, token, customer).reason == "algorithm_refused"


def test_another_clients_key_does_not_sign_for_this_client(northwind, solaris, customer):
    # Solaris registers the same issuer and kid: only Northwind's own keys are looked up.
    solaris_app = AppSigner(solaris)
    refusal = refused(northwind, solaris_app.token(customer), customer)
    assert (refusal.reason, refusal.status) == ("unknown_key", 401)


def test_an_unknown_or_revoked_key_is_refused(northwind, customer, app):
    other_kid = sign(claims_for(customer), app.key, kid="k2")
    assert refused(northwind, other_kid, customer).reason == "unknown_key"
    app_key_revoke(key=app.registered, by=None)
    assert refused(northwind, app.token(customer), customer).reason == "unknown_key"


def test_a_key_switched_off_signs_nothing_until_switched_on(northwind, customer, app):
    AppKey.objects.filter(pk=app.registered.pk).update(is_active=False)
    assert refused(northwind, app.token(customer), customer).reason == "unknown_key"
    AppKey.objects.filter(pk=app.registered.pk).update(is_active=True)
    assertion_verify(client=northwind, token=app.token(customer), customer_number=customer.number)


def test_an_expired_assertion_is_refused(northwind, customer, app):
    now = int(time.time())
    token = app.token(customer, iat=now - 200, exp=now - 100, auth_time=now - 250)
    assert refused(northwind, token, customer).reason == "expired"


def test_an_assertion_living_longer_than_ten_minutes_is_refused(northwind, customer, app):
    now = int(time.time())
    assert refused(northwind, app.token(customer, exp=now + 3600), customer).reason == (
        "too_long_lived"
    )


def test_an_assertion_issued_long_ago_is_refused_even_if_not_expired(
    northwind, customer, app, settings
):
    settings.ASSERTION_MAX_LIFETIME_SECONDS = 3600
    now = int(time.time())
    token = app.token(customer, iat=now - 1800, exp=now + 60, auth_time=now - 1800)
    assert refused(northwind, token, customer).reason == "too_old"


def test_a_sign_in_long_before_the_assertion_is_refused(northwind, customer, app):
    now = int(time.time())
    assert refused(northwind, app.token(customer, auth_time=now - 7200), customer).reason == (
        "stale_sign_in"
    )


def test_an_assertion_from_the_future_is_refused(northwind, customer, app):
    now = int(time.time())
    token = app.token(customer, iat=now + 600, exp=now + 700, auth_time=now)
    assert refused(northwind, token, customer).reason == "not_yet_valid"


def test_an_assertion_for_another_audience_is_refused(northwind, customer, app):
    token = app.token(customer, aud="https://another-desk.example")
    assert refused(northwind, token, customer).reason == "wrong_audience"


def test_an_assertion_about_another_customer_is_refused(northwind, customer, app):
    other = complete_customer(northwind)
    assert refused(northwind, app.token(other), customer).reason == "other_customer"
    assert not UsedAssertion.objects.exists()


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "iat", "exp", "jti", "auth_time", "amr"])
def test_an_assertion_missing_a_required_claim_is_refused(northwind, customer, app, claim):
    refusal = refused(northwind, app.token(customer, **{claim: ...}), customer)
    assert (refusal.reason, refusal.status) == ("missing_claim", 400)


def test_a_replayed_assertion_is_refused(northwind, customer, app):
    token = app.token(customer)
    assertion_verify(client=northwind, token=token, customer_number=customer.number)
    assert refused(northwind, token, customer).reason == "replayed"
    # The same jti in a freshly signed token is the same assertion.
    jti = UsedAssertion.objects.get().jti
    assert refused(northwind, app.token(customer, jti=jti), customer).reason == "replayed"


def test_sign_in_methods_the_policy_does_not_know_prove_nothing(northwind, customer, app):
    assert refused(northwind, app.token(customer, amr=["face"]), customer).reason == (
        "no_assurance"
    )


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "ey.ey.ey", "x" * 9000])
def test_garbage_is_malformed_not_a_500(northwind, customer, garbage):
    assert refused(northwind, garbage, customer).reason == "malformed"


# --- what an accepted assertion proves ------------------------------------------------------


@pytest.mark.parametrize(
    ("amr", "level"),
    [
        (["pwd"], 1),
        (["otp"], 1),
        (["pwd", "otp"], 2),
        (["hwk"], 2),
        (["mfa"], 2),
        (["pwd", "face"], 1),
    ],
)
def test_the_level_is_the_default_policys_for_the_methods_used(
    northwind, customer, app, amr, level
):
    verified = assertion_verify(
        client=northwind, token=app.token(customer, amr=amr), customer_number=customer.number
    )
    assert verified.level == level
    assert (verified.issuer, verified.kid, verified.subject) == (app.issuer, "k1", customer.number)


def test_the_clients_own_policy_sets_the_level(northwind, customer, app):
    level_policy_save(client=northwind, levels={"pwd": 1, "hwk": 1}, by=None)
    verified = assertion_verify(
        client=northwind, token=app.token(customer, amr=["hwk"]), customer_number=customer.number
    )
    assert verified.level == 1
    assert refused(northwind, app.token(customer, amr=["otp"]), customer).reason == "no_assurance"


@pytest.mark.parametrize("algorithm", ["ES256", "RS256", "EdDSA"])
def test_each_asymmetric_algorithm_is_accepted(northwind, customer, algorithm):
    signer = AppSigner(northwind, algorithm=algorithm, kid=f"key-{algorithm}")
    verified = assertion_verify(
        client=northwind, token=signer.token(customer), customer_number=customer.number
    )
    assert verified.kid == f"key-{algorithm}"


# --- hypothesis: any change to a valid assertion's claims is refused, never a 500 ---------

# The fixtures (client, customer, registered key) hold for every example; each example
# signs a fresh jti, so nothing an example spends is seen by the next.
FIXTURES_OK = [HealthCheck.function_scoped_fixture]
MUTATIONS = {
    "iss": st.sampled_from(["", "https://evil.example", "https://app\x00", "x" * 300, 5, None]),
    "aud": st.sampled_from(["", "other", ["other"], 7, None]),
    "sub": st.one_of(st.text(max_size=20), st.integers(), st.none()),
    "iat": st.one_of(st.integers(-(10**12), 10**12), st.text(max_size=5), st.booleans()),
    "exp": st.one_of(st.integers(-(10**12), 10**12), st.text(max_size=5), st.none()),
    "auth_time": st.one_of(st.integers(-(10**12), 10**12), st.text(max_size=5), st.none()),
    "amr": st.one_of(st.text(max_size=5), st.lists(st.integers(), max_size=3), st.just([])),
    "jti": st.one_of(
        st.integers(), st.just(""), st.just("a\x00b"), st.text(min_size=129, max_size=140)
    ),
}


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_mutated_claim_is_refused_with_a_reason(northwind, customer, app, data):
    claim = data.draw(st.sampled_from(sorted(MUTATIONS)))
    value = data.draw(MUTATIONS[claim])
    claims = claims_for(customer, iss=app.issuer, jti=uuid.uuid4().hex)
    if claims[claim] == value or (claim == "sub" and value == customer.number):
        return
    claims[claim] = value
    token = sign(claims, app.key)
    with pytest.raises(AssertionRefused) as caught:
        assertion_verify(client=northwind, token=token, customer_number=customer.number)
    assert caught.value.status in (400, 401) and caught.value.reason
    assert not UsedAssertion.objects.exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_byte_changed_in_a_token_is_refused(northwind, customer, app, position, flip):
    token = app.token(customer)
    index = position % len(token)
    changed = token[:index] + chr((ord(token[index]) ^ flip) % 128 or 65) + token[index + 1 :]
    if changed == token:
        return
    with pytest.raises(AssertionRefused):
        assertion_verify(client=northwind, token=changed, customer_number=customer.number)


@pytest.mark.parametrize("kid", ["k\x00", "", "k" * 65])
def test_a_hostile_kid_is_refused_before_any_query(northwind, customer, app, kid):
    token = sign(claims_for(customer, iss=app.issuer), app.key, kid=kid)
    assert refused(northwind, token, customer).reason == "unknown_key"


def test_public_pem_of_a_key_is_what_the_desk_keeps(app):
    assert app.registered.public_key == public_pem(app.key)
