"""Stored XSS through a form's help text (issue 12): the "Now: …" line of New request
prints the customer's stored value, and form templates print help texts with `|safe`.
A customer named like an HTML attack must show as text, in every category form."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.customers import models as m
from profiledesk.intake.forms import FORMS
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

ATTACK = '"><img src=x onerror=alert(1)>'
ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"


def new_request_page(user, customer, category: str) -> str:
    url = reverse("tickets:new", args=[customer.pk])
    response = signed_in(user).get(url, {"channel": "phone", "category": category})
    assert response.status_code == 200
    return response.content.decode()


def test_a_hostile_legal_name_is_text_on_new_request_personal(personas, customer):
    customer.personal.legal_name = ATTACK
    customer.personal.preferred_name = "<script>alert(1)</script>"
    customer.personal.save()
    html = new_request_page(personas["agent"], customer, "personal")
    assert "<img src=x" not in html and "<script>alert(1)" not in html
    assert f"Now: {ESCAPED}" in html
    assert "Now: &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_hostile_business_name_is_text_on_new_request_organisation(personas, customer):
    m.Organisation.objects.create(
        customer=customer, business_name=ATTACK, job_title="<b>boss</b>", department=ATTACK
    )
    html = new_request_page(personas["agent"], customer, "organisation")
    assert "<img src=x" not in html and "<b>boss</b>" not in html
    assert f"Now: {ESCAPED}" in html
    assert "Now: &lt;b&gt;boss&lt;/b&gt;" in html


@pytest.mark.parametrize("category", sorted(FORMS))
def test_every_category_form_escapes_whatever_its_help_texts_hold(personas, customer, category):
    """The form base escapes every help text that setup() did not build safe, so a stored
    value that reaches a help text later (a new category, a new field) is still text."""
    form = FORMS[category](customer=customer)
    for name, field in form.fields.items():
        text = str(field.help_text)
        assert "<" not in text.replace("&lt;", ""), (category, name, text)


# The customer row is only changed in memory: one fixture serves every example.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(alphabet=st.sampled_from("<>\"'&/= abcxyz"), min_size=1, max_size=40))
def test_any_stored_name_reaches_the_help_text_escaped(customer, name):
    customer.personal.legal_name = name
    text = str(FORMS["personal"](customer=customer).fields["legal_name"].help_text)
    assert text.startswith("Now: ")
    # Escaped: no raw markup character, and every & starts an entity.
    assert not set(text) & set("<>\"'")
    assert all(
        part.startswith(("amp;", "lt;", "gt;", "quot;", "#x27;")) for part in text.split("&")[1:]
    )
