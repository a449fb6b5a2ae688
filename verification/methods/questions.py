"""The customer's security questions: knowledge (docs/design.md §4)."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from verification.forms import QuestionsForm
from verification.methods import Factor, VerificationMethod, register
from verification.models import Attempt, Method


@register
class SecurityQuestions(VerificationMethod):
    code = Method.QUESTIONS
    label = gettext_lazy("Security questions")
    proves = gettext_lazy("The caller knows the answers to the customer's security questions.")
    factors = frozenset({Factor.KNOWLEDGE})
    order = 20
    panel_template = "verification/methods/questions.html"

    def evidence(self, attempt: Attempt) -> str:
        return _("questions")

    def panel_context(self, *, ticket: Any, user: Any, progress: Any) -> dict[str, Any]:
        # The panel offers a method only on a ticket with its customer.
        return {"form": QuestionsForm(questions=ticket.customer.security_questions.all())}
