from django import forms
from django.utils.translation import gettext_lazy as _

from profiledesk.intake.validators import validate_no_invisible


class DecisionForm(forms.Form):
    # The diff the approver looked at: an approval signs that exact diff.
    diff_hash = forms.CharField(max_length=64, required=False)
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, required=False, validators=[validate_no_invisible]
    )
    next = forms.CharField(max_length=500, required=False)
