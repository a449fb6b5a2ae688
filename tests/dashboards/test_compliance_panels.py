"""The compliance panels count what the desk's own services record: each event made
through the real service (or the audit writer), on its client's local day, with links
that list exactly the rows counted."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from profiledesk.customers.reveal import customer_field_reveal
from profiledesk.customers.services import customer_freeze, customer_unfreeze
from profiledesk.dashboards.compliance import (
    COMPLIANCE_PANELS,
    exports_per_day,
    reports_and_freezes_per_day,
    reveals_by_staff,
    reveals_per_day,
    rollbacks_per_day,
    waivers_per_day,
)
from profiledesk.dashboards.panels import Panel
from profiledesk.exports.models import Format, Kind
from profiledesk.exports.services import export_request
from tests.conftest import make_staff, signed_in
from tests.exports.conftest import private_media  # noqa: F401 - autouse: files in tmp_path
from tests.factories import ClientFactory, complete_customer

from .compliance_helpers import by_day, event_at, nonzero, scope_of

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 3)


def listed(http, href: str) -> list[int]:
    """The event ids the audit-events list shows at `href` (every page)."""
    ids, url = [], href
    while url:
        response = http.get(url)
        assert response.status_code == 200, response.content[:500]
        page = response.context["page"]
        ids += [row.event.pk for row in page.rows]
        url = f"{href}&after={page.older}" if page.older else ""
    return ids


# --- the abuse cases first -----------------------------------------------------------


def test_another_clients_events_are_never_counted(northwind, solaris, personas, customer):
    other = complete_customer(solaris)
    at = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    event_at(at, "customer.frozen", client=solaris, target=other)
    event_at(at, "customer.sensitive_revealed", client=solaris, actor=personas["outsider"])
    event_at(at, "customer.frozen", client=None)  # no client: never anybody's figure
    scope = scope_of(northwind, since=DAY, until=DAY)

    for panel_function in COMPLIANCE_PANELS:
        panel = panel_function(scope)
        assert all(not p.value for s in panel.series for p in s.points), panel.key


def test_other_actions_are_not_counted_as_reveals(northwind, personas):
    at = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    event_at(at, "customer.reveal_refused", client=northwind, actor=personas["agent"])
    event_at(at, "verification.document_viewed", client=northwind, actor=personas["agent"])

    panel = reveals_by_staff(scope_of(northwind, since=DAY, until=DAY))

    assert panel.rows == ()


# --- each event through its real service ------------------------------------------------


def test_a_reveal_on_the_customer_page_is_counted_for_its_staff_member(
    northwind, personas, customer
):
    with time_machine.travel(dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC), tick=False):
        for _ in range(2):
            customer_field_reveal(
                customer=customer,
                staff=personas["compliance"],
                kind="personal",
                row_id=customer.personal.pk,
                field="national_id",
                reason="Client auditor's request 42",
            )
    scope = scope_of(northwind, since=DAY, until=DAY)

    assert nonzero(reveals_per_day(scope), 0) == {"2026-12-03": 2}
    staff = reveals_by_staff(scope)
    name = personas["compliance"].get_full_name() or "compliance"
    assert staff.rows == ((name, 2, 0, 0, 2),)
    assert staff.links[0][0].startswith(name)
    query = parse_qs(urlsplit(staff.links[0][1]).query)
    assert query["actor"] == [str(personas["compliance"].pk)]
    assert query["since"] == query["until"] == ["2026-12-03"]


def test_a_history_reveal_is_counted_in_its_own_column(northwind, personas, customer):
    from audit.reveal import history_value_reveal

    with time_machine.travel(dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC), tick=False):
        history_value_reveal(
            customer=customer,
            staff=personas["compliance"],
            model_key="personaldetails",
            history_id=customer.personal.history.latest().history_id,
            field_name="national_id",
            reason="Dispute 7",
        )
    panel = reveals_per_day(scope_of(northwind, since=DAY, until=DAY))

    assert nonzero(panel, 1) == {"2026-12-03": 1}
    assert nonzero(panel, 0) == {}


def test_freezes_and_lifts_by_security_are_counted(northwind, personas, customer):
    with time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), tick=False):
        customer_freeze(customer=customer, by=personas["security"], reason="Fraud call")
    with time_machine.travel(dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC), tick=False):
        customer_unfreeze(customer=customer, by=personas["security"], reason="Checked")
    panel = reports_and_freezes_per_day(
        scope_of(northwind, since=DAY, until=DAY + dt.timedelta(days=1))
    )

    assert nonzero(panel, 1) == {"2026-12-03": 1}
    assert nonzero(panel, 2) == {"2026-12-04": 1}
    assert panel.rows == (("2026-12-03", 0, 1, 0), ("2026-12-04", 0, 0, 1))


def test_a_customers_this_wasnt_me_report_counts_as_a_report_and_a_freeze(
    northwind, personas, customer
):
    from profiledesk.confirmations.services import confirmations_create, report_confirm
    from tests.confirmations.conftest import email_change, link_token

    ticket, old = email_change(customer)
    to_old = next(m for m in confirmations_create(ticket=ticket) if m.recipient == old)
    report_confirm(token=link_token(to_old))
    today = timezone.localdate(timezone.now(), timezone.get_fixed_timezone(0))
    scope = scope_of(northwind, since=today - dt.timedelta(days=1), until=today)

    panel = reports_and_freezes_per_day(scope)

    assert sum(v or 0 for v in by_day(panel, 0).values()) == 1
    assert sum(v or 0 for v in by_day(panel, 1).values()) == 1


def test_audit_evidence_exports_requested_and_downloaded_are_counted(northwind, personas):
    from profiledesk.exports.services import export_open_for_download
    from tests.exports.helpers import built

    with time_machine.travel(dt.datetime(2026, 12, 3, 11, tzinfo=dt.UTC), tick=False):
        export = export_request(
            by=personas["compliance"],
            kind=Kind.AUDIT_EVENTS,
            fmt=Format.CSV,
            client=northwind,
            customer=None,
            since=timezone.now() - dt.timedelta(days=30),
            until=timezone.now(),
        )
        built(export)
    with time_machine.travel(dt.datetime(2026, 12, 4, 8, tzinfo=dt.UTC), tick=False):
        export_open_for_download(export=export, by=personas["compliance"]).close()
    panel = exports_per_day(scope_of(northwind, since=DAY, until=DAY + dt.timedelta(days=1)))

    assert nonzero(panel, 0) == {"2026-12-03": 1}
    assert nonzero(panel, 1) == {"2026-12-04": 1}


def test_a_reveal_on_a_verified_ticket_is_counted_in_its_own_column(northwind, personas):
    event_at(
        dt.datetime(2026, 12, 3, 16, tzinfo=dt.UTC),
        "verification.details_revealed",
        client=northwind,
        actor=personas["agent"],
    )
    scope = scope_of(northwind, since=DAY, until=DAY)

    assert nonzero(reveals_per_day(scope), 2) == {"2026-12-03": 1}
    assert reveals_by_staff(scope).rows[0][1:] == (0, 0, 1, 1)


def test_rollbacks_and_their_waivers_are_counted(northwind, personas, customer):
    from profiledesk.rollback.services import rollback_open
    from tests.approvals.helpers import WEDNESDAY
    from tests.factories import card_on_file
    from tests.rollback.helpers import CARD, applied, through_the_floor

    with time_machine.travel(WEDNESDAY, tick=False) as clock:
        card = card_on_file(customer, "4111111111111111", is_default=True)
        original = applied(customer, personas, "billing", {**CARD, "card_target": card.pk}, clock)
        rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Not theirs")
        through_the_floor(rollback, personas)
    day = WEDNESDAY.date()  # 10:00 UTC: the same day in London
    scope = scope_of(northwind, since=day, until=day)

    rollbacks = rollbacks_per_day(scope)
    assert nonzero(rollbacks, 0) == {day.isoformat(): 1}
    assert nonzero(rollbacks, 1) == {day.isoformat(): 1}
    assert nonzero(waivers_per_day(scope)) == {day.isoformat(): 1}


# --- days are the client's own -----------------------------------------------------------


def test_an_event_counts_on_its_clients_local_day_across_midnight(northwind, solaris):
    tokyo = ClientFactory(slug="tokyo", name="Tokyo Rail", time_zone="Asia/Tokyo")
    honolulu = ClientFactory(slug="hawaii", name="Aloha Air", time_zone="Pacific/Honolulu")
    # 23:30 UTC on the 2nd: the 2nd in London, the 3rd in Madrid and Tokyo, and 13:30 on
    # the 2nd in Honolulu. 10:30 UTC on the 4th: the 4th everywhere but... Honolulu (00:30).
    late = dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC)
    for client in (northwind, solaris, tokyo, honolulu):
        event_at(late, "verification.waived", client=client)
    event_at(
        dt.datetime(2026, 12, 4, 10, 30, tzinfo=dt.UTC), "verification.waived", client=honolulu
    )

    def days(*clients):
        panel = waivers_per_day(scope_of(*clients, since=DAY, until=dt.date(2026, 12, 4)))
        return nonzero(panel)

    assert days(northwind) == {}
    assert days(solaris) == {"2026-12-03": 1}
    assert days(tokyo) == {"2026-12-03": 1}
    assert days(honolulu) == {"2026-12-04": 1}
    assert days(northwind, solaris, tokyo, honolulu) == {"2026-12-03": 2, "2026-12-04": 1}


def test_the_last_second_of_a_local_day_is_that_day_and_the_next_is_the_next(solaris):
    # Madrid is UTC+1 in December: 22:59:59 UTC is 23:59:59 there.
    event_at(
        dt.datetime(2026, 12, 3, 22, 59, 59, tzinfo=dt.UTC), "rollback.requested", client=solaris
    )
    event_at(
        dt.datetime(2026, 12, 3, 23, 0, 0, tzinfo=dt.UTC), "rollback.requested", client=solaris
    )
    panel = rollbacks_per_day(scope_of(solaris, since=DAY, until=DAY))

    assert nonzero(panel) == {"2026-12-03": 1}


def test_a_day_across_a_daylight_saving_change_is_counted_whole(solaris):
    # 29 March 2026: Madrid's day runs from 23:00 UTC on the 28th to 22:00 UTC (23 hours).
    day = dt.date(2026, 3, 29)
    for at in (
        dt.datetime(2026, 3, 28, 22, 59, tzinfo=dt.UTC),  # the 28th
        dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC),  # 00:00 on the 29th
        dt.datetime(2026, 3, 29, 21, 59, tzinfo=dt.UTC),  # 23:59 CEST on the 29th
        dt.datetime(2026, 3, 29, 22, 0, tzinfo=dt.UTC),  # the 30th
    ):
        event_at(at, "export.requested", client=solaris)
    panel = exports_per_day(scope_of(solaris, since=day, until=day))

    assert nonzero(panel) == {"2026-03-29": 2}


# --- the shape the board renders ----------------------------------------------------------


@pytest.mark.parametrize("panel_function", COMPLIANCE_PANELS, ids=lambda f: f.__name__)
def test_every_panel_has_its_table_and_series_of_the_same_size(panel_function, northwind):
    scope = scope_of(northwind, since=DAY, until=DAY + dt.timedelta(days=6))
    panel: Panel = panel_function(scope)

    assert panel.key.startswith("compliance-") and panel.title and panel.columns
    assert all(len(row) == len(panel.columns) for row in panel.rows)
    if panel.key != "compliance-reveals-by-staff":
        assert [row[0] for row in panel.rows] == [
            (DAY + dt.timedelta(days=i)).isoformat() for i in range(7)
        ]
        assert all(len(s.points) == 7 for s in panel.series)


def test_each_number_links_to_exactly_the_events_it_counts(northwind, solaris, personas):
    """The supervisor/compliance person in both clients follows every link of every panel:
    the list shows the same number of rows as the point says, across two time zones."""
    auditor = make_staff("auditor", "compliance", northwind, solaris)
    moments = [dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC)] + [
        dt.datetime(2026, 12, 3, h, 15, tzinfo=dt.UTC) for h in (0, 9, 22, 23)
    ]
    for i, at in enumerate(moments):
        for client in (northwind, solaris):
            for action in ("customer.sensitive_revealed", "rollback.applied", "customer.frozen"):
                event_at(at, action, client=client, actor=auditor if i % 2 else personas["agent"])
    http = signed_in(auditor)
    scope = scope_of(northwind, solaris, since=DAY, until=DAY + dt.timedelta(days=1))

    checked = 0
    for panel_function in COMPLIANCE_PANELS:
        panel = panel_function(scope)
        for series in panel.series:
            for point in series.points:
                if point.href:
                    assert len(listed(http, point.href)) == point.value, (panel.key, point)
                    checked += 1
    assert checked >= 6
    staff = reveals_by_staff(scope)
    for (_label, href), row in zip(staff.links, staff.rows, strict=True):
        assert len(listed(http, href)) == row[-1]
    total = AuditEvent.objects.filter(action="customer.sensitive_revealed").count()
    assert sum(row[-1] for row in staff.rows) < total  # the 2nd in London is outside
