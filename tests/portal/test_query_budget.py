"""The portal's pages cost a fixed number of queries, whatever the customer's history."""

import pytest
from django.urls import reverse

from .test_changes import ADDRESS, PREFS, _change

pytestmark = pytest.mark.django_db


def test_the_details_page_does_not_grow_with_requests_and_confirmations(
    portal, northwind, customer, django_assert_num_queries
):
    url = reverse("portal:home", kwargs={"slug": northwind.slug})
    for _ in range(3):
        _change(portal, northwind.slug, ADDRESS)
        _change(portal, northwind.slug, {**PREFS, "marketing_email": "True"})
        _change(portal, northwind.slug, {**PREFS, "marketing_email": "False"})
    # Expect 13 queries: the client, the session and its touch, the profile's language;
    # personal details, e-mails, phones, addresses, preferences; the requests; the
    # confirmations and their report links; the self-service policies.
    with django_assert_num_queries(13):
        assert portal.get(url).status_code == 200
