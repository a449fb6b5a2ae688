"""audit.history: a customer's versions across the profile's history tables, grouped by
ticket, masked, filtered and paged by keyset."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from audit import history
from audit.history import Cursor, HistoryFilters, customer_history, customer_versions_all
from profiledesk.customers import models as m
from profiledesk.privacy.masking import SECRET_SET
from tests.audit.history_helpers import applied, ticket_for, write
from tests.factories import card_on_file
from verification.answers import hash_answer
from verification.models import Attempt

pytestmark = pytest.mark.django_db


def page_of(customer, viewer, **kwargs):
    filters = kwargs.pop("filters", HistoryFilters())
    return customer_history(customer=customer, viewer=viewer, filters=filters, **kwargs)


def test_a_changed_phone_shows_its_masked_before_and_after(customer, personas):
    ticket = ticket_for(customer, personas["agent"])
    phone = customer.phones.get()
    old = phone.number
    write(phone, by=personas["agent"], reason=applied(ticket), number="+447700900999")

    newest = page_of(customer, personas["compliance"]).versions[0]

    assert (newest.section, newest.kind, newest.reference) == (
        "contact",
        "changed",
        ticket.reference,
    )
    assert newest.staff_username == "agent"
    [change] = newest.changes  # only the field that changed
    assert change.field == "number"
    assert change.before == f"+44 •••• ••{old[-4:]}"
    assert change.after == "+44 •••• ••0999"
    assert "+447700900999" not in repr(newest)


def test_versions_are_grouped_by_the_ticket_that_wrote_them_with_its_evidence(customer, personas):
    agent = personas["agent"]
    first, second = ticket_for(customer, agent), ticket_for(customer, agent)
    write(customer.phones.get(), by=agent, reason=applied(first), number="+447700900111")
    write(customer.emails.get(), by=agent, reason=applied(first), email="a@example.org")
    Attempt.objects.create(
        ticket=second,
        customer=customer,
        method="questions",
        result="passed",
        staff=agent,
        at=timezone.now(),
    )
    write(customer.phones.get(), by=agent, reason=applied(second), number="+447700900222")

    groups = page_of(customer, personas["compliance"]).groups

    assert [g.reference for g in groups[:2]] == [second.reference, first.reference]
    assert [v.model_label for v in groups[1].versions] == ["e-mail address", "phone number"]
    assert groups[0].ticket.pk == second.pk and groups[0].ticket.created_by == str(agent)
    assert [(a.method, a.result) for a in groups[0].attempts] == [("questions", "passed")]
    assert groups[1].attempts == []
    # The seed rows (no ticket) are a group of their own.
    assert groups[-1].reference == "" and groups[-1].ticket is None


def test_a_card_shows_brand_and_last_four_and_never_its_token(customer, personas):
    card = card_on_file(customer, number="4111111111111111")

    [version] = page_of(
        customer, personas["compliance"], filters=HistoryFilters(category="billing"), limit=1
    ).versions

    shown = {c.field: c.after for c in version.changes}
    assert version.subject == "visa •••• 1111"
    assert shown["last4"] == "1111" and shown["brand"] == "visa"
    assert "bin" not in shown
    assert shown["vault_token"] == SECRET_SET and shown["fingerprint"] == SECRET_SET
    assert card.vault_token not in repr(version) and card.fingerprint not in repr(version)


def test_a_new_security_answer_is_only_said_to_have_changed(customer, personas):
    question = customer.security_questions.get()
    write(question, by=personas["agent"], answer_hash=hash_answer("Hogwarts"))

    everything = list(customer_versions_all(customer=customer, revealed=True))
    newest = everything[-1]

    [change] = newest.changes
    assert (change.field, change.before, change.after) == ("answer_hash", SECRET_SET, "changed")
    assert question.answer_hash not in repr(everything)
    assert "Hogwarts" not in repr(everything)


def test_the_data_subject_export_shows_personal_values_in_clear_oldest_first(customer, personas):
    phone = customer.phones.get()
    write(phone, by=personas["agent"], number="+447700900999")

    versions = list(customer_versions_all(customer=customer, revealed=True))

    assert versions[0].model_label == "customer"  # the first thing that was written
    assert [v.at for v in versions] == sorted(v.at for v in versions)
    assert versions[-1].changes[0].after == "+447700900999"
    assert versions[-1].changes[0].before == phone.history.earliest().number


def test_a_deleted_row_shows_what_it_held(customer, personas):
    card = card_on_file(customer)
    card._history_user, card._change_reason = personas["agent"], "unlinked"
    card.delete()

    newest = page_of(customer, personas["compliance"]).versions[0]

    assert newest.kind == "deleted"
    assert {c.field: c.before for c in newest.changes}["last4"] == "1111"
    assert all(c.after == "" for c in newest.changes)


def test_billing_shows_only_cards_and_bank_accounts(customer, personas):
    card_on_file(customer)
    write(customer.phones.get(), by=personas["agent"], number="+447700900999")

    versions = page_of(
        customer, personas["compliance"], filters=HistoryFilters(category="billing")
    ).versions

    assert {v.model_label for v in versions} == {"payment card", "bank account"}


def test_the_staff_filter_shows_only_what_that_person_wrote(customer, personas):
    write(customer.phones.get(), by=personas["agent"], number="+447700900999")
    write(customer.emails.get(), by=personas["supervisor"], email="s@example.org")

    versions = page_of(
        customer,
        personas["compliance"],
        filters=HistoryFilters(staff_id=personas["supervisor"].pk),
    ).versions

    assert [(v.model_label, v.staff_username) for v in versions] == [
        ("e-mail address", "supervisor")
    ]


def test_the_date_range_is_in_the_clients_time_zone(northwind, personas):
    from tests.factories import complete_customer

    northwind.time_zone = "Asia/Tokyo"  # UTC+9: 20:00 UTC on 1 March is 2 March there
    northwind.save()
    with time_machine.travel(dt.datetime(2026, 2, 1, tzinfo=dt.UTC), tick=False):
        customer = complete_customer(northwind)
    phone = customer.phones.get()
    with time_machine.travel(dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC), tick=False):
        write(phone, by=personas["agent"], number="+447700900111")
    with time_machine.travel(dt.datetime(2026, 3, 5, tzinfo=dt.UTC), tick=False):
        write(phone, by=personas["agent"], number="+447700900222")

    def shown(start, end):
        filters = HistoryFilters(date_from=start, date_to=end)
        page = page_of(customer, personas["compliance"], filters=filters)
        return [v.changes[0].after for v in page.versions]

    assert shown(dt.date(2026, 3, 2), dt.date(2026, 3, 2)) == ["+44 •••• ••0111"]
    assert shown(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == []
    assert shown(dt.date(2026, 3, 2), None) == ["+44 •••• ••0222", "+44 •••• ••0111"]


def test_keyset_pages_have_no_gap_nor_duplicate_with_equal_timestamps(customer, personas):
    with time_machine.travel(dt.datetime(2026, 4, 1, tzinfo=dt.UTC), tick=False):
        for i in range(12):  # every version at the same instant, over three tables
            write(customer.phones.get(), by=personas["agent"], number=f"+4477009001{i:02d}")
            write(customer.emails.get(), by=personas["agent"], email=f"x{i}@example.org")
            write(customer.preferences, by=personas["agent"], auto_renew=i % 2 == 0)
    everything = [(v.model_label, v.history_id) for v in customer_versions_all(customer=customer)]

    seen, cursor, pages = [], None, []
    while True:
        page = page_of(customer, personas["compliance"], after=cursor, limit=7)
        pages.append(page)
        seen += [(v.model_label, v.history_id) for v in page.versions]
        if page.older is None:
            break
        cursor = page.older

    assert seen == everything[::-1]
    assert len(seen) == len(set(seen))
    # "← Newer" from the third page gives back the second page exactly.
    back = page_of(customer, personas["compliance"], before=pages[2].newer, limit=7)
    assert back.versions == pages[1].versions


def test_a_cursor_survives_its_text_form_and_refuses_garbage():
    cursor = Cursor(dt.datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=dt.UTC), 3, 42)
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ("", "nonsense", Cursor(cursor.at, 99, 1).encode()):
        with pytest.raises(ValueError):
            Cursor.decode(bad)


def test_every_profile_table_is_read(customer):
    tables = {model.history.model for model in history.HISTORY_MODELS}
    assert m.PaymentCard.history.model in tables and m.Customer.history.model in tables
    assert len(tables) == len(m.PROFILE_MODELS)


def test_values_read_as_the_profile_shows_them_not_as_stored(customer, personas):
    # Choices by their label, a time to the minute in UTC, another row by what it is.
    write(
        customer.security,
        by=personas["agent"],
        two_factor_method=m.SecuritySettings.Method.SMS,
        last_password_reset_at=dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC),
    )
    address = customer.addresses.first()
    card = card_on_file(customer, number="4111111111111111")
    write(card, by=personas["agent"], billing_address=address)

    everything = list(customer_versions_all(customer=customer))
    security = next(v for v in reversed(everything) if v.section == "security")
    shown = {c.field: c.after for c in security.changes}
    assert shown["two_factor_method"] == "SMS"
    assert shown["last_password_reset_at"] == "2026-03-04 05:06 UTC"
    [billing] = everything[-1].changes
    assert billing.after == f"postal address #{address.pk}"
