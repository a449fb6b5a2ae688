"""The history page's versions are rendered by Jinja2 (audit/history_rows.py): a value a
customer, a client's system or a staff member typed is printed as text there, never as
markup, wherever it lands (a value in the clear, a masked one, a staff member's name)."""

import re

from django.urls import reverse

from tests.conftest import signed_in
from tests.factories import complete_customer

HOSTILE = '"><img src=x onerror=alert(1)>'
ESCAPED = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"


def test_hostile_values_stay_text_in_every_version(northwind, personas):
    customer = complete_customer(northwind)
    agent = personas["agent"]
    agent.first_name, agent.last_name = HOSTILE, HOSTILE
    agent.save()
    customer.is_flagged = True
    customer.flag_reason = HOSTILE  # printed in the clear (PUBLIC)
    customer._history_user = agent  # named as who wrote the version
    customer.save()
    email = customer.emails.get()
    email.email = f"x{HOSTILE}@example.org"  # masked, but part of it shows
    email.save()
    url = reverse("audit:customer_history", args=[customer.pk])
    html = signed_in(personas["compliance"]).get(url).content.decode()
    versions = "".join(
        re.findall(r'<li class="list-group-item" data-testid="version".*?</li>', html, re.S)
    )
    assert "Flag reason" in versions or "flag reason" in versions.lower()
    assert "<img" not in html
    assert "onerror=alert(1)>" not in html
    assert ESCAPED in versions  # the flag reason, as text
    # The staff member's hostile name is in the version's "by" line, escaped.
    assert versions.count("onerror=alert(1)&gt;") >= 2


def test_one_csrf_token_for_every_reveal_form_of_the_page(northwind, personas):
    """Each reveal form carries the token (a POST without one is refused), the same one."""
    customer = complete_customer(northwind, emails=2, phones=2)
    url = reverse("audit:customer_history", args=[customer.pk])
    html = signed_in(personas["compliance"]).get(url).content.decode()
    # The reveal forms' own tokens (the navigation's forms have theirs).
    tokens = re.findall(
        r'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
    )
    forms = re.findall(r'hx-post="[^"]+"', html)
    assert forms and len(tokens) == len(forms)
    assert len(set(tokens)) == 1 and tokens[0]
