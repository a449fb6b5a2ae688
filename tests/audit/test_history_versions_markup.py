"""The customer history page draws its versions with Jinja2 (audit/history_rows.py); the
staff-activity and ticket-audit pages still draw the same versions with Django's
`audit/_version.html`. Both must look the same to the auditor: the same elements,
attributes, words, links and forms (whitespace and CSRF token values aside), for a
created, a changed and a deleted version, for a viewer who may reveal and restore and one
who may not."""

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tests.conftest import signed_in
from tests.factories import complete_customer


def _normal(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r"\s+", " ", html)
    return re.sub(r">\s+<", "><", html).strip()


def _versions(html: str) -> list[str]:
    found = re.findall(r'<li class="list-group-item" data-testid="version".*?</li>', html, re.S)
    return [_normal(v) for v in found]


@pytest.mark.parametrize("who", ["compliance", "supervisor"])
def test_jinja_versions_match_the_django_partial(northwind, personas, who):
    customer = complete_customer(northwind, emails=2, phones=2)
    email = customer.emails.order_by("pk").last()
    email.email = "changed@example.org"
    email.save()
    email.delete()
    url = reverse("audit:customer_history", args=[customer.pk])
    response = signed_in(personas[who]).get(url)
    assert response.status_code == 200
    context = response.context
    page = context["page"]
    kinds = {v.kind for v in page.versions}
    assert {"created", "changed", "deleted"} <= kinds
    # The page shows its times in the client's zone (customer_history.html's {% timezone %}).
    with timezone.override(page.time_zone):
        expected = _django_versions(page, context, response.wsgi_request)
    drawn = _versions(response.content.decode())
    assert len(drawn) == len(expected) == len(page.versions)
    if who == "compliance":  # reveal forms and restore links are part of what is compared
        assert any("hx-post" in v for v in drawn)
        assert any('data-testid="restore-version"' in v for v in drawn)
    for mine, theirs in zip(drawn, expected, strict=True):
        assert mine == theirs


def _django_versions(page, context, request) -> list[str]:
    return [
        _normal(
            render_to_string(
                "audit/_version.html",
                {
                    "version": version,
                    "customer": context["customer"],
                    "can_reveal": context["can_reveal"],
                    "may_restore": context["may_restore"],
                },
                request=request,
            )
        )
        for version in page.versions
    ]
