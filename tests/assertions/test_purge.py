"""Used jtis are forgotten once their assertion has expired, not before."""

import datetime as dt

import pytest
from django.utils import timezone

from profiledesk.assertions.models import UsedAssertion
from profiledesk.assertions.services import AssertionRefused, assertion_verify
from profiledesk.assertions.tasks import used_purge
from profiledesk.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_a_jti_is_kept_while_its_assertion_could_be_replayed(northwind, customer, app):
    token = app.token(customer)
    assertion_verify(client=northwind, token=token, customer_number=customer.number)
    assert used_purge() == 0
    with pytest.raises(AssertionRefused, match="used before"):
        assertion_verify(client=northwind, token=token, customer_number=customer.number)


def test_the_purge_forgets_only_expired_ones(northwind):
    now = timezone.now()
    for jti, minutes in (("old", -1), ("live", 5)):
        UsedAssertion.objects.create(
            client=northwind, jti=jti, used_at=now, expires_at=now + dt.timedelta(minutes=minutes)
        )
    assert used_purge() == 1
    assert list(UsedAssertion.objects.values_list("jti", flat=True)) == ["live"]


def test_the_purge_runs_hourly_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["assertions-used-purge"]
    assert entry == {"task": "assertions.used_purge", "schedule": 3600.0}
    assert entry["task"] in celery_app.tasks
