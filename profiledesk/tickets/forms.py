from django import forms
from django.utils.translation import gettext_lazy as _

from profiledesk.intake.validators import validate_no_invisible
from profiledesk.policies.categories import Category

from .models import Channel, State


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Add a comment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Card numbers typed here are masked before they are stored."),
        validators=[validate_no_invisible],
    )


class MoveForm(forms.Form):
    to = forms.ChoiceField(
        label=_("Move to"),
        choices=State.choices,
        error_messages={"invalid_choice": _("That is not a state a ticket can be in.")},
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, required=False, validators=[validate_no_invisible]
    )


class RequestStartForm(forms.Form):
    """What an agent picks before the change itself: how the customer asked, and what."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in (Channel.PHONE, Channel.CHAT)],
        initial=Channel.PHONE,
    )
    category = forms.ChoiceField(
        label=_("What does the customer want to change?"), choices=Category.choices
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=200, required=False, validators=[validate_no_invisible]
    )
