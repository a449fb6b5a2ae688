"""Filters of the history pages: they only clean and normalise (bad input is a form
error on the page, never a 500)."""

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from profiledesk.policies.categories import Category

from .actions import ACTION_GROUPS
from .history import Cursor


class _Paged(forms.Form):
    after = forms.CharField(required=False, widget=forms.HiddenInput)
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def _cursor(self, name: str) -> Cursor | None:
        token = self.cleaned_data.get(name)
        if not token:
            return None
        try:
            return Cursor.decode(token)
        except ValueError:
            raise forms.ValidationError(_("That page link is not valid."), code="cursor") from None

    def clean_after(self):
        return self._cursor("after")

    def clean_before(self):
        return self._cursor("before")

    def _style(self) -> None:
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")


# Days a filter may name: the bounds built from a day (the next midnight, a week before)
# of year 1 or 9999 overflow datetime, a 500 instead of a form error.
DAY_VALIDATORS = [MinValueValidator(dt.date(1900, 1, 1)), MaxValueValidator(dt.date(9998, 12, 31))]


class _DateRange(_Paged):
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class HistoryFilterForm(_DateRange):
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("Any category")), *Category.choices],
    )
    staff = forms.TypedChoiceField(
        label=_("Staff member"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, staff_choices, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["staff"]
        assert isinstance(field, forms.ChoiceField)  # declared above
        field.choices = [("", _("Anyone")), *staff_choices]
        self._style()


class ActivityFilterForm(_DateRange):
    """The staff activity page: the last 7 days unless a range is given."""

    DEFAULT_DAYS = 7

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    @classmethod
    def range(cls, data: dict, *, today: dt.date) -> tuple[dt.date, dt.date]:
        """(first day, last day) of the cleaned `data`, the last 7 days by default."""
        end = data.get("date_to") or today
        start = data.get("date_from") or end - dt.timedelta(days=cls.DEFAULT_DAYS - 1)
        return start, end


# The largest id a cursor may name (a bigint): a longer number is a form error, not a 500.
_ID_MAX = 2**63 - 1


class AuditEventFilterForm(forms.Form):
    """The audit-events list's filters. Clients and staff are offered from the viewer's
    own (the view passes them): another client's id or an unknown action is an error on
    its field, never a list of someone else's rows."""

    # The messages never repeat what was typed (a guessed id, a made-up action).
    client = forms.TypedMultipleChoiceField(
        label=_("Client"),
        required=False,
        coerce=int,
        error_messages={"invalid_choice": _("Choose among your clients.")},
    )
    action = forms.MultipleChoiceField(
        label=_("Action"),
        required=False,
        error_messages={"invalid_choice": _("Choose actions from the list.")},
    )
    actor = forms.TypedChoiceField(
        label=_("Staff member"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a staff member of your clients.")},
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        validators=DAY_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    after = forms.IntegerField(
        required=False, min_value=1, max_value=_ID_MAX, widget=forms.HiddenInput
    )
    before = forms.IntegerField(
        required=False, min_value=1, max_value=_ID_MAX, widget=forms.HiddenInput
    )

    def __init__(self, *args, clients, staff_choices, **kwargs):
        super().__init__(*args, **kwargs)
        client_field = self.fields["client"]
        action_field = self.fields["action"]
        actor_field = self.fields["actor"]
        assert isinstance(client_field, forms.ChoiceField)  # declared above
        assert isinstance(action_field, forms.ChoiceField)
        assert isinstance(actor_field, forms.ChoiceField)
        client_field.choices = [(client.pk, client.name) for client in clients]
        action_field.choices = [
            (str(group), [(action, action) for action in actions])
            for group, actions in ACTION_GROUPS.items()
        ]
        actor_field.choices = [("", _("Anyone")), *staff_choices]
        for name in ("client", "action"):
            self.fields[name].widget.attrs["size"] = "4"
        for form_field in self.fields.values():
            css = "form-select" if isinstance(form_field, forms.ChoiceField) else "form-control"
            form_field.widget.attrs.setdefault("class", f"{css} {css}-sm")

    def full_clean(self):
        super().full_clean()
        # Each error is tied to its field for a screen reader (templates/audit/events.html).
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}-error"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("since"), data.get("until")
        if start and end and start > end:
            self.add_error("until", _("The end date is before the start date."))
        if data.get("after") and data.get("before"):
            self.add_error(None, _("That page link is not valid."))
        return data
