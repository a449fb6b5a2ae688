"""Showing profile values: always through the masking module, reveal where allowed."""

from django import template

from profiledesk.customers.reveal import REVEAL_KEYS
from profiledesk.privacy.masking import display

register = template.Library()


@register.simple_tag
def masked(obj, field: str) -> str:
    """`{% masked card "holder_name" %}`: the value as its sensitivity allows."""
    if obj is None:
        return ""
    policy = type(obj).field_policies[field]
    value = getattr(obj, f"get_{field}_display", lambda: getattr(obj, field))()
    return display(value, policy)


@register.inclusion_tag("customers/_sensitive.html", takes_context=True)
def sensitive(context, customer, obj, field: str):
    """A masked value with a Reveal button (audited) for staff who may reveal now, with a
    reason field for those who must give one (customers.reveal)."""
    policy = type(obj).field_policies[field]
    return {
        "customer": customer,
        "text": display(getattr(obj, field), policy),
        "kind": REVEAL_KEYS.get(type(obj)),
        "obj": obj,
        "field": field,
        "label": type(obj)._meta.get_field(field).verbose_name,
        "can_reveal": context.get("can_reveal") and policy.revealable and getattr(obj, field),
        "reason_needed": context.get("reveal_reason_needed"),
    }
