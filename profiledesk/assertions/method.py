"""The app assertion as a verification method (verification/methods): evidence that the
client's app signed for this customer's recent sign-in, at the level the client's policy
maps its sign-in methods to (recorded on the pass when it was accepted)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from verification.methods import Grant, VerificationMethod, register
from verification.models import Attempt

from .rules import MAX_LEVEL
from .services import METHOD_CODE


@register
class AppAssertion(VerificationMethod):
    code = METHOD_CODE
    label = _("App sign-in")
    proves = _(
        "The client's app signed that this customer had just signed in there (how, and "
        "when, it says); the desk checked its key, audience, age and single use."
    )
    order = 80
    panel_template = None  # it arrives with the request; no agent starts it

    def grant(self, attempt: Attempt) -> Grant:
        level = attempt.detail.get("level", 0)
        if isinstance(level, bool) or not isinstance(level, int):
            return Grant(level=0)
        # Whatever the pass's detail says, an app sign-in proves no identity document.
        return Grant(level=max(0, min(level, MAX_LEVEL)))

    def evidence(self, attempt: Attempt) -> str:
        detail = attempt.detail
        amr = "+".join(str(m) for m in detail.get("amr", []))[:40]
        try:
            at = timezone.localtime(dt.datetime.fromisoformat(detail.get("auth_time", "")))
            when = at.strftime("%H:%M")
        except (TypeError, ValueError):
            when = "?"
        jti = str(detail.get("jti", ""))
        return str(
            _("app sign-in (%(amr)s at %(when)s, key %(kid)s, assertion %(jti)s…)")
            % {"amr": amr, "when": when, "kid": str(detail.get("kid", ""))[:20], "jti": jti[:8]}
        )
