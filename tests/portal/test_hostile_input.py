"""Hostile strings in every portal field: a clear answer (a field message, a 400, a 404 or
a redirect), never a 500, and nothing written beyond what a bad request writes."""

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "\u202egnp.exe",
            "a\u200bb@example.com",
            "' OR 1=1 --",
            "4111 1111 1111 1111",
            "+" + "9" * 200,
            "@",
            "x" * 5000,
            "../../etc/passwd",
            "%00",
        ]
    ),
).filter(lambda text: "\x00" not in text)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(text=HOSTILE)
def test_sign_in_and_code_fields_never_500(northwind, text):
    http = HttpClient()
    slug = northwind.slug
    assert http.post(reverse("portal:index"), {"client": text}).status_code in (302, 400)
    assert http.post(
        reverse("portal:sign_in", kwargs={"slug": slug}), {"contact": text}
    ).status_code in (302, 400)
    assert http.post(reverse("portal:code", kwargs={"slug": slug}), {"code": text}).status_code in (
        200,
        302,
        400,
    )
    response = http.post(
        reverse("portal:language", kwargs={"slug": slug}), {"language": text, "next": text}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"/portal/{slug}/")  # never off the portal


@SETTINGS
@given(text=HOSTILE)
def test_change_fields_never_500(northwind, portal, text):
    url = reverse("portal:change", kwargs={"slug": northwind.slug})
    for data in (
        {"category": text},
        {
            "category": "contact",
            "address_line1": text,
            "address_city": text,
            "address_country": text,
        },
        {"category": "contact", "email": text},
        {"category": "contact", "phone": text},
        {"category": "personal", "preferred_name": text},
        {"category": "language_region", "locale": text, "time_zone": text},
    ):
        response = portal.post(url, data)
        assert response.status_code in (200, 302, 400), (data, response.status_code)
        assert "<script>alert(1)</script>" not in response.content.decode()
    # Whatever was sent, the customer is still signed in and their page answers.
    assert portal.get(reverse("portal:home", kwargs={"slug": northwind.slug})).status_code == 200
