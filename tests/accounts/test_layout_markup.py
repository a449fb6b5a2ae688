"""The layout of every desk page (static files, navigation, badges, search box, shortcuts
and idle dialogs) is worked out in Python and rendered by Jinja2 (profiledesk/accounts/
layout.py). It must print what the Django templates it replaced printed: those templates
are kept here (`layout_reference/`, main at 0d3d918) and both are rendered for the same
request — every role, every page's active tab, signed in or not, DEBUG on and off, two
languages, hostile names — and compared (CSRF token values aside: each render masks its
own)."""

import re
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group
from django.template import Engine, RequestContext, engines
from django.template.backends.django import get_installed_libraries
from django.test import RequestFactory
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from profiledesk.accounts.roles import Role
from tests.conftest import make_staff, signed_in

REFERENCE = Path(__file__).parent / "layout_reference"
PAGE = '{% extends "base.html" %}{% block content %}<p>The page</p>{% endblock %}'

# One page of each tab (and pages of none): the tab marked active is the page's.
PATHS = [
    reverse("home"),
    reverse("tickets:queue"),
    reverse("approvals:queue"),
    reverse("customers:search"),
    reverse("exports:list"),
    reverse("dashboards:supervisor"),
    reverse("security:queue"),
    reverse("notifications:list"),
    reverse("messaging:dev_outbox"),
    reverse("admin:index"),
    reverse("accounts:sessions"),
    "/no/such/page/",  # a 404: no resolver match
]


def idle_limits(request):
    """What the old `accounts.context_processors.desk` gave the old idle warning."""
    return {
        "idle_seconds": int(settings.SESSION_IDLE_TIMEOUT.total_seconds()),
        "idle_warning_seconds": int(settings.SESSION_IDLE_WARNING.total_seconds()),
    }


@cache
def _reference_engine() -> Engine:
    options = settings.TEMPLATES[0]["OPTIONS"]
    return Engine(
        dirs=[REFERENCE, *settings.TEMPLATES[0]["DIRS"]],
        app_dirs=True,
        context_processors=[*options["context_processors"], f"{__name__}.idle_limits"],
        libraries=get_installed_libraries(),
    )


def _normal(html: str) -> str:
    # A quote in the desk's own words is escaped now (Jinja2 spells it &#39;), where
    # `{% trans %}` printed the catalogue's text as it is; names are escaped as before.
    html = html.replace("&#39;", "'")
    html = re.sub(r'(name="csrfmiddlewaretoken" value=|data-csrf=)"[^"]*"', r'\1"CSRF"', html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": "CSRF"', html)
    # Whitespace runs as one space: where the old markup had space, the new has it too.
    return re.sub(r"\s+", " ", html).strip()


def _request(path: str, user, *, verified: bool = True):
    request = RequestFactory().get(path)
    request.user = user
    if user.is_authenticated:  # as django-otp's middleware gives every user
        user.is_verified = lambda: verified
    else:
        user.is_verified = lambda: False
    try:
        request.resolver_match = resolve(path)
    except Resolver404:
        request.resolver_match = None
    return request


def _both(request) -> tuple[str, str]:
    new = engines["django"].from_string(PAGE).render(request=request)
    old = _reference_engine().from_string(PAGE).render(RequestContext(request))
    return new, old


def _assert_same(request) -> str:
    new, old = _both(request)
    assert _normal(new) == _normal(old)
    return new


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_role_sees_the_navigation_the_templates_drew_on_every_tab(
    personas, settings, debug, language
):
    settings.DEBUG = debug
    superuser = make_staff("root", Role.AGENT, is_staff=True)
    superuser.is_superuser = True
    superuser.save()
    people = [*personas.values(), superuser]
    with translation.override(language):
        for user in people:
            for path in PATHS:
                _assert_same(_request(path, user))
        # Signed in with the password only, and not signed in: the brand link alone.
        for user in [personas["agent"], AnonymousUser()]:
            for path in PATHS[:3]:
                html = _assert_same(_request(path, user, verified=False))
                assert 'id="desk-badges"' not in html and "idle-warning" not in html


def test_the_words_are_the_request_language(personas):
    with translation.override("es"):
        spanish = _assert_same(_request(reverse("tickets:queue"), personas["agent"]))
    english = _assert_same(_request(reverse("tickets:queue"), personas["agent"]))
    assert "Cerrar sesión" in spanish and "Ir al contenido" in spanish
    assert "Sign out" in english and "Cerrar sesión" not in english


def test_the_tab_of_the_page_is_the_only_active_one(personas):
    http_paths = {
        reverse("tickets:queue"): "Queue",
        reverse("customers:search"): "Customers",
        reverse("security:queue"): "Security queue",
        reverse("notifications:list"): "Notifications",
    }
    for path, tab in http_paths.items():
        html = _assert_same(_request(path, personas["security"]))
        current = re.findall(
            r'aria-current="page" href="[^"]*">(?:<span[^>]*><span[^>]*>)?([^<]+)<', html
        )
        assert current == [tab]


def test_who_sees_a_link_is_asked_of_the_database_on_every_render(personas):
    # No link outlives a permission: the same person, a role taken away, the next page.
    supervisor = personas["supervisor"]
    html = _assert_same(_request(reverse("home"), supervisor))
    assert reverse("approvals:queue") in html and reverse("dashboards:supervisor") in html
    supervisor.groups.clear()
    fresh = type(supervisor).objects.get(pk=supervisor.pk)  # the next request's user
    html = _assert_same(_request(reverse("home"), fresh))
    assert reverse("approvals:queue") not in html and reverse("tickets:queue") not in html
    assert 'id="desk-badges"' not in html and 'action="/search/"' not in html


HOSTILE = [
    '<script>alert("name")</script>',
    'O\'Brien & "Sons" <b>',
    "{{ 7*7 }} {% debug %} ${7*7}",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_and_roles_print_as_text_as_they_did(personas, name):
    agent = personas["agent"]
    agent.first_name, agent.last_name = name, name
    agent.save()
    agent.groups.add(Group.objects.create(name=name[:150]))
    html = _assert_same(_request(reverse("tickets:queue"), agent))
    assert "<script>alert" not in html and "<b>" not in html
    if "{{" in name:  # printed, not evaluated
        assert "{{ 7*7 }} {% debug %}" in html


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=st.text(max_size=40), last=st.text(max_size=40), username=st.text(min_size=1))
def test_any_name_prints_the_same_in_both(personas, first, last, username):
    agent = personas["agent"]  # names changed in memory only: what the layout prints
    agent.first_name, agent.last_name, agent.username = first, last, username
    _assert_same(_request(reverse("customers:search"), agent))


def test_the_page_carries_one_csrf_token_of_the_session(agent):
    html = signed_in(agent).get(reverse("customers:search")).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    tokens |= set(re.findall(r'data-csrf="([^"]+)"', html))
    tokens |= set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))
    assert len(tokens) == 1
