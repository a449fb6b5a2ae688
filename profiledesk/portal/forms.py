"""The portal's own small forms (sign-in, code, language); a change binds intake's
`form_for`, the one set of capture rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from profiledesk.intake.validators import validate_no_invisible

from .languages import PORTAL_LANGUAGES


class ClientForm(forms.Form):
    client = forms.SlugField(
        label=_("Company"),
        max_length=40,
        help_text=_("The short name in the link your company gave you, e.g. northwind."),
    )


class SignInForm(forms.Form):
    contact = forms.CharField(
        label=_("E-mail address or mobile number"),
        max_length=254,
        help_text=_("One we already have for you. We send a one-time code to it."),
        validators=[validate_no_invisible],
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        max_length=12,
        help_text=_("6 digits, valid for 10 minutes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=PORTAL_LANGUAGES)
    next = forms.CharField(required=False, max_length=300)
