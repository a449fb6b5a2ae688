"""Forms of the wizard: they only clean input; the services decide."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _

from profiledesk.customers.models import SecurityQuestion

from .documents import minimums
from .models import DocumentType


class OtpSendForm(forms.Form):
    contact = forms.CharField(max_length=40)


class OtpCheckForm(forms.Form):
    challenge = forms.IntegerField(min_value=1)
    code = forms.CharField(
        label=_("Code the customer reads out"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class QuestionsForm(forms.Form):
    """One answer field per security question of the customer."""

    def __init__(
        self, *args: Any, questions: Iterable[SecurityQuestion] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for question in questions:
            self.fields[f"answer_{question.pk}"] = forms.CharField(
                label=question.question,
                max_length=200,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )

    def answers(self) -> dict[int, str]:
        return {
            int(name.removeprefix("answer_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("answer_")
        }


class DocumentForm(forms.Form):
    """The upload and the agent's checklist; the file itself is judged by the service
    (verification/documents.py), whose minimums the help text states."""

    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    file = forms.FileField(label=_("Document (PDF, JPEG or PNG, up to 10 MB)"))
    photo_matches = forms.BooleanField(label=_("The photo matches the caller"), required=False)
    name_matches = forms.BooleanField(label=_("The name matches the profile"), required=False)
    not_expired = forms.BooleanField(label=_("The document has not expired"), required=False)
    type_confirmed = forms.BooleanField(
        label=_("The document is of the type chosen"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = conditional_escape(
            _(
                "A photo at least %(px_w)d x %(px_h)d px, or a PDF whose first page is at least "
                "%(pt_w)d x %(pt_h)d pt; at least %(bytes)s. Not encrypted."
            )
            % minimums()
        )
