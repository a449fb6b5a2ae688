"""The queue's filter form and the reassign form: they only clean and normalise."""

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from profiledesk.intake.validators import validate_no_invisible
from profiledesk.policies.categories import Category

from .models import OPEN_STATES, Channel, RiskLevel, State
from .selectors import AgeBand, AssigneeFilter, Cursor, QueueFilters, SlaFilter, Sort

# Dates a desk can mean: far enough to hold any ticket, near enough that a day after the
# last one still is a date (9999-12-31 + 1 day is an OverflowError, not a 500).
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


def local_date_field(label) -> forms.DateField:
    """A date of the clients' own calendars (an <input type=date>), within the desk's range."""
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)],
    )


AGE_CHOICES = [
    (AgeBand.UNDER_1H, _("Under 1 hour")),
    (AgeBand.H1_4, _("1 to 4 hours")),
    (AgeBand.H4_24, _("4 to 24 hours")),
    (AgeBand.D1_3, _("1 to 3 days")),
    (AgeBand.OVER_3D, _("Over 3 days")),
]


def _any(label, choices) -> list[tuple[str, str]]:
    return [("", label), *[(str(value), str(text)) for value, text in choices]]


SORT_CHOICES = [
    (Sort.DUE, _("Due soonest")),
    (Sort.AGE, _("Oldest")),
    (Sort.RISK, _("Highest risk")),
]


class QueuePageForm(forms.Form):
    """A queue's order and page (GET parameters): the ticket queue's and security's."""

    sort = forms.TypedChoiceField(
        label=_("Sort by"),
        required=False,
        empty_value=Sort.DUE,
        choices=SORT_CHOICES,
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput)
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def _clean_cursor(self, name: str) -> Cursor | None:
        token = self.cleaned_data.get(name) or ""
        if not token:
            return None
        try:
            return Cursor.decode(token)
        except ValueError:
            raise forms.ValidationError(
                _("This page link is broken; start from the first page."), code="cursor"
            ) from None

    def clean(self) -> dict:
        data = super().clean()
        sort = data.get("sort")
        for name in ("after", "before"):
            cursor = data.get(name)
            # A page link of another order (the sort changed under it): its place means
            # nothing in this one.
            if cursor is not None and sort and cursor.sort != sort:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("This page link is of another order; start from the first page."),
                        code="cursor_sort",
                    ),
                )
        return data

    def clean_after(self) -> Cursor | None:
        return self._clean_cursor("after")

    def clean_before(self) -> Cursor | None:
        return self._clean_cursor("before")


class QueueFilterForm(QueuePageForm):
    """GET parameters of the queue. Unknown values are errors, never silently ignored."""

    field_order = [
        "state",
        "client",
        "channel",
        "category",
        "risk",
        "assignee",
        "sla",
        "age",
        "opened_since",
        "opened_until",
        "sort",
    ]

    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=_any(_("Any open state"), [(s, State(s).label) for s in OPEN_STATES]),
    )
    client = forms.TypedChoiceField(label=_("Client"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=_any(_("Any channel"), Channel.choices)
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=_any(_("Any category"), Category.choices)
    )
    risk = forms.ChoiceField(
        label=_("Risk"), required=False, choices=_any(_("Any risk"), RiskLevel.choices)
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=_any(
            _("Any SLA"),
            [(SlaFilter.BREACHED, _("Breached")), (SlaFilter.DUE_SOON, _("Due in the next hour"))],
        ),
    )

    age = forms.ChoiceField(label=_("Age"), required=False, choices=_any(_("Any age"), AGE_CHOICES))
    # The dashboard's day links: each client's own local day (the client's time zone).
    opened_since = local_date_field(_("Opened from"))
    opened_until = local_date_field(_("Opened until"))

    def __init__(self, *args, clients, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = _any(_("All my clients"), [(c.pk, c.name) for c in clients])
        seen: dict[int, str] = {}
        for membership in people:
            user = membership.user
            seen.setdefault(user.pk, user.get_full_name() or user.username)
        self.fields["assignee"].choices = _any(
            _("Anyone"),
            [(AssigneeFilter.ME, _("Me")), (AssigneeFilter.NOBODY, _("Unassigned")), *seen.items()],
        )
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField):
                field.widget.attrs["class"] = "form-select form-select-sm"
            elif isinstance(field, forms.DateField):
                field.widget.attrs["class"] = "form-control form-control-sm"

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("opened_since"), data.get("opened_until")
        if since and until and since > until:
            self.add_error(
                "opened_until",
                forms.ValidationError(
                    _("The last day comes before the first; swap them."), code="date_order"
                ),
            )
        return data

    def filters(self) -> QueueFilters:
        data = self.cleaned_data
        return QueueFilters(
            state=data["state"],
            client=data["client"],
            channel=data["channel"],
            category=data["category"],
            risk=data["risk"],
            assignee=data["assignee"],
            sla=data["sla"],
            age=data["age"],
            opened_since=data["opened_since"],
            opened_until=data["opened_until"],
        )


class ReassignForm(forms.Form):
    to = forms.CharField(
        label=_("Reassign to"),
        max_length=150,
        help_text=_("The username of an agent or supervisor of the ticket's client."),
    )


class TakeOverForm(forms.Form):
    """A supervisor taking a ticket someone else claimed says why (optional, recorded)."""

    reason = forms.CharField(
        label=_("Why you take it over"),
        max_length=500,
        required=False,
        validators=[validate_no_invisible],
    )
