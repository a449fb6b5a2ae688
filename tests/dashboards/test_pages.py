"""The dashboard pages: who may see them, whose figures, the filters, the CSVs, the budget."""

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import ROLES, make_staff, signed_in
from tests.dashboards.helpers import HOSTILE
from tests.tickets.queue_helpers import many_open_tickets, queue_ticket

BOARD = reverse("dashboards:supervisor")
COMPLIANCE = reverse("dashboards:compliance")


def csv_url(key: str) -> str:
    return reverse("dashboards:csv", args=[key])


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("role", ROLES)
def test_only_supervisors_and_compliance_see_the_dashboard(personas, role):
    status = signed_in(personas[role]).get(BOARD).status_code
    assert status == (200 if role in ("supervisor", "compliance") else 403)
    csv_status = signed_in(personas[role]).get(csv_url("backlog-state")).status_code
    assert csv_status == (200 if role in ("supervisor", "compliance") else 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_compliance_sees_the_compliance_dashboard(personas, role):
    status = signed_in(personas[role]).get(COMPLIANCE).status_code
    assert status == (200 if role == "compliance" else 403)


def test_the_navigation_offers_the_dashboard_to_who_may_see_it(personas):
    for role in ROLES:
        page = signed_in(personas[role]).get(reverse("accounts:sessions")).content.decode()
        assert (f'href="{BOARD}"' in page) is (role in ("supervisor", "compliance")), role


def test_another_clients_id_is_a_form_error_never_its_figures(northwind, solaris, personas):
    queue_ticket(solaris)
    http = signed_in(personas["supervisor"])  # of Northwind only
    response = http.get(BOARD, {"client": solaris.pk})
    assert response.status_code == 400
    assert "client" in response.context["form"].errors
    assert response.context["panels"] == []
    assert 'data-testid="panel-' not in response.content.decode()
    refused = http.get(csv_url("backlog-state"), {"client": solaris.pk})
    assert refused.status_code == 400 and b"client" in refused.content
    assert (
        signed_in(personas["compliance"]).get(COMPLIANCE, {"client": solaris.pk}).status_code == 400
    )


def test_all_my_clients_counts_only_my_clients(northwind, solaris, personas):
    queue_ticket(northwind)
    many_open_tickets(solaris, 5)
    response = signed_in(personas["supervisor"]).get(csv_url("backlog-state"))
    assert dict(rows_of(response)[1:])["New"] == "1"


def test_a_supervisor_of_two_clients_sees_both_or_one(northwind, solaris):
    both = make_staff("both", "supervisor", northwind, solaris)
    queue_ticket(northwind)
    many_open_tickets(solaris, 2)
    http = signed_in(both)
    total = dict(rows_of(http.get(csv_url("backlog-state")))[1:])
    one = dict(rows_of(http.get(csv_url("backlog-state"), {"client": solaris.pk}))[1:])
    assert (total["New"], one["New"]) == ("3", "2")


def test_the_page_states_the_days_and_the_time_zone(northwind, solaris):
    both = make_staff("both", "supervisor", northwind, solaris)
    http = signed_in(both)
    page = http.get(BOARD, {"since": "2026-11-01", "until": "2026-11-30"}).content.decode()
    assert "From 1 Nov 2026 to 30 Nov 2026, both included." in page
    assert "each client&#x27;s own day" in page
    one = http.get(BOARD, {"client": solaris.pk}).content.decode()
    assert "<strong>Europe/Madrid</strong>" in one


def test_the_default_is_the_last_30_days_ending_today_in_the_clients_zone(solaris):
    boss = make_staff("boss", "supervisor", solaris)  # Solaris: Europe/Madrid (UTC+1)
    # 23:30 UTC on 4 Dec is already 5 Dec in Madrid.
    with time_machine.travel(dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC), tick=False):
        response = signed_in(boss).get(BOARD, {"client": solaris.pk})
    data = response.context["form"].cleaned_data
    assert (data["since"], data["until"]) == (dt.date(2026, 11, 6), dt.date(2026, 12, 5))
    assert 'value="2026-11-06"' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-12-05", "until": "2026-12-01"}, "until"),
        ({"since": "2020-01-01", "until": "2026-12-01"}, "since"),  # over a year
        ({"since": "not a date"}, "since"),
        ({"until": "9999-12-31"}, "until"),
        ({"client": "x"}, "client"),
    ],
)
def test_bad_filters_are_a_400_with_the_fields_message(personas, params, field):
    response = signed_in(personas["supervisor"]).get(BOARD, params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert (
        signed_in(personas["supervisor"]).get(csv_url("backlog-state"), params).status_code == 400
    )


def test_the_scope_reaches_the_panels_with_the_chosen_days(northwind, personas, own_panels):
    page = signed_in(personas["supervisor"]).get(
        BOARD, {"client": northwind.pk, "since": "2026-12-01", "until": "2026-12-03"}
    )
    assert f"Clients {northwind.pk} from 2026-12-01 to 2026-12-03" in page.content.decode()


def test_each_panel_has_its_chart_table_note_and_csv_link(personas, own_panels):
    page = signed_in(personas["supervisor"]).get(BOARD, {"since": "2026-12-01"}).content.decode()
    for key in (
        "backlog-state",
        "backlog-age",
        "backlog-channel",
        "sla-now",
        "approvals-now",
        "test-days",
    ):
        section = page.split(f'data-testid="panel-{key}"')[1].split("</section>")[0]
        assert "<svg" in section and "<table" in section and "<caption" in section, key
        assert '<th scope="col"' in section, key
        assert f'href="{csv_url(key)}?since=2026-12-01"' in section, key
    assert "test-hostile" not in page  # a compliance panel, not on the supervisor's page


def test_the_csv_has_the_tables_rows(personas, own_panels):
    http = signed_in(personas["supervisor"])
    response = http.get(csv_url("test-days"), {"since": "2026-12-01", "until": "2026-12-05"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="test-days_2026-12-01_2026-12-05.csv"' in response["Content-Disposition"]
    assert rows_of(response) == [
        ["Day", "Met", "Breached"],
        ["2026-12-03", "7", "12"],
        ["2026-12-04", "5", "0"],
        ["2026-12-05", "", ""],
    ]
    page = http.get(BOARD, {"since": "2026-12-01", "until": "2026-12-05"}).content.decode()
    table = page.split('id="caption-test-days"')[1].split("</table>")[0]
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table)]
    assert cells == [
        "Day",
        "Met",
        "Breached",
        "2026-12-03",
        "7",
        "12",
        "2026-12-04",
        "5",
        "0",
        "2026-12-05",
        "–",
        "–",
    ]


def test_a_csv_cell_a_spreadsheet_would_run_is_text(personas, own_panels):
    response = signed_in(personas["compliance"]).get(csv_url("test-hostile"))
    rows = rows_of(response)
    assert rows[0] == ["'=Label", "Count"]
    labels = [row[0] for row in rows[1:]]
    assert labels == [f"'{h}" if h != "plain" else h for h in HOSTILE]


def test_a_compliance_panels_csv_is_not_served_to_a_supervisor(personas, own_panels):
    assert signed_in(personas["supervisor"]).get(csv_url("test-hostile")).status_code == 404
    assert signed_in(personas["supervisor"]).get(csv_url("no-such-panel")).status_code == 404


@pytest.mark.parametrize("tickets", [1, 40])
def test_the_dashboard_costs_the_same_queries_whatever_the_backlog(
    northwind, personas, customer, tickets, django_assert_num_queries
):
    many_open_tickets(northwind, tickets, customer=customer)
    http = signed_in(personas["supervisor"])
    # Expect 26 queries, whatever the number of tickets (one aggregate a now panel, one
    # read of the daily figures a history panel; never the tickets for history):
    #  1. the session          2. the staff member      3. their TOTP device
    #  4. their permissions and role names (one query: accounts/permissions.py)
    #  5. the clients they serve (the filter's choices and zones)
    #  6. backlog by state     7. backlog by age        8. backlog by channel
    #  9. SLA now             10. approvals waiting per tier
    # 11-24. the 14 history panels (profiledesk/dashboards/figures), one each
    with django_assert_num_queries(24):
        response = http.get(BOARD)
    assert response.status_code == 200


@pytest.fixture
def panels_cached(settings):
    from django.core.cache import cache

    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_cached_panels_are_served_without_their_queries_and_only_to_the_same_scope(
    northwind, solaris, personas, panels_cached, django_assert_max_num_queries
):
    queue_ticket(northwind)
    many_open_tickets(solaris, 2)
    http = signed_in(personas["supervisor"])  # Northwind only
    first = panels_of(http.get(BOARD))
    with django_assert_max_num_queries(7):  # the page's frame, no panel query
        again = panels_of(http.get(BOARD))
    assert again == first and 'id="panel-backlog-state"' in first
    # A supervisor of both clients asks "all my clients": another scope, not the copy.
    both = make_staff("both", "supervisor", northwind, solaris)
    theirs = panels_of(signed_in(both).get(BOARD))
    assert theirs != first
    assert csv_backlog(signed_in(both)) == "3"  # Northwind's 1 and Solaris's 2
    # Other days are another copy too.
    week = panels_of(http.get(BOARD, {"since": "2026-11-01", "until": "2026-11-07"}))
    assert week != first


def panels_of(response) -> str:
    """The page's panels (the frame around them carries per-request tokens)."""
    text = response.content.decode()
    return text[text.index("dashboard-toc") : text.index("</main>")]


def csv_backlog(http) -> str:
    return dict(rows_of(http.get(csv_url("backlog-state")))[1:])["New"]
