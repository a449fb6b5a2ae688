"""Out-of-range input on the history pages is a form error (400), never a 500: days whose
bounds overflow datetime, and page links naming a moment or row no database holds."""

import base64

import pytest
from django.urls import reverse

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        # The day after 9999-12-31 does not exist.
        "date_to=9999-12-31",
        # Year 1 at +14:00 is before the first UTC moment.
        "after=" + _cursor("0001-01-01T00:00:00+14:00|0|1"),
        "before=" + _cursor("9999-12-31T23:59:59-12:00|0|1"),
        # Not a bigint history id.
        "after=" + _cursor("2026-01-01T00:00:00+00:00|0|99999999999999999999999"),
    ],
)
def test_a_customers_history_answers_400(customer, personas, query):
    url = reverse("audit:customer_history", args=[customer.pk]) + "?" + query
    response = signed_in(personas["compliance"]).get(url)

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content or b"text-danger" in response.content


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        # The default start is a week before the end: before year 1.
        "date_to=0001-01-03",
    ],
)
def test_a_staff_members_activity_answers_400(personas, query):
    url = reverse("audit:staff_activity", args=[personas["agent"].pk]) + "?" + query
    response = signed_in(personas["supervisor"]).get(url)

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content
