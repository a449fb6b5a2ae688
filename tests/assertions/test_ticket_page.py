"""The desk sees an app-verified ticket: its page and evidence render for the agent."""

import pytest
from django.urls import reverse

from tests.api.conftest import email_change, submit
from tests.conftest import signed_in
from tests.factories import claimed
from verification.models import Attempt

pytestmark = pytest.mark.django_db


def test_the_agent_sees_the_app_sign_in_on_the_ticket(api, customer, app, personas):
    response = submit(api, email_change(customer, assertion=app.token(customer)))
    reference = response.json()["reference"]
    attempt = Attempt.objects.get()
    agent = personas["agent"]
    claimed(attempt.ticket, agent)
    page = signed_in(agent).get(reverse("tickets:detail", args=[reference]))
    assert page.status_code == 200
    assert attempt.detail["jti"] not in page.content.decode()
    # The evidence list says nobody at the desk did it, and names the app's sign-in.
    text = page.content.decode()
    assert "no agent: recorded by the desk" in text
    assert "App sign-in" in text
