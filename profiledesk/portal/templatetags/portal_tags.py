import datetime as dt

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.formats import get_format
from django.utils.translation import get_language

from profiledesk.portal.selectors import customer_status as _customer_status
from profiledesk.tickets.models import Ticket

register = template.Library()

# English keeps the desk's day-month-year ("14 Jan 2026 09:30"), not Django's American
# "Jan. 14, 2026, 9:30 a.m."; another language writes it its own way (Django's locale
# formats: "14 de enero de 2026 a las 09:30").
ENGLISH_DATETIME = "j M Y H:i"


@register.filter
def customer_status(ticket: Ticket) -> str:
    """A request's status in the customer's words ("Being checked", "Done")."""
    return _customer_status(ticket)


@register.filter
def when(value: dt.datetime | None) -> str:
    """A date and time as the page's language writes it."""
    if value is None:
        return ""
    language = (get_language() or "en").split("-")[0]
    written = ENGLISH_DATETIME if language == "en" else get_format("DATETIME_FORMAT")
    return date_filter(value, written)
