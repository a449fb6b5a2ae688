"""Exports for compliance: the list with live progress, the three request forms, the
download (audited) and the progress partial polled while an export is being built."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.customers.access import get_customer_for_staff

from .access import PERM, can_export, get_export_for_staff
from .forms import AuditEventsForm, FormatForm
from .models import Format, Kind
from .selectors import PAGE_SIZE, exports_for
from .services import (
    ExportError,
    Gone,
    NotReady,
    export_open_for_download,
    export_request,
    retention,
)


def _list(request: StaffRequest, form: AuditEventsForm, *, status: int = 200) -> HttpResponse:
    context = {
        "exports": exports_for(staff=request.user),
        "form": form,
        "page_size": PAGE_SIZE,
        "retention_days": retention().days,
    }
    return render(request, "exports/list.html", context, status=status)


@require_GET
def export_list(request: StaffRequest) -> HttpResponse:
    if not can_export(request.user):
        raise PermissionDenied
    return _list(request, AuditEventsForm(staff=request.user))


@require_POST
def audit_events(request: StaffRequest) -> HttpResponse:
    if not can_export(request.user):
        raise PermissionDenied
    form = AuditEventsForm(request.POST, staff=request.user)
    if not form.is_valid():
        return _list(request, form, status=400)
    since, until = form.range()
    export_request(
        by=request.user,
        kind=Kind.AUDIT_EVENTS,
        fmt=form.cleaned_data["format"],
        client=form.cleaned_data["client"],
        since=since,
        until=until,
        request=request,
    )
    messages.success(request, _("Export requested: it is being built below."))
    return redirect("exports:list")


def _customer_export(request: StaffRequest, customer_id: int, kind: str) -> HttpResponse:
    customer = get_customer_for_staff(request.user, customer_id, perm=PERM)
    if kind == Kind.DSAR:
        fmt = Format.JSON
    else:
        form = FormatForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose CSV or JSON."))
            return redirect("exports:list")
        fmt = form.cleaned_data["format"]
    try:
        export_request(
            by=request.user,
            kind=kind,
            fmt=fmt,
            client=customer.client,
            customer=customer,
            request=request,
        )
    except ExportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Export requested: it is being built below."))
    return redirect("exports:list")


@require_POST
def customer_history(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _customer_export(request, customer_id, Kind.CUSTOMER_HISTORY)


@require_POST
def dsar(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _customer_export(request, customer_id, Kind.DSAR)


def _open(request: StaffRequest, export, rendition: str):
    """(file handle, None) after an audited download, or (None, the 409 / 410 page)."""
    try:
        handle = export_open_for_download(
            export=export, by=request.user, request=request, rendition=rendition
        )
    except NotReady as error:
        return None, render(request, "exports/unavailable.html", {"message": error}, status=409)
    except Gone as error:
        return None, render(request, "exports/unavailable.html", {"message": error}, status=410)
    return handle, None


@require_GET
def download(request: StaffRequest, export_id: int) -> HttpResponseBase:
    export = get_export_for_staff(request.user, export_id)
    handle, refusal = _open(request, export, "file")
    if refusal is not None:
        return refusal
    response = FileResponse(handle, as_attachment=True, filename=export.filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-SHA256"] = export.sha256
    return response


@require_GET
def dsar_readable(request: StaffRequest, export_id: int) -> HttpResponse:
    """The data-subject access export as a printable page, to send with the JSON file."""
    export = get_export_for_staff(request.user, export_id)
    if export.kind != Kind.DSAR:
        raise Http404("Only a data-subject access export has a readable version")
    handle, refusal = _open(request, export, "html")
    if refusal is not None:
        return refusal
    with handle:
        document = json.load(handle)
    response = render(request, "exports/dsar_readable.html", {"export": export, "doc": document})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def progress(request: StaffRequest, export_id: int) -> HttpResponse:
    export = get_export_for_staff(request.user, export_id)
    return render(request, "exports/_row.html", {"export": export})
