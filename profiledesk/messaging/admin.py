"""Messages in the Django admin: read-only, redacted (the encrypted body is never shown)."""

from django.contrib import admin

from profiledesk.clients.admin_scoping import ClientScopedAdmin

from .models import Message


@admin.register(Message)
class MessageAdmin(ClientScopedAdmin, admin.ModelAdmin):
    list_display = ["created_at", "client", "channel", "recipient", "template", "status"]
    list_filter = ["status", "channel", "client"]
    list_select_related = ["client"]
    search_fields = ["recipient", "idempotency_key", "provider_message_id"]
    date_hierarchy = "created_at"
    fields = [
        "client",
        "ticket",
        "customer",
        "channel",
        "recipient",
        "template",
        "language",
        "subject",
        "text_redacted",
        "status",
        "attempts",
        "provider_message_id",
        "last_error",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
