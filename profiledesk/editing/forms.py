from django import forms
from django.utils.translation import gettext_lazy as _

# "<state>:<64 hex>", as services.edit_stamp writes it.
STAMP = r"^[a-z_]{1,20}:[0-9a-f]{64}$"


class StampForm(forms.Form):
    """The ticket as the editor saw it when the form was opened (services.edit_stamp)."""

    stamp = forms.RegexField(
        regex=STAMP,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("The form is incomplete: open it again from the ticket."),
            "invalid": _("The form is incomplete: open it again from the ticket."),
        },
    )
