"""The forms of completing a ticket on its page: finding its customer, choosing what to capture."""

from django import forms
from django.utils.translation import gettext_lazy as _

from profiledesk.customers.forms import CustomerSearchForm
from profiledesk.policies.categories import Category


class MatchSearchForm(CustomerSearchForm):
    """The desk's customer search (a card number is refused, never searched or echoed),
    inside the ticket: its own ids, and no autofocus or access key of the search page."""

    def __init__(self, data=None, **kwargs):
        kwargs.setdefault("auto_id", "match_%s")
        super().__init__(data, **kwargs)
        self.fields["q"].label = _("Find the customer")
        self.fields["q"].widget.attrs = {
            "class": "form-control",
            "placeholder": _("Name, e-mail, phone or customer number"),
            "autocomplete": "off",
        }


class MatchForm(forms.Form):
    customer = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": _("Choose a customer."),
            "invalid": _("Choose a customer."),
            "min_value": _("Choose a customer."),
        },
    )


class CaptureStartForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What does the customer want to change?"),
        choices=Category.choices,
        error_messages={"invalid_choice": _("Not one of the allowed values.")},
    )
