"""A one-time code to a verified e-mail or phone on file: possession (docs/design.md §4)."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiledesk.policies.categories import Category
from profiledesk.privacy.masking import mask_email, mask_phone
from verification.methods import Factor, VerificationMethod, register
from verification.models import Attempt, Method
from verification.services import identity_destinations
from verification.status import contacts_being_changed


@register
class OneTimeCode(VerificationMethod):
    code = Method.OTP
    label = gettext_lazy("One-time code")
    proves = gettext_lazy("The caller holds a verified e-mail address or phone on file.")
    factors = frozenset({Factor.POSSESSION})
    order = 10
    panel_template = "verification/methods/otp.html"

    def evidence(self, attempt: Attempt) -> str:
        # Where it went when it was checked (otp_check keeps it): the row may hold another
        # address since.
        sent_to = (attempt.detail or {}).get("to")
        if sent_to:
            return _("code to %(to)s") % {"to": sent_to}
        challenge = attempt.challenge
        if challenge is not None and challenge.email is not None:
            return _("code to %(to)s") % {"to": mask_email(challenge.email.email)}
        if challenge is not None and challenge.phone is not None:
            return _("code to %(to)s") % {"to": mask_phone(challenge.phone.number)}
        return _("one-time code")

    def counting(
        self, attempts: list[Attempt], *, ticket: Any, now: Any, unmasking: bool
    ) -> list[Attempt]:
        """A code that went to a contact withheld now (status.withheld_contacts) counts for
        nothing; for a security change neither does one whose destination is unknown (no
        challenge: it cannot be shown not to be the contact being changed)."""
        if not attempts:
            return attempts
        excluded = contacts_being_changed(ticket, now, unmasking=unmasking)
        security = ticket.category == Category.SECURITY

        def withheld(attempt: Attempt) -> bool:
            challenge = attempt.challenge
            if challenge is None:
                return security
            return (
                challenge.email_id in excluded["emailaddress"]
                or challenge.phone_id in excluded["phonenumber"]
            )

        return [attempt for attempt in attempts if not withheld(attempt)]

    def panel_context(self, *, ticket: Any, user: Any, progress: Any) -> dict[str, Any]:
        contacts = identity_destinations(ticket)
        return {
            "contacts": contacts,
            "first_offered": next((c.key for c in contacts if not c.withheld), ""),
        }
