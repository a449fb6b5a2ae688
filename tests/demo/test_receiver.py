"""The demo receiver (profiledesk/demo/receiver.py): each demo client's CRM and billing
system, built on docs/examples/webhook_receiver.py, run here as a real HTTP server on
127.0.0.1 against the desk's real sender; and the desk's demo page that shows a delivery
as that system received it.

Abuse first: a request signed with another secret, an event of another client signed
with this system's secret, a replay, another client's staff on the page, a connector
pointed at another client's system, the page outside demo mode.
"""

import datetime as dt
import socket
import threading
import time

import pytest
import requests
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from profiledesk.apply.services import ticket_apply
from profiledesk.connectors.models import Delivery, Kind, Status
from profiledesk.connectors.signing import event_body, signature
from profiledesk.connectors.tasks import deliver
from profiledesk.demo import receiver
from profiledesk.demo.connectors import receiver_path, receiver_store, receiver_systems
from tests.apply.helpers import applicable
from tests.approvals.helpers import WEDNESDAY
from tests.conftest import signed_in
from tests.connectors.helpers import connector_for

pytestmark = pytest.mark.django_db

SECRET = "demo-receiver-secret-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """The demo receiver on a free port; `start()` hands it the demo connectors' systems
    and secrets as run_demo does."""

    def __init__(self, port: int):
        self.port = port
        self.server = None

    def start(self) -> None:
        self.server = receiver.serve(
            port=self.port, store=receiver_store(), systems=receiver_systems()
        )
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def post(self, path: str, body: bytes, *, secret: str, key: str) -> requests.Response:
        now = int(time.time())
        return requests.post(
            f"http://127.0.0.1:{self.port}{path}",
            data=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                "X-ProfileDesk-Timestamp": str(now),
                "X-ProfileDesk-Signature": signature(secret=secret, timestamp=now, body=body),
            },
            timeout=10,
        )


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def rx(settings, tmp_path):
    settings.DEMO_MODE = True
    settings.DEMO_VAR_DIR = tmp_path
    settings.CONNECTOR_ALLOW_HTTP = True
    settings.DEMO_RECEIVER_PORT = _free_port()
    running = Receiver(settings.DEMO_RECEIVER_PORT)
    yield running
    running.stop()


def _system(client, rx, *, slug="crm", kind=Kind.CRM, secret=SECRET, path_client=None):
    return connector_for(
        client,
        url=f"http://127.0.0.1:{rx.port}/{path_client or client.slug}/{slug}",
        kind=kind,
        categories=["contact", "billing"],
        secret=secret,
        name=f"Demo {slug}",
    )


def _email_change(customer, personas, value):
    primary = customer.emails.get(is_primary=True)
    ticket = applicable(customer, personas, "contact", {"email": value, "email_target": primary.pk})
    ticket_apply(ticket=ticket, by=personas["agent"])
    return Delivery.objects.get(ticket=ticket)


def _page(user, delivery):
    return signed_in(user).get(f"/demo/receiver/deliveries/{delivery.pk}/")


def _held(connector, customer, field):
    record = receiver.record_of(
        receiver_store(), system=receiver_path(connector), customer=customer.number
    )
    return [v["value"] for v in record["values"] if v["field"] == field], record["sequence"]


def test_a_signed_change_arrives_verified_and_updates_the_record(
    customer, personas, northwind, rx, clock
):
    crm = _system(northwind, rx)
    rx.start()
    delivery = _email_change(customer, personas, "grace.new@navy.example")

    assert deliver.apply(args=[delivery.pk]).result == "delivered"

    assert _held(crm, customer, "emailaddress.email") == (
        ["grace.new@navy.example"],
        delivery.sequence,
    )
    html = _page(personas["agent"], delivery).content.decode()
    assert 'data-testid="signature-verified"' in html
    assert "applied" in html
    assert "grace.new@navy.example" in html  # in clear, as the CRM holds it
    assert 'data-testid="record-updated"' in html
    # The ticket's delivery panel links here; reading clear values is audited.
    ticket_page = signed_in(personas["agent"]).get(f"/tickets/{delivery.ticket.reference}/")
    assert f"/demo/receiver/deliveries/{delivery.pk}/" in ticket_page.content.decode()
    assert AuditEvent.objects.filter(action="demo.receiver_viewed").count() == 1


def test_a_replayed_older_event_leaves_the_newer_value(customer, personas, northwind, rx, clock):
    crm = _system(northwind, rx)
    rx.start()
    first = _email_change(customer, personas, "first@navy.example")
    clock.shift(dt.timedelta(seconds=1))
    second = _email_change(customer, personas, "second@navy.example")
    deliver.apply(args=[first.pk])
    deliver.apply(args=[second.pk])
    assert _held(crm, customer, "emailaddress.email") == (["second@navy.example"], second.sequence)

    # The first body again, freshly signed: a repeat of its key is a duplicate, and under
    # a new key it is stale; either way the newer value stays.
    body = event_body(Delivery.objects.get(pk=first.pk).event)
    path = receiver_path(crm)
    repeat = rx.post(path, body, secret=SECRET, key=first.idempotency_key)
    assert (repeat.status_code, repeat.json()["outcome"]) == (200, "duplicate")
    late = rx.post(path, body, secret=SECRET, key="a-supervisor-retry")
    assert (late.status_code, late.json()["outcome"]) == (200, "stale")
    assert _held(crm, customer, "emailaddress.email") == (["second@navy.example"], second.sequence)


def test_a_wrong_signature_is_refused_and_the_page_says_so(
    customer, personas, northwind, rx, clock
):
    crm = _system(northwind, rx)
    rx.start()  # the receiver knows SECRET; the desk now signs with another
    crm.set_secret("a-secret-the-receiver-does-not-know-0000")
    crm.save()
    delivery = _email_change(customer, personas, "grace.new@navy.example")

    deliver.apply(args=[delivery.pk])

    assert Delivery.objects.get(pk=delivery.pk).status == Status.FAILING
    assert Delivery.objects.get(pk=delivery.pk).last_status_code == 401
    assert (
        receiver.record_of(receiver_store(), system=receiver_path(crm), customer=customer.number)
        is None
    )
    html = _page(personas["agent"], delivery).content.decode()
    assert "bad signature" in html and 'data-testid="signature-verified"' not in html
    assert "grace.new@navy.example" not in html  # an unverified body is never kept


def test_another_client_s_event_signed_with_this_system_s_secret_is_refused(
    customer, personas, northwind, solaris, rx, clock
):
    # A Solaris connector pointed at Northwind's CRM path, with Northwind's secret.
    crm = _system(northwind, rx)
    rx.start()
    delivery = _email_change(customer, personas, "grace.new@navy.example")
    forged = {**delivery.event, "client": solaris.slug}
    answer = rx.post(receiver_path(crm), event_body(forged), secret=SECRET, key="forged")
    assert (answer.status_code, answer.json()["outcome"]) == (403, "another client's event")


def test_a_connector_pointed_at_another_client_s_system_gets_no_page(
    customer, personas, northwind, rx, clock
):
    # Northwind's connector pointed at Solaris's path: not Northwind's demo system.
    _system(northwind, rx, path_client="solaris")
    rx.start()
    delivery = _email_change(customer, personas, "grace.new@navy.example")
    assert _page(personas["agent"], delivery).status_code == 404
    ticket_page = signed_in(personas["agent"]).get(f"/tickets/{delivery.ticket.reference}/")
    assert "/demo/receiver/" not in ticket_page.content.decode()


def test_the_page_is_for_the_client_s_staff_in_demo_mode_only(
    customer, personas, northwind, rx, clock, settings
):
    _system(northwind, rx)
    rx.start()
    delivery = _email_change(customer, personas, "grace.new@navy.example")
    deliver.apply(args=[delivery.pk])

    assert _page(personas["outsider"], delivery).status_code == 404  # Solaris's agent
    assert _page(personas["agent"], delivery).status_code == 200
    settings.DEMO_MODE = False
    assert _page(personas["agent"], delivery).status_code == 404
    ticket_page = signed_in(personas["agent"]).get(f"/tickets/{delivery.ticket.reference}/")
    assert "/demo/receiver/" not in ticket_page.content.decode()


def test_a_card_arrives_as_its_token_and_the_page_never_shows_the_token(
    customer, personas, northwind, rx, clock
):
    billing = _system(northwind, rx, slug="billing", kind=Kind.BILLING)
    rx.start()
    card = customer.cards.filter(is_default=True).first()
    ticket = applicable(
        customer,
        personas,
        "billing",
        {
            "card_number": "5555555555554444",
            "card_exp_month": 3,
            "card_exp_year": WEDNESDAY.year + 3,
            "card_holder_name": "GRACE HOPPER",
            "card_make_default": True,
            "card_target": card.pk if card else None,
        },
    )
    ticket_apply(ticket=ticket, by=personas["agent"])
    delivery = Delivery.objects.get(ticket=ticket, connector=billing)
    deliver.apply(args=[delivery.pk])

    held, _ = _held(billing, customer, "paymentcard.vault_token")
    token = held[-1]["token"]
    assert held[-1]["last4"] == "4444"  # the billing system holds the token to exchange
    html = _page(personas["supervisor"], delivery).content.decode()
    assert token not in html and "5555555555554444" not in html
    assert "last4: 4444" in html


@pytest.mark.parametrize(
    "body",
    [
        b'{"client": "northwind", "data": []}',  # signed, but not an event's shape
        b'{"client": "northwind"}',
        b"[1, 2]",
        b"not json",
    ],
)
def test_a_signed_body_that_is_no_event_is_a_400_not_a_hang(northwind, rx, body):
    crm = _system(northwind, rx)
    rx.start()
    answer = rx.post(receiver_path(crm), body, secret=SECRET, key=f"odd-{len(body)}")
    assert answer.status_code in (400, 403)


def test_a_bad_content_length_is_refused(northwind, rx):
    crm = _system(northwind, rx)
    rx.start()
    with socket.create_connection(("127.0.0.1", rx.port), timeout=10) as sock:
        sock.sendall(f"POST {receiver_path(crm)} HTTP/1.0\r\nContent-Length: -5\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.0 400")


SECRET_KEYS = ["paymentcard.vault_token", "bankaccount.vault_token", "unknown.field"]
SENSITIVE_KEYS = ["personaldetails.national_id", "personaldetails.date_of_birth"]


@given(
    token=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=8, max_size=40),
    key=st.sampled_from(SECRET_KEYS),
)
def test_the_page_never_shows_a_token_or_a_secret_class_value(token, key):
    from profiledesk.demo.selectors import shown

    assert token not in shown(key, {"token": token, "brand": "visa", "last4": "4242"})
    assert token not in shown(key, token)


@given(value=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=9, max_size=30))
def test_a_sensitive_class_value_is_masked_as_on_the_desk(value):
    from profiledesk.demo.selectors import shown
    from profiledesk.intake.fields import FIELD_SPECS

    keys = {spec.key for spec in FIELD_SPECS.values()}
    for key in (k for k in SENSITIVE_KEYS if k in keys):
        assert value not in shown(key, value)
