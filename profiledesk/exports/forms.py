"""Forms of the export requests: they clean and normalise, nothing more."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.forms import DAY_VALIDATORS
from profiledesk.clients.scoping import clients_for

from .models import Format

MAX_RANGE_DAYS = 366


class FormatForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, initial=Format.CSV)


class AuditEventsForm(forms.Form):
    # The staff member's clients (read once); the first is preselected.
    client = forms.TypedChoiceField(label=_("Client"), coerce=int, required=False)
    # Bounded: the day after 9999-12-31 overflows datetime (a 500, not a form error).
    since = forms.DateField(
        label=_("From (UTC)"),
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("Until, included (UTC)"),
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, initial=Format.CSV)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.clients = {client.pk: client for client in clients_for(staff).order_by("name")}
        field = self.fields["client"]
        assert isinstance(field, forms.ChoiceField)  # declared above
        field.choices = [(pk, c.name) for pk, c in self.clients.items()]

    def clean_client(self):
        client_id = self.cleaned_data.get("client")
        if client_id in (None, ""):
            if len(self.clients) != 1:
                raise forms.ValidationError(_("Choose the client whose events to export."))
            [client_id] = self.clients
        return self.clients[client_id]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if until < since:
                self.add_error("until", _("The end of the range is before its start."))
            elif (until - since).days + 1 > MAX_RANGE_DAYS:
                self.add_error(
                    "until",
                    _("Export at most %(days)d days at a time.") % {"days": MAX_RANGE_DAYS},
                )
        return cleaned

    def range(self) -> tuple[dt.datetime, dt.datetime]:
        """[since 00:00 UTC, the day after until 00:00 UTC)."""
        since = dt.datetime.combine(self.cleaned_data["since"], dt.time.min, tzinfo=dt.UTC)
        until = dt.datetime.combine(self.cleaned_data["until"], dt.time.min, tzinfo=dt.UTC)
        return since, until + dt.timedelta(days=1)
