from django import forms
from django.utils.translation import gettext_lazy as _


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


class RevealForm(forms.Form):
    """The typed reason of a reveal; whether one is required is the gate's decision
    (customers.reveal), not the form's."""

    reason = forms.CharField(
        label=_("Reason for revealing (recorded)"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
