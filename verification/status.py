"""How far identity verification has got on a ticket, against what its policy needs."""

from profiledesk.policies.categories import AssuranceLevel
from profiledesk.policies.defaults import policy_for


def required_level(ticket) -> int:
    """The policy's level for the category; AL3 when a stricter field is changed."""
    policy = policy_for(client=ticket.client, category=ticket.category)
    fields = set(ticket.items.values_list("field", flat=True))
    if fields & set(policy.stricter_fields):
        return AssuranceLevel.AL3
    return policy.verification_level


def achieved_level(ticket) -> int:
    # The wizard (verification methods: OTP, security questions, documents) records
    # passed checks on the ticket; until one has passed, nothing is achieved.
    return 0


def verification_missing(ticket) -> str | None:
    needed = required_level(ticket)
    if achieved_level(ticket) >= needed:
        return None
    return f"Identity verification has not reached AL{needed} yet."
