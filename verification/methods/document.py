"""An identity document the agent checked against the profile (docs/design.md §4): with a
code and the questions it makes AL3."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from verification.forms import DocumentForm
from verification.methods import Factor, VerificationMethod, register
from verification.models import Attempt, DocumentType, Method


@register
class IdentityDocument(VerificationMethod):
    code = Method.DOCUMENT
    label = gettext_lazy("Identity document")
    proves = gettext_lazy(
        "The caller showed an identity document whose photo, name, validity and type the "
        "agent checked."
    )
    factors = frozenset({Factor.DOCUMENT})
    order = 30
    panel_template = "verification/methods/document.html"

    def evidence(self, attempt: Attempt) -> str:
        kind = (attempt.detail or {}).get("type", "")
        label = DocumentType(kind).label if kind in DocumentType.values else ""
        return _("document (%(type)s)") % {"type": label} if label else _("document")

    def panel_context(self, *, ticket: Any, user: Any, progress: Any) -> dict[str, Any]:
        return {"form": DocumentForm()}
