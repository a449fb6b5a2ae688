"""The customer portal's fixtures: a customer of Northwind with a verified e-mail and
phone, and the codes the portal sends (recorded, then passed on to messaging)."""

import re
from dataclasses import dataclass

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from profiledesk.portal import services
from profiledesk.portal.services import PORTAL_COOKIE


@dataclass
class Sent:
    to: str
    code: str
    language: str


@pytest.fixture
def codes(monkeypatch):
    """Every sign-in code the portal sends, in order."""
    calls: list[Sent] = []
    real = services.message_queue

    def recording(**kwargs):
        calls.append(Sent(kwargs["to"], kwargs["context"]["code"], kwargs["language"]))
        return real(**kwargs)

    monkeypatch.setattr(services, "message_queue", recording)
    return calls


@pytest.fixture
def email(customer):
    return customer.emails.get(is_primary=True).email


def ask_code(http: HttpClient, slug: str, contact: str, **extra):
    return http.post(
        reverse("portal:sign_in", kwargs={"slug": slug}), {"contact": contact}, **extra
    )


def type_code(http: HttpClient, slug: str, code: str):
    return http.post(reverse("portal:code", kwargs={"slug": slug}), {"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def sign_in(http: HttpClient, slug: str, contact: str, codes: list) -> HttpClient:
    ask_code(http, slug, contact)
    response = type_code(http, slug, codes[-1].code)
    assert response.status_code == 302, response.content
    assert response["Location"] == reverse("portal:home", kwargs={"slug": slug})
    return http


@pytest.fixture
def portal(northwind, customer, email, codes):
    """A browser signed in to Northwind's portal as `customer`."""
    return sign_in(HttpClient(), northwind.slug, email, codes)


def cookie(http: HttpClient) -> str:
    return http.cookies[PORTAL_COOKIE].value if PORTAL_COOKIE in http.cookies else ""


def page_text(response) -> str:
    """The page without its CSRF token (masked anew on every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
