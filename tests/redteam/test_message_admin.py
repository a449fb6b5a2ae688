"""Red team (issue 11/12): a desk admin may not reveal a customer's contact details on
the profile (`tests/customers/test_reveal.py::test_a_desk_admin_may_not_reveal`). The
messages admin listed every code, confirmation and notice with its recipient — the
customer's e-mail address and phone number — in full, and searched them by any part:
the same details, harvested from another page. Recipients are masked there as on the
desk, and found only by the whole address."""

from django.urls import reverse
from django.utils import timezone

from profiledesk.messaging.models import Message
from tests.conftest import signed_in


def _message(customer, channel: str, to: str) -> Message:
    now = timezone.now()
    return Message.objects.create(
        client=customer.client,
        customer=customer,
        channel=channel,
        recipient=to,
        template="otp",
        language="en",
        text_redacted="Your code is ••••••",
        idempotency_key=f"redteam-{channel}",
        due_at=now,
        created_at=now,
    )


def test_the_messages_admin_shows_recipients_masked(customer, personas):
    email = customer.emails.get().email
    phone = customer.phones.get().number
    messages = [_message(customer, "email", email), _message(customer, "sms", phone)]
    http = signed_in(personas["desk_admin"])
    pages = [http.get(reverse("admin:messaging_message_changelist"))] + [
        http.get(reverse("admin:messaging_message_change", args=[m.pk])) for m in messages
    ]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert email not in html and phone not in html
        assert email[:1] + "•••@" in html or phone[-4:] in html


def test_a_recipient_is_found_by_the_whole_address_only(customer, personas):
    email = customer.emails.get().email
    message = _message(customer, "email", email)
    http = signed_in(personas["desk_admin"])
    url = reverse("admin:messaging_message_changelist")
    found = http.get(url, {"q": email}).context["cl"].result_list
    partial = http.get(url, {"q": email.split("@")[1]}).context["cl"].result_list
    assert list(found) == [message]
    assert list(partial) == []
