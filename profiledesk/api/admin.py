from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from profiledesk.clients.admin_scoping import ClientScopedAdmin

from .keys import api_key_revoke
from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(ClientScopedAdmin, admin.ModelAdmin):
    """Keys are made with `manage.py create_api_key` (the key is shown once there) and
    revoked here; they are never edited or deleted."""

    list_display = ["name", "client", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["client", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "client__name"]
    readonly_fields = ["client", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected API keys"), permissions=["change"])
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for api_key in keys:
            api_key_revoke(api_key=api_key, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", len(keys))
            % {"count": len(keys)},
            messages.SUCCESS,
        )
