"""History pages under what a desk produces: every category filter over real applied
changes, a staff member with no versions, an unlinked account's last values, the audit
view of a rollback ticket and of a ticket with no customer."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from profiledesk.customers import models as m
from profiledesk.policies.categories import Category
from profiledesk.rollback.services import rollback_open
from profiledesk.tickets.models import Ticket
from profiledesk.tickets.services import ItemDraft, ticket_create
from tests.approvals.helpers import WEDNESDAY
from tests.conftest import make_staff, signed_in
from tests.factories import card_on_file
from tests.rollback.helpers import CARD, applied, through_the_floor


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def history_url(customer, **query):
    url = reverse("audit:customer_history", args=[customer.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def busy(customer, personas, clock):
    """A customer changed through the desk in several categories, one change rolled back."""
    card_on_file(customer, "4111111111111111", is_default=True)
    account = m.LinkedAccount.objects.create(
        customer=customer, provider="google", external_id="g-98765", linked_at=timezone.now()
    )
    applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"}, clock)
    applied(customer, personas, "preferences", {"marketing_email": True}, clock)
    applied(customer, personas, "billing", {**CARD, "card_make_default": True}, clock)
    unlink = applied(customer, personas, "linked_accounts", {"unlink": [account.pk]}, clock)
    phone = customer.phones.get()
    contact = applied(
        customer, personas, "contact", {"phone": "+44 7700 900456", "phone_target": phone.pk}, clock
    )
    rollback = rollback_open(by=personas["compliance"], ticket=contact, reason="Mistake")
    through_the_floor(rollback, personas)
    return {"unlink": unlink, "rollback": rollback, "contact": contact}


@pytest.mark.parametrize("category", [c.value for c in Category])
def test_every_category_filter_shows_only_its_sections(busy, customer, personas, category):
    response = signed_in(personas["compliance"]).get(history_url(customer, category=category))
    assert response.status_code == 200
    body = response.content.decode()
    shown = {v.model_key for v in response.context["page"].versions}
    allowed = {model._meta.model_name for model in m.PROFILE_SECTIONS[category]}
    assert shown <= allowed
    if category in ("personal", "preferences", "billing", "linked_accounts", "contact"):
        assert shown, f"{category}: the changes of that category are missing"
    assert "4111111111111111" not in body and "5555555555554444" not in body


def test_a_staff_member_with_no_versions_gives_an_empty_page(busy, customer, personas, northwind):
    idle = make_staff("idle", "agent", northwind)
    response = signed_in(personas["compliance"]).get(history_url(customer, staff=idle.pk))
    assert response.status_code == 200
    assert response.context["page"].versions == []


def test_an_unlinked_account_shows_what_it_was(busy, customer, personas):
    response = signed_in(personas["compliance"]).get(
        history_url(customer, category="linked_accounts")
    )
    [deleted] = [v for v in response.context["page"].versions if v.kind == "deleted"]
    assert deleted.model_key == "linkedaccount"
    assert deleted.reference == busy["unlink"].reference
    provider = {c.field: c for c in deleted.changes}["provider"]
    assert (provider.before, provider.after) == ("Google", "")


def test_the_audit_view_of_a_rollback_ticket(busy, personas):
    rollback = busy["rollback"]
    response = signed_in(personas["compliance"]).get(
        reverse("audit:ticket_audit", args=[rollback.reference])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert busy["contact"].reference in body


def test_the_audit_view_of_a_ticket_with_no_customer(personas, northwind):
    ticket = ticket_create(
        client=northwind,
        customer=None,
        by=None,
        channel="email",
        category="contact",
        items=[
            ItemDraft(
                section="contact",
                field="emailaddress.email",
                label="E-mail address",
                new_value="someone@example.com",
                new_display="s•••@example.com",
            )
        ],
    )
    assert Ticket.objects.get(pk=ticket.pk).customer_id is None
    response = signed_in(personas["compliance"]).get(
        reverse("audit:ticket_audit", args=[ticket.reference])
    )
    assert response.status_code == 200


def test_every_restore_link_on_the_history_page_opens(customer, personas, busy):
    import re

    from profiledesk.customers.services import customer_freeze, customer_unfreeze

    # A freeze writes a version of the customer row; the security settings have versions
    # too: neither is something "restore these values" can do.
    customer_freeze(customer=customer, by=personas["security"], reason="Checking")
    customer_unfreeze(customer=customer, by=personas["security"], reason="Fine")
    security = customer.security
    security.two_factor_method = "sms"
    security.save()
    officer = signed_in(personas["compliance"])
    html = officer.get(history_url(customer)).content.decode()
    links = re.findall(r'href="([^"]+)" data-testid="restore-version"', html)
    assert links
    for link in links:
        assert officer.get(link).status_code == 200, link


def test_paging_through_versions_of_one_moment_misses_and_repeats_nothing(
    customer, personas, clock
):
    from audit.history import HistoryFilters, customer_history

    # One instant for everything (the clock stands still): order falls to table and id.
    card_on_file(customer, "4111111111111111", is_default=True)
    applied(customer, personas, "billing", {**CARD, "card_make_default": True})
    applied(customer, personas, "contact", {"phone": "+44 7700 900456", "phone_make_primary": True})
    applied(customer, personas, "preferences", {"marketing_email": True})
    everything = customer_history(
        customer=customer, viewer=personas["compliance"], filters=HistoryFilters(), limit=500
    ).versions
    expected = [(v.model_key, v.history_id) for v in everything]
    assert len({v.at for v in everything if v.reference}) == 1
    seen, after = [], None
    while True:
        page = customer_history(
            customer=customer,
            viewer=personas["compliance"],
            filters=HistoryFilters(),
            after=after,
            limit=2,
        )
        seen += [(v.model_key, v.history_id) for v in page.versions]
        if page.older is None:
            break
        after = page.older
    assert seen == expected
    # and back up again from the last page
    back, before = [], page.newer
    while before is not None:
        page = customer_history(
            customer=customer,
            viewer=personas["compliance"],
            filters=HistoryFilters(),
            before=before,
            limit=2,
        )
        back = [(v.model_key, v.history_id) for v in page.versions] + back
        before = page.newer
    assert back + seen[len(back) :] == expected


def test_the_activity_of_a_staff_member_who_touched_nothing(personas, northwind):
    idle = make_staff("idle", "agent", northwind)
    response = signed_in(personas["compliance"]).get(
        reverse("audit:staff_activity", args=[idle.pk])
    )
    assert response.status_code == 200
    assert list(response.context["versions"]) == []
