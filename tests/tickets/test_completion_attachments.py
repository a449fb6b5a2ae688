"""The files a request arrived with (inbound e-mail attachments), opened from the ticket:
downloaded, never inline, each opening audited; only through the ticket they belong to."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from profiledesk.tickets.models import Attachment
from tests.conftest import signed_in
from tests.inbound.conftest import png_bytes
from tests.tickets.test_completion_match import unmatched


def attached(ticket, name="passport.png") -> Attachment:
    attachment = Attachment(
        ticket=ticket,
        original_name=name,
        content_type="image/png",
        size=len(png_bytes()),
        uploaded_at=timezone.now(),
    )
    attachment.file.save(name, ContentFile(png_bytes()), save=False)
    attachment.save()
    return attachment


@pytest.fixture
def ticket(northwind, agent):
    return unmatched(northwind, assignee=agent)


def url(ticket, attachment):
    return reverse("tickets:attachment", args=[ticket.reference, attachment.pk])


def test_an_attachment_is_downloaded_and_its_opening_audited(ticket, agent):
    attachment = attached(ticket)
    response = signed_in(agent).get(url(ticket, attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "image/png"
    event = AuditEvent.objects.get(action="ticket.attachment_opened")
    assert event.actor == agent and event.data["attachment"] == attachment.pk


def test_another_tickets_attachment_is_not_served_through_this_ticket(ticket, agent, northwind):
    other = unmatched(northwind)
    theirs = attached(other)
    assert signed_in(agent).get(url(ticket, theirs)).status_code == 404
    assert not AuditEvent.objects.filter(action="ticket.attachment_opened").exists()


def test_an_outsider_gets_nothing(ticket, personas):
    attachment = attached(ticket)
    assert signed_in(personas["outsider"]).get(url(ticket, attachment)).status_code == 404


def test_a_row_whose_file_is_gone_is_a_404_not_a_500(ticket, agent):
    attachment = attached(ticket)
    attachment.file.storage.delete(attachment.file.name)
    assert signed_in(agent).get(url(ticket, attachment)).status_code == 404


def test_the_capture_page_lists_the_attachments_with_their_links(ticket, agent, customer):
    from profiledesk.tickets.completion import ticket_match

    attachment = attached(ticket, name="letter.png")
    ticket_match(ticket=ticket, customer=customer, by=agent)
    html = signed_in(agent).get(reverse("tickets:capture", args=[ticket.reference])).content
    assert url(ticket, attachment) in html.decode()
