"""Desk admins switch automation on or off per client and category (the kill switch),
for their own clients only (`ClientScopedAdmin`); every change is audited
(`services.switch_set`) and kept in the history."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from profiledesk.clients.admin_scoping import ClientScopedAdmin

from .models import AutomationSwitch
from .rules import switch_on_problem
from .services import switch_set


class SwitchForm(forms.ModelForm):
    class Meta:
        model = AutomationSwitch
        fields = ["client", "category", "enabled"]

    def clean(self):
        cleaned = super().clean() or {}
        client = cleaned.get("client") or getattr(self.instance, "client", None)
        category = cleaned.get("category") or self.instance.category
        if cleaned.get("enabled") and client is not None and category:
            problem = switch_on_problem(client=client, category=category)
            if problem:
                self.add_error("enabled", problem[:1].upper() + problem[1:] + ".")
        return cleaned


@admin.register(AutomationSwitch)
class AutomationSwitchAdmin(ClientScopedAdmin, SimpleHistoryAdmin):
    form = SwitchForm
    list_display = ["client", "category", "enabled", "changed_at", "changed_by"]
    list_filter = ["enabled", "category", "client"]
    list_select_related = ["client", "changed_by"]
    search_fields = ["client__name", "client__slug"]
    ordering = ["client__name", "category"]
    readonly_fields = ["changed_at", "changed_by"]

    def get_readonly_fields(self, request, obj=None):
        # A switch belongs to one client and one category for its whole life.
        fixed = ["client", "category"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        # The service writes the row, its history and the audit event.
        saved = switch_set(
            client=obj.client,
            category=obj.category,
            enabled=obj.enabled,
            by=request.user,
            request=request,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        # Turned off, never deleted: its history says when it was on.
        return False
