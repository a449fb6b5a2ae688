"""Desk admins edit policies, business hours and holidays here (docs/design.md §1, §5).

A client's nine policies are created with it (the client admin calls
`client_admin_saved`); desk admins change them, never add or delete them. Business
hours and holidays are edited inline on the client. Every edit keeps a history row and
writes an audit event (docs/design.md §7: policy edits are audit events).
"""

from django import forms
from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from audit.services import audit_record
from profiledesk.clients.admin_scoping import ClientScopedAdmin, ClientScopedInline
from profiledesk.intake.fields import CATEGORY_FIELDS

from .defaults import policies_ensure_defaults
from .models import BusinessHours, Holiday, Policy


def _field_choices(category: str | None, current: list[str]) -> list[tuple[str, str]]:
    """The change-item fields of the category ("personaldetails.legal_name", as
    ChangeItem.field holds them), plus any already chosen."""
    specs = CATEGORY_FIELDS.get(category or "") or [
        spec for specs in CATEGORY_FIELDS.values() for spec in specs
    ]
    choices = {
        spec.key: f"{capfirst(spec.model._meta.verbose_name)}: {spec.label}" for spec in specs
    }
    for name in current:
        choices.setdefault(name, name)
    return list(choices.items())


class PolicyForm(forms.ModelForm):
    stricter_fields = forms.MultipleChoiceField(
        label=_("Fields needing AL3"), required=False, widget=forms.CheckboxSelectMultiple
    )
    approval_fields = forms.MultipleChoiceField(
        label=_("Fields needing tier-1 approval"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Even when the category needs no approval."),
    )

    class Meta:
        model = Policy
        fields = [
            "client",
            "category",
            "verification_level",
            "stricter_fields",
            "dual_confirmation",
            "approval_tiers",
            "approvers_per_tier",
            "approval_fields",
            "approval_sla_minutes",
            "sla_minutes",
            "cooling_off_hours",
            "documents_required",
            "self_service",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.instance.category or self.data.get("category")
        for name in ("stricter_fields", "approval_fields"):
            current = getattr(self.instance, name) or []
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)  # declared above
            field.choices = _field_choices(category, current)


def _jsonable(value):
    return value if isinstance(value, bool | int | str | list | None) else str(value)


@admin.register(Policy)
class PolicyAdmin(ClientScopedAdmin, SimpleHistoryAdmin):
    form = PolicyForm
    list_display = [
        "client",
        "category",
        "verification_level",
        "approval_tiers",
        "approvers_per_tier",
        "sla_minutes",
        "cooling_off_hours",
        "self_service",
    ]
    list_filter = ["client", "category"]
    list_select_related = ["client"]
    search_fields = ["client__name", "client__slug"]
    ordering = ["client__name", "category"]
    fieldsets = [
        (None, {"fields": ["client", "category"]}),
        (
            _("Verification"),
            {"fields": ["verification_level", "stricter_fields", "dual_confirmation"]},
        ),
        (
            _("Approval"),
            {
                "fields": [
                    "approval_tiers",
                    "approvers_per_tier",
                    "approval_fields",
                    "approval_sla_minutes",
                ]
            },
        ),
        (
            _("Timing and channels"),
            {
                "fields": [
                    "sla_minutes",
                    "cooling_off_hours",
                    "documents_required",
                    "self_service",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A policy belongs to one client and one category for its whole life.
        return ["client", "category"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and not form.changed_data:
            return
        audit_record(
            action="policy.changed" if change else "policy.created",
            actor=request.user,
            client=obj.client,
            target=obj,
            data={
                "category": obj.category,
                "changed": {
                    name: [_jsonable(form.initial.get(name)), _jsonable(form.cleaned_data[name])]
                    for name in form.changed_data
                },
            },
            request=request,
        )


class BusinessHoursInline(ClientScopedInline, admin.TabularInline):
    model = BusinessHours
    extra = 0
    fields = ["weekday", "opens", "closes"]
    verbose_name_plural = _("business hours (none: the clock runs round the clock)")


class HolidayInline(ClientScopedInline, admin.TabularInline):
    model = Holiday
    extra = 0
    fields = ["date", "name"]


class _CalendarAdmin(ClientScopedAdmin, SimpleHistoryAdmin):
    list_filter = ["client"]
    list_select_related = ["client"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _audit_calendar(request, obj.client, {"changed" if change else "added": [str(obj)]})

    def delete_model(self, request, obj):
        client = obj.client
        super().delete_model(request, obj)
        _audit_calendar(request, client, {"deleted": [str(obj)]})

    def delete_queryset(self, request, queryset):
        # One by one, so that every row leaves its history row and its audit event.
        for obj in queryset.select_related("client"):
            self.delete_model(request, obj)


@admin.register(BusinessHours)
class BusinessHoursAdmin(_CalendarAdmin):
    list_display = ["client", "weekday", "opens", "closes"]
    ordering = ["client__name", "weekday", "opens"]


@admin.register(Holiday)
class HolidayAdmin(_CalendarAdmin):
    list_display = ["client", "date", "name"]
    ordering = ["client__name", "date"]
    date_hierarchy = "date"


def _audit_calendar(request, client, changes: dict[str, list[str]]) -> None:
    audit_record(
        action="policy.calendar_changed",
        actor=request.user,
        client=client,
        target=client,
        data=changes,
        request=request,
    )


def client_admin_saved(*, request, client, formsets, created: bool) -> None:
    """After the client admin saved a client and its inlines: give a new client its
    default policies (and office hours, unless some were entered), audit calendar edits.
    """
    if created:
        policies_ensure_defaults(client=client, by=request.user)
    changes: dict[str, list[str]] = {}
    for formset in formsets:
        if formset.model not in (BusinessHours, Holiday):
            continue
        for key, objs in (
            ("added", formset.new_objects),
            ("changed", [obj for obj, _fields in formset.changed_objects]),
            ("deleted", formset.deleted_objects),
        ):
            changes.setdefault(key, []).extend(str(obj) for obj in objs)
    changes = {key: values for key, values in changes.items() if values}
    if changes:
        _audit_calendar(request, client, changes)
