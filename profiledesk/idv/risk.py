"""The provider's decline as a risk reason (policies.risk, registered in apps.ready()):
a fraud-like decline — the selfie does not match the document, a manipulated picture, a
document the provider could not verify — weighs like a shared document; a canceled or
abandoned check a little."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiledesk.policies.risk import Facts, Reason

from .models import IdentitySession, SessionStatus
from .stripe_identity import FRAUD_CODES

POINTS_FRAUD_DECLINE = 50
POINTS_CANCELED = 10

_WORDS = {
    "document_unverified_other": gettext_lazy("the document could not be verified"),
    "selfie_face_mismatch": gettext_lazy("the selfie does not match the document's photo"),
    "selfie_manipulated": gettext_lazy("the selfie was manipulated"),
    "selfie_document_missing_photo": gettext_lazy("the document has no photo to match"),
    "id_number_mismatch": gettext_lazy("the ID number does not match"),
}


def provider_declined(facts: Facts) -> Reason | None:
    """This ticket's identity-provider checks that ended in a decline or a cancel."""
    ended = list(
        IdentitySession.objects.filter(
            ticket_id=facts.ticket.pk,
            status__in=[SessionStatus.DECLINED, SessionStatus.CANCELED],
        ).values_list("status", "error_code")[:20]
    )
    fraud = sorted({code for status, code in ended if code in FRAUD_CODES})
    if fraud:
        return Reason(
            "provider_declined",
            POINTS_FRAUD_DECLINE,
            _("The identity provider declined the check: %(why)s.")
            % {"why": "; ".join(str(_WORDS.get(code, code)) for code in fraud)},
        )
    if any(status == SessionStatus.CANCELED for status, _code in ended):
        return Reason(
            "provider_canceled",
            POINTS_CANCELED,
            _("An identity-provider check of this ticket was canceled."),
        )
    return None
