"""The verification method "provider": Stripe Identity's document + matching selfie with
live capture. A pass reaches AL3 on its own (docs/design.md §4: the provider saw the
document and the person holding it), and counts as the document factor."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from verification.methods import Factor, VerificationMethod, register
from verification.models import Attempt

from .selectors import panel_for


@register
class ProviderMethod(VerificationMethod):
    code = "provider"
    label = _("Identity provider (document and selfie)")
    proves = _(
        "Stripe Identity checked a government ID and a live selfie matching its photo, on a "
        "link sent to a verified contact on file."
    )
    factors = frozenset({Factor.DOCUMENT})
    level = 3
    order = 40
    panel_template = "idv/_wizard_section.html"

    def evidence(self, attempt: Attempt) -> str:
        detail = attempt.detail or {}
        session = str(detail.get("provider_session", ""))[:64]
        decision = str(detail.get("decision", attempt.result))[:32]
        code = str(detail.get("code", ""))[:64]
        line = _("Identity provider: %(decision)s (session %(session)s)") % {
            "decision": decision,
            "session": session or "—",
        }
        return f"{line}, {code}" if code else str(line)

    def panel_context(self, *, ticket: Any, user: Any, progress: Any) -> dict[str, Any]:
        return {"idv": panel_for(ticket=ticket, user=user)}
