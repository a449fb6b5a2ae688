"""Messages in the Django admin: read-only, redacted (the encrypted body is never shown).

The recipient is a customer's e-mail address or phone number: masked here as on the desk
(a desk admin may not reveal a customer's contact details), and a message is found by
the whole address only, so that the list cannot be searched for parts of addresses."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from profiledesk.clients.admin_scoping import ClientScopedAdmin

from .models import Message


@admin.register(Message)
class MessageAdmin(ClientScopedAdmin, admin.ModelAdmin):
    list_display = ["created_at", "client", "channel", "recipient_masked", "template", "status"]
    list_filter = ["status", "channel", "client"]
    list_select_related = ["client"]
    search_fields = ["=recipient", "idempotency_key", "provider_message_id"]
    date_hierarchy = "created_at"
    # A tuple, so that one sequence types as both (a list is invariant).
    readonly_fields = (
        "client",
        "ticket",
        "customer",
        "channel",
        "recipient_masked",
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
    )
    fields = readonly_fields

    @admin.display(description=_("recipient"))
    def recipient_masked(self, obj: Message) -> str:
        return obj.recipient_masked

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
