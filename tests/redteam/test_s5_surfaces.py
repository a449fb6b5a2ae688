"""Red team, session 5: probes of what landed with issues 16 and 19 that held.

Each test is an attack a hostile insider (or an outsider) would try first: another
client's id hidden among repeated parameters, a panel key that does not exist, a guessed
staff member in the audit-events filter, a metrics scrape relayed or dressed as IPv6, a
staff page asked to speak Spanish or to set a hostile language cookie."""

import csv
import io

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.conftest import make_staff, signed_in
from tests.tickets.queue_helpers import many_open_tickets, queue_ticket

BOARD = reverse("dashboards:supervisor")
EVENTS = reverse("audit:events")
TOKEN = "scrape-token-0123456789abcdefghijklmnop"


def _csv(response) -> dict[str, str]:
    return dict(list(csv.reader(io.StringIO(response.content.decode())))[1:])


def test_repeated_client_parameters_never_reach_another_clients_figures(
    northwind, solaris, personas
):
    queue_ticket(northwind)
    many_open_tickets(solaris, 3)
    http = signed_in(personas["supervisor"])  # of Northwind only
    url = reverse("dashboards:csv", args=["backlog-state"])
    # The last value is the one read: theirs last is a 400, theirs first is ignored.
    assert http.get(f"{url}?client={northwind.pk}&client={solaris.pk}").status_code == 400
    mine = http.get(f"{url}?client={solaris.pk}&client={northwind.pk}")
    assert mine.status_code == 200 and _csv(mine)["New"] == "1"
    for hostile in ("1e3", "-1", str(2**70), "[]", " ", "0x1"):
        assert http.get(url, {"client": hostile}).status_code == 400, hostile


def test_an_unknown_or_compliance_panel_key_is_a_404_for_a_supervisor(personas):
    http = signed_in(personas["supervisor"])
    for key in ("nope", "compliance-reveals", "compliance-reveals-by-staff"):
        assert http.get(reverse("dashboards:csv", args=[key])).status_code == 404, key


def test_the_audit_events_filter_refuses_another_clients_id_and_staff(northwind, solaris, personas):
    from audit.services import audit_record

    stranger = make_staff("stranger", "supervisor", solaris)
    # Someone who acted only in another client is not a choice, however the id is guessed.
    audit_record(action="customer.sensitive_revealed", actor=stranger, client=solaris)
    http = signed_in(personas["compliance"])  # of Northwind only
    for params in ({"client": solaris.pk}, {"actor": stranger.pk}, {"after": "0"}):
        response = http.get(EVENTS, params)
        assert response.status_code == 400, params
        assert response.context["page"] is None


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"], METRICS_ENABLED=False)
@pytest.mark.parametrize(
    "headers",
    [
        {"REMOTE_ADDR": "203.0.113.9"},
        {"REMOTE_ADDR": "::ffff:203.0.113.9"},
        {"REMOTE_ADDR": ""},
        {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "10.0.0.6"},
        {"REMOTE_ADDR": "10.0.0.5", "HTTP_FORWARDED": "for=10.0.0.6"},
        {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_REAL_IP": "10.0.0.6"},
    ],
)
def test_a_scrape_from_outside_or_relayed_is_not_told_the_endpoint_exists(headers):
    assert Client().get("/metrics", **headers).status_code == 404


@pytest.mark.parametrize(
    "how",
    [
        {"data": {"lang": "es"}},
        {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"},
        {"cookie": "es"},
    ],
)
def test_a_staff_page_stays_english_and_sets_no_language_cookie(personas, how):
    http = signed_in(personas["supervisor"])
    how = dict(how)
    if "cookie" in how:
        http.cookies["django_language"] = how.pop("cookie")
    response = http.get(reverse("tickets:queue"), how.pop("data", {}), **how)
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "django_language" not in response.cookies


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lang", ["es\r\nSet-Cookie: sessionid=x", "es;path=/", "<script>", "es" * 300, "xx"]
)
def test_a_hostile_lang_on_a_customer_page_sets_no_cookie_and_keeps_english(lang):
    response = Client().get(reverse("confirmations:report", args=["bad-token"]), {"lang": lang})
    assert response["Content-Language"] == "en"
    assert "django_language" not in response.cookies


def test_the_reveals_of_staff_taken_off_the_client_stay_one_link_away(northwind, personas):
    """Offboarding is when an insider's reveals matter most: once their membership is
    gone, the compliance panel still counts their reveals, and its link (the audit list
    filtered to them) must list them, not refuse the filter."""
    import datetime as dt

    from django.utils import timezone

    from profiledesk.clients.models import Membership
    from profiledesk.dashboards.compliance import reveals_by_staff
    from tests.dashboards.compliance_helpers import event_at, scope_of

    leaver = personas["agent"]
    now = timezone.now()
    event_at(now, "customer.sensitive_revealed", client=northwind, actor=leaver)
    Membership.objects.filter(user=leaver, client=northwind).delete()
    today = now.date()
    panel = reveals_by_staff(
        scope_of(northwind, since=today - dt.timedelta(days=1), until=today + dt.timedelta(days=1))
    )
    assert panel.rows[0][-1] == 1
    (_label, href), *_ = panel.links
    response = signed_in(personas["compliance"]).get(href)
    assert response.status_code == 200, response.context["form"].errors
    rows = response.context["page"].rows
    assert [row.event.actor_id for row in rows] == [leaver.pk]
    assert rows[0].actor_href == ""  # no activity page for who no longer shares a client
