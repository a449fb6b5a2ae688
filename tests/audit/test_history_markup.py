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


def test_staff_activity_says_what_each_version_was_written_for(customer, personas):
    ticket = applied(customer, personas, "personal", {"national_id": "AB123456C"})
    url = reverse("audit:staff_activity", args=[personas["agent"].pk])
    html = signed_in(personas["compliance"]).get(url).content.decode()
    reasons = re.findall(r'data-testid="version-reason">· ([^<]+)<', html)
    assert f"{ticket.reference} applied" in reasons
