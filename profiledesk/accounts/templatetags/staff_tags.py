"""`{{ user|staff_name }}`: a staff member as the desk names them everywhere
(profiledesk/accounts/naming.py); `{{ event.actor|staff_name:event.actor_username }}`
falls back to a kept username when the account is gone."""

from django import template

from profiledesk.accounts.naming import staff_name as _staff_name

register = template.Library()


@register.filter
def staff_name(user, fallback: str = "") -> str:
    if user is None or user == "":
        return fallback or _staff_name(None)
    return _staff_name(user)
