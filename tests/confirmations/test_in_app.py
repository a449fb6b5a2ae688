"""In-app confirmations (issue 15): a customer who chose "confirm changes in the app" is
told through the client's communications system as a signed `customer.notification`
event — in their language, masked, with a single-use "this wasn't me" link — and the
ticket waits for its acknowledgement. Through the real apply and a real local receiver
(tests/connectors/conftest.py `receiver`)."""

import datetime as dt
import importlib.util
import json
import logging
import unicodedata
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from profiledesk.apply.services import ticket_apply
from profiledesk.confirmations.models import Confirmation, Reason, ReportLink
from profiledesk.confirmations.services import _plain
from profiledesk.connectors.models import NOTIFICATION_TYPE, Delivery, Kind
from profiledesk.connectors.services import notification_create
from profiledesk.connectors.tasks import deliver
from profiledesk.customers.models import LanguageRegion, Preferences
from profiledesk.intake.validators import INVISIBLE_CONTROLS
from profiledesk.messaging.models import Message
from profiledesk.tickets.models import State, TicketEvent
from tests.apply.helpers import applicable
from tests.approvals.helpers import WEDNESDAY
from tests.conftest import signed_in
from tests.connectors.helpers import SECRET, connector_for
from tests.factories import complete_customer

from .conftest import set_fields

pytestmark = pytest.mark.django_db

_spec = importlib.util.spec_from_file_location(
    "webhook_receiver", Path(settings.BASE_DIR) / "docs" / "examples" / "webhook_receiver.py"
)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)

LINK_PATH = "/confirm/report/"


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def wants_app(customer, *, email: bool = False, language: str = "en"):
    set_fields(
        Preferences.objects.get(customer=customer), confirm_in_app=True, confirm_by_email=email
    )
    set_fields(LanguageRegion.objects.get(customer=customer), language=language)


def comms(client, url, **extra):
    # A communications system that does not receive preferences changes: only the
    # notification reaches it, unless a test says otherwise.
    extra.setdefault("categories", ["contact"])
    return connector_for(client, url=url, kind=Kind.COMMUNICATIONS, **extra)


def apply_change(customer, personas, category="preferences", data=None, **kwargs):
    ticket = applicable(customer, personas, category, data or {"marketing_email": True}, **kwargs)
    ticket.assignee = personas["agent"]  # worked by the agent who claimed it
    ticket.save(update_fields=["assignee"])
    ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    return ticket


def notifications(ticket):
    return list(
        Delivery.objects.filter(ticket=ticket, event__type=NOTIFICATION_TYPE).order_by("pk")
    )


def run(delivery) -> str:
    return deliver.apply(args=[delivery.pk]).result


def received_event(request) -> dict:
    """The event as the documented receiver reads it: signature and timestamp checked."""
    return example.verify(
        secret=SECRET,
        headers=request["headers"],
        body=request["body"],
        now=int(request["headers"]["x-profiledesk-timestamp"]),
    )


def token_of(event) -> str:
    url = event["data"]["report_url"]
    assert url.startswith(settings.DESK_PUBLIC_URL.rstrip("/") + LINK_PATH)
    return url.rsplit("/", 1)[1]


# --- Abuse cases first -------------------------------------------------------------------


def test_a_customer_who_did_not_choose_the_app_gets_no_notification(
    customer, personas, northwind, receiver, clock
):
    comms(northwind, receiver.url)
    ticket = apply_change(customer, personas)

    assert notifications(ticket) == []
    assert not Confirmation.objects.filter(ticket=ticket, delivery__isnull=False).exists()
    assert Message.objects.filter(ticket=ticket, channel="email").exists()  # as before


def test_only_the_clients_own_communications_system_gets_it(
    customer, personas, northwind, solaris, receiver, clock
):
    wants_app(customer)
    theirs = comms(solaris, receiver.url, name="Solaris app")
    crm = connector_for(
        northwind, url=receiver.url, kind=Kind.CRM, categories=["preferences", "contact"]
    )
    identity = connector_for(
        northwind, url=receiver.url, kind=Kind.IDENTITY, categories=["preferences", "security"]
    )
    ours = comms(northwind, receiver.url, name="Northwind app")

    ticket = apply_change(customer, personas)

    [notification] = notifications(ticket)
    assert notification.connector == ours
    assert not Delivery.objects.filter(connector__in=[theirs, identity]).exists()
    assert not Delivery.objects.filter(connector=crm, event__type=NOTIFICATION_TYPE).exists()
    # The transport itself refuses any other system, whoever calls it.
    for wrong in (theirs, crm, identity):
        with pytest.raises(ValueError, match="communications system of the client"):
            notification_create(
                ticket=ticket, connector=wrong, event_id="forged", data={}, secrets={}
            )


def test_the_link_is_sealed_in_the_row_never_shown_or_logged_and_wiped_once_acknowledged(
    customer, personas, northwind, receiver, clock, caplog
):
    wants_app(customer)
    comms(northwind, receiver.url)
    ticket = apply_change(customer, personas)
    [delivery] = notifications(ticket)
    stored = json.dumps(delivery.event)
    assert delivery.event["data"]["report_url"] == "••••••"
    assert LINK_PATH not in stored and "_sealed" in delivery.event

    receiver.answers = [503]  # a failed attempt logs; it must not log the link
    with caplog.at_level(logging.DEBUG):
        assert run(delivery) != "delivered"
        clock.shift(dt.timedelta(minutes=5))
        assert run(delivery) == "delivered"

    token = token_of(received_event(receiver.requests[-1]))
    assert token not in caplog.text
    delivery.refresh_from_db()
    assert "_sealed" not in delivery.event  # nothing left to unseal
    assert delivery.event["data"]["report_url"] == "••••••"
    for text in (
        *TicketEvent.objects.filter(ticket=ticket).values_list("message", flat=True),
        *(json.dumps(e.data) for e in AuditEvent.objects.all()),
    ):
        assert token not in text and LINK_PATH not in text
    # The row's event is what was sent, the link put back in its place.
    sent = json.loads(receiver.requests[-1]["body"])
    sent["data"]["report_url"] = "••••••"
    assert sent == delivery.event


def test_a_used_forged_or_replayed_link_does_nothing(
    customer, personas, northwind, receiver, clock
):
    wants_app(customer)
    comms(northwind, receiver.url)
    ticket = apply_change(customer, personas)
    [delivery] = notifications(ticket)
    run(delivery)
    request = receiver.requests[-1]
    token = token_of(received_event(request))
    http = HttpClient()

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert http.post(LINK_PATH + forged).status_code == 404
    tampered = request["body"].replace(b"customer.notification", b"customer.notificatioN")
    with pytest.raises(ValueError, match="bad signature"):
        example.verify(
            secret=SECRET,
            headers=request["headers"],
            body=tampered,
            now=int(request["headers"]["x-profiledesk-timestamp"]),
        )

    assert http.post(LINK_PATH + token).status_code == 200  # the customer's report
    customer.refresh_from_db()
    assert customer.frozen_at is not None
    # The same event again (a replay, or the app showing it twice): the link is used up.
    assert http.post(LINK_PATH + token_of(received_event(request))).status_code == 410
    assert ReportLink.objects.get(confirmation__delivery=delivery).report_ticket is not None
    assert ReportLink.objects.filter(report_ticket__isnull=False).count() == 1


def test_hostile_names_stay_inert_text_and_out_of_the_title(northwind, personas, receiver, clock):
    northwind.name = "North\u202ewind <b>Energy</b>\r\nX-Evil: 1"
    northwind.save()
    hostile = "<img src=x onerror=alert(1)> Grace"
    customer = complete_customer(northwind, legal_name=hostile)
    wants_app(customer)
    comms(northwind, receiver.url, categories=["personal"], scope=[])
    ticket = apply_change(
        customer, personas, "personal", {"preferred_name": "<script>alert(2)</script>"}
    )
    [delivery] = notifications(ticket)
    run(delivery)

    data = received_event(receiver.requests[-1])["data"]
    title, body = data["title"], data["body"]
    for text in (title, body, data["report_label"]):
        assert not any(ch in text for ch in "\u202e\r")
    assert "\n" not in title and "X-Evil" in title  # one line: no header of its own
    assert hostile not in title and "Grace" not in title  # no customer data in the title
    # The new name is masked to its first character, and never markup the desk escaped
    # for one renderer: the receiver gets text and escapes it for its own.
    [item] = data["items"]
    assert item["new"].startswith("<") and "script" not in item["new"]
    assert "alert" not in body and "&lt;" not in body


@given(st.text())
def test_no_text_reaches_the_app_with_a_control_bidi_or_invisible_character(text):
    for one_line in (True, False):
        shown = _plain(text, one_line=one_line)
        assert not any(ch in INVISIBLE_CONTROLS for ch in shown)
        assert all(
            unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") or ch == "\n" for ch in shown
        )
        assert "\n" not in shown or not one_line


# --- What the customer and the desk see ----------------------------------------------


def test_the_app_gets_the_signed_confirmation_in_spanish_and_the_ticket_closes_on_its_ack(
    customer, personas, northwind, receiver, clock
):
    wants_app(customer, language="es")
    comms(northwind, receiver.url)
    ticket = apply_change(customer, personas)

    assert ticket.state == State.APPLIED  # waiting for the app
    assert not Message.objects.filter(ticket=ticket).exists()  # the app only, as chosen
    [delivery] = notifications(ticket)
    receiver.answers = [500]
    run(delivery)
    ticket.refresh_from_db()
    assert ticket.state == State.APPLIED  # a failed attempt is not an acknowledgement

    clock.shift(dt.timedelta(minutes=5))
    assert run(delivery) == "delivered"

    event = received_event(receiver.requests[-1])
    assert event["type"] == "customer.notification"
    assert event["ticket"] == ticket.reference
    assert event["data"]["customer"] == customer.number
    assert event["data"]["language"] == "es"
    assert event["data"]["title"] == (
        f"Northwind Energy: tu perfil ha cambiado ({ticket.reference})"
    )
    assert "Hemos cambiado tu perfil" in event["data"]["body"]
    assert event["data"]["report_label"] == "No he hecho este cambio"
    # The label in Spanish too (issue 17), while the ticket keeps the desk's English.
    assert [i["label"] for i in event["data"]["items"]] == ["Correos electrónicos promocionales"]
    assert [i["new"] for i in event["data"]["items"]] == ["Sí"]  # stored as "Yes"
    assert ticket.items.get().label == "Promotional e-mails"
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED
    assert TicketEvent.objects.filter(
        ticket=ticket, message=f"In-app confirmation acknowledged by {delivery.connector.name}."
    ).exists()
    closing = TicketEvent.objects.get(ticket=ticket, to_state=State.CLOSED)
    assert "no downstream system receives this change" in closing.message

    # The link works, once, in the customer's language.
    http = HttpClient()
    page = http.get(LINK_PATH + token_of(event))
    assert page.status_code == 200 and 'lang="es"' in page.content.decode()
    assert http.post(LINK_PATH + token_of(event)).status_code == 200
    assert http.post(LINK_PATH + token_of(event)).status_code == 410


def test_contact_values_reach_the_app_masked(customer, personas, northwind, receiver, clock):
    wants_app(customer)
    comms(northwind, receiver.url, categories=["personal"])
    primary = customer.emails.get(is_primary=True)
    old = primary.email
    ticket = apply_change(
        customer,
        personas,
        "contact",
        {"email": "g.hopper@navy.example", "email_target": primary.pk},
    )
    [delivery] = notifications(ticket)
    run(delivery)

    body = receiver.requests[-1]["body"].decode()
    assert "g.hopper@navy.example" not in body and old not in body
    [item] = json.loads(body)["data"]["items"]
    assert item["new"] == "g•••@navy.example"
    # A contact change still tells the old and the new address by e-mail.
    assert Message.objects.filter(ticket=ticket, channel="email").count() == 2


def test_the_notification_takes_its_place_in_the_customers_event_order(
    customer, personas, northwind, receiver, clock
):
    wants_app(customer)
    app = comms(northwind, receiver.url, categories=["preferences"])
    ticket = apply_change(customer, personas)
    change = Delivery.objects.get(ticket=ticket, connector=app, event__type="profile.changed")
    [notification] = notifications(ticket)
    assert notification.sequence == change.sequence + 1
    assert notification.event["replaces"] == change.sequence

    receiver.answers = [500]
    run(change)
    assert run(notification) == "skipped"  # waits for the change before it
    clock.shift(dt.timedelta(minutes=5))
    assert run(change) == "delivered"
    assert run(notification) == "delivered"
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == [
        "profile.changed",
        "profile.changed",
        "customer.notification",
    ]
    # The documented receiver updates the record, then shows the notification.
    records = example.Records()
    outcomes = [
        records.apply(received_event(r), idempotency_key=r["headers"]["idempotency-key"])
        for r in receiver.requests
        if r["answer"] == 200
    ]
    assert outcomes == ["applied", "notified"]
    [record] = records.customers.values()
    assert record["sequence"] == change.sequence
    assert record["notifications"][0]["report_url"].startswith(settings.DESK_PUBLIC_URL)
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED


def test_a_client_without_an_active_communications_system_falls_back_to_email(
    customer, personas, northwind, receiver, clock
):
    wants_app(customer)
    comms(northwind, receiver.url, is_active=False)
    ticket = apply_change(customer, personas)

    assert notifications(ticket) == []
    [fallback] = Confirmation.objects.filter(ticket=ticket)
    assert fallback.reason == Reason.FALLBACK
    assert fallback.message.recipient == customer.emails.get(is_primary=True).email
    assert TicketEvent.objects.filter(
        ticket=ticket,
        message__contains="no communications system is active for this client",
    ).exists()
    page = signed_in(personas["agent"]).get(reverse("tickets:detail", args=[ticket.reference]))
    assert "instead of the app: no communications system" in page.content.decode()


def test_without_a_communications_system_the_ticket_says_so_even_if_email_was_chosen_too(
    customer, personas, northwind, clock
):
    wants_app(customer, email=True)  # and no communications connector at all
    ticket = apply_change(customer, personas)

    [confirmation] = Confirmation.objects.filter(ticket=ticket)
    assert confirmation.message.channel == "email"
    assert TicketEvent.objects.filter(
        ticket=ticket, message__endswith=f"confirmed by {confirmation.recipient_masked} instead."
    ).exists()


def test_the_ticket_page_shows_the_apps_status_and_a_given_up_one_keeps_it_open(
    customer, personas, northwind, receiver, clock, settings
):
    settings.CONNECTOR_MAX_ATTEMPTS = 1
    wants_app(customer)
    app = comms(northwind, receiver.url)
    ticket = apply_change(customer, personas)
    [delivery] = notifications(ticket)
    url = reverse("tickets:detail", args=[ticket.reference])

    page = signed_in(personas["agent"]).get(url).content.decode()
    assert 'data-channel="app"' in page and 'data-status="pending"' in page
    assert app.name in page

    receiver.default = 500
    assert run(delivery) == "gave_up"
    ticket.refresh_from_db()
    assert ticket.state == State.APPLIED  # not acknowledged: the ticket stays open
    page = signed_in(personas["supervisor"]).get(url).content.decode()
    assert 'data-status="gave_up"' in page
    assert reverse("connectors:retry", args=[delivery.pk]) in page
    # Not listed among the systems told of the change: it is the customer's confirmation.
    assert 'data-testid="downstream-none"' in page

    receiver.default = 200
    signed_in(personas["supervisor"]).post(reverse("connectors:retry", args=[delivery.pk]))
    assert run(delivery) == "delivered"
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED
    # Given up, the link stayed sealed in the row: the retry carries one that works.
    token = token_of(received_event(receiver.requests[-1]))
    assert HttpClient().get(LINK_PATH + token).status_code == 200
    page = signed_in(personas["agent"]).get(url).content.decode()
    assert 'data-status="delivered"' in page
