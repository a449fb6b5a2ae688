"""The dashboards (issue 16): supervisors' and compliance's, and each panel's CSV.

GET /dashboard/ (supervisors and compliance), GET /dashboard/compliance/ (compliance),
GET /dashboard/<panel key>.csv?<the same filters>. The filter form decides the scope from
the staff member's own clients; another client's id is a field error (400), never its
figures.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from profiledesk.accounts.requests import StaffRequest
from profiledesk.clients.scoping import clients_for
from profiledesk.privacy.spreadsheet import spreadsheet_text
from profiledesk.replica import reads_from_replica

from . import registry
from .charts import Chart, chart_for
from .forms import DashboardFilterForm
from .panels import Cell, Panel, PanelFunction

VIEW = "dashboards.view_dashboard"
VIEW_COMPLIANCE = "dashboards.view_compliance_dashboard"


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    href: str  # the last number as a link, when the row is a bar of the chart


@dataclass(frozen=True)
class PanelView:
    panel: Panel
    chart: Chart | None
    csv_url: str
    rows: tuple[Row, ...]


def _rows(panel: Panel) -> tuple[Row, ...]:
    """The table's rows; a one-series panel whose rows are its points (label, value)
    links each number where the bar links."""
    hrefs: dict[str, str] = {}
    if len(panel.series) == 1 and len(panel.columns) == 2:
        hrefs = {p.label: p.href for p in panel.series[0].points if p.href}
    return tuple(Row(cells=row, href=hrefs.get(str(row[0]), "")) for row in panel.rows)


def _form(request: StaffRequest) -> DashboardFilterForm:
    clients = list(clients_for(request.user).order_by("name"))
    return DashboardFilterForm(request.GET, clients=clients)


def _page(
    request: StaffRequest, *, panels: list[PanelFunction], title: str, compliance: bool
) -> HttpResponse:
    form = _form(request)
    query = request.GET.urlencode()

    def panel_views() -> list[PanelView]:
        if not form.is_valid():
            return []  # another client's id, bad days: no figures at all
        scope = form.scope()
        views = []
        for function in panels:
            panel = function(scope)
            csv_url = reverse("dashboards:csv", args=[panel.key])
            url = f"{csv_url}?{query}" if query else csv_url
            views.append(PanelView(panel, chart_for(panel), url, _rows(panel)))
        return views

    status, cache_key = 400, ""
    if form.is_valid():
        status = 200
        scope = form.scope()
        # What the panels depend on: the page, the scope's clients (the viewer's, as the
        # form allowed them), the days, and the query their links and CSV carry.
        cache_key = hashlib.sha256(
            f"{compliance}|{scope.client_ids}|{scope.since}|{scope.until}|{scope.zone}|{query}".encode()
        ).hexdigest()
    context = {
        "form": form,
        # Computed only when the template's cache has no fresh copy of the panels: rendering
        # 17 charts and their tables is most of the page's cost (docs/performance.md).
        "panels": SimpleLazyObject(panel_views),
        "cache_key": cache_key,
        "cache_seconds": settings.DASHBOARD_CACHE_SECONDS,
        "title": title,
        "compliance": compliance,
        "zone_text": form.zone_text() if form.is_valid() else "",
        "can_see_compliance": request.user.has_perm(VIEW_COMPLIANCE),
    }
    return render(request, "dashboards/dashboard.html", context, status=status)


@require_GET
@permission_required(VIEW, raise_exception=True)
@reads_from_replica  # figures and counts: a replica's lag is fine (docs/operations.md)
def supervisor(request: StaffRequest) -> HttpResponse:
    return _page(request, panels=registry.SUPERVISOR, title=_("Dashboard"), compliance=False)


@require_GET
@permission_required(VIEW_COMPLIANCE, raise_exception=True)
@reads_from_replica  # figures and counts: a replica's lag is fine (docs/operations.md)
def compliance(request: StaffRequest) -> HttpResponse:
    return _page(
        request, panels=registry.COMPLIANCE, title=_("Compliance dashboard"), compliance=True
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
@reads_from_replica  # figures and counts: a replica's lag is fine (docs/operations.md)
def panel_csv(request: StaffRequest, key: str) -> HttpResponse:
    """One panel's table as CSV, for the same filters (a formula-like cell is text)."""
    form = _form(request)
    if not form.is_valid():
        return HttpResponse(
            "\n".join(
                f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items()
            ),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    panels = registry.COMPLIANCE if request.user.has_perm(VIEW_COMPLIANCE) else registry.SUPERVISOR
    scope = form.scope()
    # Keys are what the functions return: computed in page order until the one asked for
    # (at most the page's own cost), only among the dashboards this person may see.
    panel = next((p for p in (function(scope) for function in panels) if p.key == key), None)
    if panel is None:
        raise Http404
    data = form.cleaned_data
    name = f"{panel.key}_{data['since'].isoformat()}_{data['until'].isoformat()}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([spreadsheet_text(c) for c in panel.columns])
    for row in panel.rows:
        writer.writerow([spreadsheet_text(c) for c in row])
    return response
