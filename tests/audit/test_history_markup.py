"""The history page's Reveal targets: each masked value swaps into its own element, even
when two profile tables hold a version with the same history id and field name (an
e-mail address and a phone number both have `is_primary`), and when one version is both
the "after" of its row and the "before" of the next."""

import re
from collections import Counter

from django.urls import reverse

from tests.conftest import signed_in
from tests.factories import complete_customer
from tests.rollback.helpers import applied


def test_every_reveal_target_is_unique_and_names_its_table(northwind, personas):
    customer = complete_customer(northwind, emails=2, phones=2)
    email = customer.emails.order_by("pk").last()
    email.email = "changed@example.org"
    email.save()  # a second version: its "before" is the first version's "after"
    url = reverse("audit:customer_history", args=[customer.pk])
    html = signed_in(personas["compliance"]).get(url).content.decode()
    targets = re.findall(r'id="(hv-[^"]+)"', html)
    assert targets, "the page shows revealable values"
    assert [t for t, n in Counter(targets).items() if n > 1] == []
    assert any(t.startswith("hv-emailaddress-before-email-") for t in targets)
    assert any(t.startswith("hv-emailaddress-after-email-") for t in targets)
    assert any(t.startswith("hv-phonenumber-after-number-") for t in targets)
    # Each Reveal form swaps into the element that holds it.
    for target in re.findall(r'hx-target="#(hv-[^"]+)"', html):
        assert target in targets


def test_every_reveal_form_posts_for_its_own_version_table_and_field(northwind, personas):
    """The reveal URLs are built once a page (audit.history.reveal_urls): each form still
    names the version, table and field of the value it sits on, and the reveal answers
    with that value."""
    customer = complete_customer(northwind, emails=2, phones=2)
    email = customer.emails.order_by("pk").last()
    first = email.email
    email.email = "changed@example.org"
    email.save()
    url = reverse("audit:customer_history", args=[customer.pk])
    http = signed_in(personas["compliance"])
    html = http.get(url).content.decode()
    forms = re.findall(
        r'action="([^"]+)"\s+hx-post="([^"]+)"\s+hx-target="#hv-([a-z_]+)-(before|after)-'
        r'([a-z_0-9]+)-([0-9]+)"',
        html,
    )
    assert len(forms) >= 3
    for action, hx_post, model, _side, field, history_id in forms:
        expected = reverse(
            "audit:history_reveal", args=[customer.pk, model, int(history_id), field]
        )
        assert action == hx_post == expected
    before = next(f for f in forms if f[2] == "emailaddress" and f[3] == "before")
    revealed = http.post(before[0], {"reason": "Customer disputes the change"}).content.decode()
    assert first in revealed and "changed@example.org" not in revealed  # the value before


def test_nobody_else_gets_a_reveal_form_or_url(northwind, personas):
    customer = complete_customer(northwind, emails=2, phones=2)
    url = reverse("audit:customer_history", args=[customer.pk])
    html = signed_in(personas["supervisor"]).get(url).content.decode()
    assert 'data-testid="version"' in html
    assert "/reveal/" not in html and 'id="hv-' not in html


def test_staff_activity_says_what_each_version_was_written_for(customer, personas):
    ticket = applied(customer, personas, "personal", {"national_id": "AB123456C"})
    url = reverse("audit:staff_activity", args=[personas["agent"].pk])
    html = signed_in(personas["compliance"]).get(url).content.decode()
    reasons = re.findall(r'data-testid="version-reason">· ([^<]+)<', html)
    assert f"{ticket.reference} applied" in reasons
