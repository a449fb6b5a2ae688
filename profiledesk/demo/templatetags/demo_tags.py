from django import template
from django.conf import settings
from django.urls import reverse

from profiledesk.demo.connectors import receiver_path

register = template.Library()


@register.simple_tag
def demo_receiver_url(delivery, ticket) -> str:
    """`{% demo_receiver_url d ticket as url %}`: the demo receiver's page of a delivery to
    one of its systems; "" outside demo mode or for any other connector. No query (the
    ticket's client is the page's)."""
    if not getattr(settings, "DEMO_MODE", False):
        return ""
    if receiver_path(delivery.connector, client_slug=ticket.client.slug) is None:
        return ""
    return reverse("demo:receiver_delivery", args=[delivery.pk])
