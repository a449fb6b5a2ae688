"""The dashboards' filter form: whose figures (one of my clients, or all) and which days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiledesk.clients.models import Client
from profiledesk.tickets.queue_forms import local_date_field

from .panels import Scope

DEFAULT_DAYS = 30  # the last 30 days, today included
MAX_DAYS = 366  # a year at most: the page stays a page


class DashboardFilterForm(forms.Form):
    """GET parameters of the dashboards. `clients` are the staff member's own (from
    `clients.scoping`): any other id is a field error, never another client's figures."""

    client = forms.TypedChoiceField(label=_("Client"), required=False, coerce=int, empty_value=None)
    since = local_date_field(_("From"))
    until = local_date_field(_("Until"))

    def __init__(self, data, *, clients: list[Client], today: dt.date | None = None) -> None:
        super().__init__(data)
        self.clients = {client.pk: client for client in clients}
        client_field = self.fields["client"]
        assert isinstance(client_field, forms.ChoiceField)
        client_field.choices = [
            ("", _("All my clients")),
            *[(client.pk, client.name) for client in clients],
        ]
        self.fields["client"].widget.attrs["class"] = "form-select form-select-sm"
        for name in ("since", "until"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
        self._today = today

    def chosen(self) -> Client | None:
        pk = self.cleaned_data.get("client") if hasattr(self, "cleaned_data") else None
        return self.clients.get(pk) if pk is not None else None

    def zone(self) -> ZoneInfo:
        client = self.chosen()
        return ZoneInfo(client.time_zone if client else "UTC")

    def today(self) -> dt.date:
        """Today in the chosen client's zone (all clients: UTC's today)."""
        return self._today or timezone.now().astimezone(self.zone()).date()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.errors:
            return data
        until = data.get("until") or self.today()
        since = data.get("since") or until - dt.timedelta(days=DEFAULT_DAYS - 1)
        assert isinstance(since, dt.date) and isinstance(until, dt.date)
        if since > until:
            self.add_error(
                "until", forms.ValidationError(_("The last day comes before the first."))
            )
        elif (until - since).days >= MAX_DAYS:
            self.add_error(
                "since",
                forms.ValidationError(
                    _("Choose at most %(days)d days.") % {"days": MAX_DAYS}, code="too_long"
                ),
            )
        data["since"], data["until"] = since, until
        # The page shows the dates it used, defaults included.
        self.data = {**self.data, "since": since.isoformat(), "until": until.isoformat()}
        return data

    def scope(self) -> Scope:
        client = self.chosen()
        ids = (client.pk,) if client else tuple(sorted(self.clients))
        data = self.cleaned_data
        return Scope(client_ids=ids, since=data["since"], until=data["until"], zone=self.zone())

    def zone_text(self) -> str:
        """The time zone the page states: the one client's, or each client's own day."""
        client = self.chosen()
        if client is None:
            return str(_("each client's own day (its own time zone)"))
        return client.time_zone
