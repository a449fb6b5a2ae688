"""GET /audit/events/: the audit events of the viewer's clients, newest first, 50 a page,
filtered by a form; never another client's rows, never a value from `data`, never a 500."""

import datetime as dt
import string

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.services import audit_record
from tests.conftest import make_staff, signed_in
from tests.dashboards.compliance_helpers import event_at
from tests.factories import TicketFactory, complete_customer

pytestmark = pytest.mark.django_db

URL = "/audit/events/"
# Every page: session, user, TOTP device, and the user's permissions and role names in
# one query (accounts/permissions.py; tests/audit/test_history_queries.py).
FRAME = 4


def shown(response) -> list[int]:
    assert response.status_code == 200, response.content[:800]
    return [row.event.pk for row in response.context["page"].rows]


@pytest.fixture
def both_clients(northwind, solaris, personas, customer):
    """Events of Northwind (the personas') and of Solaris (the outsider's)."""
    other = complete_customer(solaris)
    ours = [
        audit_record(action="customer.frozen", client=northwind, target=customer),
        audit_record(action="export.requested", client=northwind, actor=personas["compliance"]),
    ]
    theirs = [
        audit_record(action="customer.frozen", client=solaris, target=other),
        audit_record(action="export.requested", client=solaris, actor=personas["outsider"]),
        audit_record(action="staff.sign_in.verified", client=None, actor=personas["compliance"]),
    ]
    return ours, theirs


# --- scoping -----------------------------------------------------------------------------


def test_the_list_shows_only_the_viewers_clients_events(both_clients, personas):
    ours, _theirs = both_clients

    ids = shown(signed_in(personas["compliance"]).get(URL))

    assert ids == [e.pk for e in reversed(ours)]


def test_another_clients_id_is_a_form_error_not_its_rows(both_clients, personas, solaris):
    response = signed_in(personas["compliance"]).get(URL, {"client": solaris.pk})

    assert response.status_code == 400
    assert "client" in response.context["form"].errors
    assert b'data-testid="audit-event"' not in response.content


def test_guessed_cursors_and_staff_of_another_client_list_nothing_of_theirs(both_clients, personas):
    ours, theirs = both_clients
    http = signed_in(personas["compliance"])
    top = max(e.pk for e in theirs) + 1
    for query in ({"after": top}, {"before": 1}, {"after": theirs[0].pk + 1}):
        assert set(shown(http.get(URL, query))) <= {e.pk for e in ours}
    response = http.get(URL, {"actor": personas["outsider"].pk})
    assert response.status_code == 400 and "actor" in response.context["form"].errors


def test_a_supervisor_reads_the_list_and_an_agent_may_not(both_clients, personas):
    assert signed_in(personas["supervisor"]).get(URL).status_code == 200
    assert signed_in(personas["agent"]).get(URL).status_code == 403
    assert signed_in(personas["outsider"]).get(URL).status_code == 403


def test_a_member_of_both_clients_sees_both_and_filters_one(both_clients, northwind, solaris):
    ours, theirs = both_clients
    both = make_staff("both", "compliance", northwind, solaris)
    http = signed_in(both)

    assert set(shown(http.get(URL))) == {e.pk for e in ours + theirs[:2]}
    assert set(shown(http.get(URL, {"client": solaris.pk}))) == {e.pk for e in theirs[:2]}


# --- what a row shows --------------------------------------------------------------------


def test_no_value_from_data_reaches_the_page(northwind, personas, customer):
    audit_record(
        action="customer.sensitive_revealed",
        actor=personas["compliance"],
        client=northwind,
        target=customer,
        data={
            "label": "National ID",
            "reason": "Dispute about AB123456C",
            "value": "AB123456C",
            "email": "grace@example.com",
        },
    )
    page = signed_in(personas["compliance"]).get(URL).content.decode()

    assert "National ID" in page
    for value in ("AB123456C", "grace@example.com", "Dispute"):
        assert value not in page


def test_rows_link_to_the_tickets_audit_the_customers_history_and_the_staff_activity(
    northwind, personas, customer
):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    audit_record(action="ticket.applied", actor=personas["agent"], client=northwind, target=ticket)
    audit_record(action="customer.frozen", client=northwind, target=customer)
    page = signed_in(personas["compliance"]).get(URL).content.decode()

    assert reverse("audit:ticket_audit", args=[ticket.reference]) in page
    assert reverse("audit:customer_history", args=[customer.pk]) in page
    assert f"{customer.number} history" in page
    assert reverse("audit:staff_activity", args=[personas["agent"].pk]) in page


def test_times_are_in_each_clients_own_zone(northwind, solaris):
    both = make_staff("both", "compliance", northwind, solaris)
    at = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC)
    event_at(at, "customer.frozen", client=northwind)
    event_at(at, "customer.frozen", client=solaris)
    page = signed_in(both).get(URL).content.decode()

    assert "2026-12-03 23:30:00" in page  # London
    assert "2026-12-04 00:30:00" in page  # Madrid


def test_a_day_filter_is_the_clients_local_day(northwind, solaris):
    both = make_staff("both", "compliance", northwind, solaris)
    at = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC)
    london = event_at(at, "customer.frozen", client=northwind)
    madrid = event_at(at, "customer.frozen", client=solaris)
    http = signed_in(both)

    assert shown(http.get(URL, {"since": "2026-12-03", "until": "2026-12-03"})) == [london.pk]
    assert shown(http.get(URL, {"since": "2026-12-04", "until": "2026-12-04"})) == [madrid.pk]


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"action": "customer.deleted_everything"},
        {"since": "2026-13-01"},
        {"since": "0001-01-01"},
        {"since": "2026-12-05", "until": "2026-12-01"},
        {"actor": "mallory"},
        {"after": "99999999999999999999999"},
        {"before": "-1"},
        {"after": "5", "before": "9"},
    ],
)
def test_bad_filters_are_form_errors(query, personas):
    response = signed_in(personas["compliance"]).get(URL, query)

    assert response.status_code == 400
    assert b'data-testid="field-error"' in response.content
    # The message says what to do; it never repeats what was sent.
    errors = " ".join(e for es in response.context["form"].errors.values() for e in es)
    for value in query.values():
        assert value not in errors


_TEXT = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(str),
    st.sampled_from(["customer.frozen", "1", "0", "", "2026-12-03", "\x00", "%00", "9" * 40]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.dictionaries(
        st.sampled_from(["client", "action", "actor", "since", "until", "after", "before"]),
        st.lists(_TEXT, min_size=1, max_size=3),
        max_size=6,
    )
)
def test_hostile_query_strings_never_500_and_never_list_another_clients_rows(
    both_clients, personas, query
):
    ours, _theirs = both_clients
    # A NUL is refused before any view (intake.middleware): leave it out of what we send.
    query = {k: [v.replace("\x00", "") for v in vs] for k, vs in query.items()}
    response = signed_in(personas["compliance"]).get(URL, query)

    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert set(shown(response)) <= {e.pk for e in ours}


# --- pages -------------------------------------------------------------------------------


def test_pages_of_fifty_cover_every_event_once_both_ways(northwind, personas):
    made = [
        audit_record(action="export.downloaded", client=northwind, actor=personas["compliance"]).pk
        for _ in range(123)
    ]
    http = signed_in(personas["compliance"])
    pages, url = [], f"{URL}?action=export.downloaded"
    while url:
        response = http.get(url)
        pages.append(shown(response))
        older = response.context["page"].older
        url = f"{URL}?action=export.downloaded&after={older}" if older else ""
    seen = [pk for page in pages for pk in page]

    assert [len(p) for p in pages] == [50, 50, 23]
    assert seen == sorted(made, reverse=True)
    # Back up from the last page with "Newer": the same pages in reverse.
    response = http.get(f"{URL}?action=export.downloaded&after={pages[1][-1]}")
    newer = response.context["page"].newer
    assert shown(http.get(f"{URL}?action=export.downloaded&before={newer}")) == pages[1]


def test_events_recorded_while_paging_do_not_shift_the_older_pages(northwind, personas):
    made = [audit_record(action="customer.frozen", client=northwind).pk for _ in range(60)]
    http = signed_in(personas["compliance"])
    first = http.get(URL)
    older = first.context["page"].older
    audit_record(action="customer.frozen", client=northwind)  # a new one, on top

    second = shown(http.get(URL, {"after": older}))

    assert second == sorted(made, reverse=True)[50:]
    assert not set(second) & set(shown(first))


@pytest.mark.parametrize("count", [2, 60])
def test_the_list_has_a_fixed_query_budget(
    count, northwind, personas, customer, django_assert_num_queries
):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    for i in range(count):
        audit_record(
            action="ticket.applied" if i % 2 else "customer.sensitive_revealed",
            actor=personas["agent"],
            client=northwind,
            target=ticket if i % 2 else customer,
        )
    http = signed_in(personas["compliance"])
    http.get(URL)  # warm the session
    # Expect FRAME + 5 queries: the viewer's clients, the staff sharing them (the actor
    # filter and the activity links), the page of events with their actors, and the
    # tickets and the customers the page names.
    with django_assert_num_queries(FRAME + 5):
        response = http.get(
            URL + "?since=2000-01-01&action=ticket.applied&action=customer.sensitive_revealed"
        )
    assert len(shown(response)) == min(count, 50)


def test_the_filter_offers_only_known_actions(personas):
    form = signed_in(personas["compliance"]).get(URL).context["form"]
    offered = {a for _group, choices in form.fields["action"].choices for a, _label in choices}

    assert "customer.sensitive_revealed" in offered and "verification.waived" in offered
    assert all(set(a) <= set(string.ascii_lowercase + "._") for a in offered)


def test_the_staff_activity_page_links_to_their_audit_events(northwind, personas):
    mine = audit_record(action="export.requested", client=northwind, actor=personas["agent"])
    audit_record(action="export.requested", client=northwind, actor=personas["compliance"])
    http = signed_in(personas["compliance"])
    page = http.get(reverse("audit:staff_activity", args=[personas["agent"].pk]))
    href = f"{URL}?actor={personas['agent'].pk}"

    assert href in page.content.decode()
    assert shown(http.get(href)) == [mine.pk]


def test_a_staff_member_of_both_clients_shows_only_their_events_of_the_viewers(
    northwind, solaris, personas
):
    roaming = make_staff("roaming", "supervisor", northwind, solaris)
    here = audit_record(action="customer.frozen", client=northwind, actor=roaming)
    audit_record(action="customer.frozen", client=solaris, actor=roaming)

    response = signed_in(personas["compliance"]).get(URL, {"actor": roaming.pk})

    assert shown(response) == [here.pk]


def test_an_error_is_tied_to_its_field(personas):
    page = signed_in(personas["compliance"]).get(URL, {"since": "2026-02-31"}).content.decode()

    assert 'aria-describedby="id_since-error"' in page and 'aria-invalid="true"' in page
    assert 'id="id_since-error"' in page
