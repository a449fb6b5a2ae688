"""The Stripe-Signature header: parsed strictly, compared in constant time, and a
signature over anything else — another body, another secret, another timestamp — refused."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from profiledesk.idv.stripe_identity import (
    SignatureError,
    signature_for,
    signature_parse,
    signature_verify,
)

SECRET = "whsec_unit"
NOW = 1_800_000_000


def header(payload: bytes, t: int = NOW, secret: str = SECRET, extra: str = "") -> str:
    return f"t={t},v1={signature_for(secret=secret, timestamp=t, payload=payload)}{extra}"


def test_a_signature_by_the_endpoint_secret_within_300_seconds_is_accepted():
    assert (
        signature_verify(
            payload=b"{}", header=header(b"{}", NOW - 299), secret=SECRET, now=NOW, tolerance=300
        )
        == NOW - 299
    )


def test_a_rolled_secret_signs_twice_and_either_v1_is_enough_and_v0_is_ignored():
    payload = b'{"id": "evt_1"}'
    other = signature_for(secret="whsec_old", timestamp=NOW, payload=payload)
    mine = signature_for(secret=SECRET, timestamp=NOW, payload=payload)
    both = f"t={NOW},v1={other},v1={mine},v0=abc"
    assert signature_verify(payload=payload, header=both, secret=SECRET, now=NOW, tolerance=300)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: None, "missing"),
        (lambda p: "", "missing"),
        (lambda p: header(p, secret="whsec_forged"), "mismatch"),
        (lambda p: header(p + b" "), "mismatch"),
        (lambda p: header(p, NOW - 301), "stale"),
        (lambda p: header(p, NOW + 301), "stale"),
        (lambda p: header(p).replace("v1=", "v0="), "malformed"),
        (lambda p: f"t={NOW},t={NOW}," + header(p).split(",")[1], "malformed"),
        (lambda p: header(p).replace(f"t={NOW}", "t=-5"), "malformed"),
        # Fullwidth digits: str.isdigit() says yes, int() would read them.
        (lambda p: header(p).replace(f"t={NOW}", "t=\uff11\uff18"), "malformed"),
        (lambda p: "v1=" + "0" * 64, "malformed"),
        (lambda p: header(p) + "," + "v1=" + "a" * 3000, "malformed"),
    ],
)
def test_anything_but_a_fresh_signature_by_the_secret_is_refused_with_its_reason(make, reason):
    payload = b'{"id": "evt_1"}'
    with pytest.raises(SignatureError) as refused:
        signature_verify(
            payload=payload, header=make(payload), secret=SECRET, now=NOW, tolerance=300
        )
    assert refused.value.reason == reason


@given(st.text(max_size=300))
def test_the_parser_never_fails_but_with_a_signature_error(text):
    try:
        parsed = signature_parse(text)
    except SignatureError as error:
        assert error.reason in {"missing", "malformed"}
    else:
        assert parsed.timestamp >= 0 and parsed.v1


@given(
    st.binary(max_size=200),
    st.text(alphabet=string.hexdigits, min_size=64, max_size=64),
    st.integers(min_value=0, max_value=10**11),
)
def test_no_guessed_signature_passes(payload, guess, t):
    real = signature_for(secret=SECRET, timestamp=t, payload=payload)
    if guess.lower() == real:
        return
    with pytest.raises(SignatureError):
        signature_verify(
            payload=payload, header=f"t={t},v1={guess}", secret=SECRET, now=t, tolerance=300
        )


@given(st.binary(max_size=200), st.binary(min_size=1, max_size=20))
def test_a_signature_binds_the_whole_body(payload, tail):
    signed = header(payload)
    with pytest.raises(SignatureError):
        signature_verify(
            payload=payload + tail, header=signed, secret=SECRET, now=NOW, tolerance=300
        )
