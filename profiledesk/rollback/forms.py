from django import forms
from django.utils.translation import gettext_lazy as _

from profiledesk.intake.validators import validate_no_invisible


class ReasonForm(forms.Form):
    """Why: a rollback and a verification waiver are both recorded with a reason."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded on the ticket and in the audit trail. Card numbers are masked."),
        validators=[validate_no_invisible],
    )
