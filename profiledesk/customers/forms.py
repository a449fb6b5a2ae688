from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from profiledesk.intake.validators import validate_no_invisible
from profiledesk.vault.cards import redact_card_numbers

CARD_NOT_SEARCHED = _(
    "Card numbers are not searched: the desk keeps none. Search by name, e-mail, phone "
    "or customer number."
)


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a customer"),
        max_length=200,
        required=False,
        widget=forms.SearchInput(
            attrs={
                "class": "form-control",
                "placeholder": _("Name, e-mail, phone or customer number"),
                "autofocus": True,
                "accesskey": "s",
            }
        ),
    )

    def __init__(self, data=None, **kwargs):
        # A card number is not echoed back into the search box either.
        query = data.get("q", "") if data is not None else ""
        self.card_number_typed = redact_card_numbers(query) != query
        if self.card_number_typed:
            data = data.copy()
            data["q"] = ""
        super().__init__(data, **kwargs)

    def clean_q(self) -> str:
        if self.card_number_typed:
            raise ValidationError(CARD_NOT_SEARCHED, code="card_number")
        return self.cleaned_data["q"]


class RevealForm(forms.Form):
    """The typed reason of a reveal; whether one is required is the gate's decision
    (customers.reveal), not the form's."""

    reason = forms.CharField(
        label=_("Reason for revealing (recorded)"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class FreezeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, validators=[validate_no_invisible])
