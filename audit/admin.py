from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from profiledesk.clients.admin_scoping import (
    ClientScopedAdmin,
    administered_client_ids,
    staff_visible_to,
)

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ClientScopedAdmin, admin.ModelAdmin):
    """Read-only: the log is append-only, even for desk admins."""

    list_display = ["created_at", "action", "actor_username", "client", "target_type", "target_id"]
    list_filter = ["action", "client"]
    search_fields = ["actor_username", "target_id"]
    date_hierarchy = "created_at"

    def scope_queryset(self, request, queryset):
        """A desk admin reads their clients' events, and the events of no client (sign-ins,
        staff accounts) about the staff they share a client with, or made by them."""
        if request.user.is_superuser:
            return queryset
        staff = staff_visible_to(request.user)
        user_label = get_user_model()._meta.label_lower
        about_staff = Q(
            target_type=user_label, target_id__in=staff.values(pk_text=Cast("pk", CharField()))
        )
        by_staff = ~Q(target_type=user_label) & Q(actor__in=staff)
        return queryset.filter(
            Q(client_id__in=administered_client_ids(request.user))
            | (Q(client__isnull=True) & (about_staff | by_staff))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
