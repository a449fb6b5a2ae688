from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from audit.services import audit_record

from .models import StaffSession, User
from .sessions import staff_sessions_end


@admin.action(description=_("End all sessions of the selected staff"))
def end_all_sessions(modeladmin, request, queryset):
    total = 0
    for user in queryset:
        total += staff_sessions_end(user=user)
        audit_record(action="staff.sessions_ended_by_admin", actor=request.user, target=user,
                     request=request)
    messages.success(request, _("Ended %(count)d session(s).") % {"count": total})


@admin.register(User)
class StaffAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups", "memberships__client"]
    actions = [end_all_sessions]


@admin.register(StaffSession)
class StaffSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "started_at", "last_seen_at", "ip_address", "user_agent"]
    list_filter = ["user"]
    exclude = ["session_key"]
    readonly_fields = ["user", "started_at", "last_seen_at", "ip_address", "user_agent"]

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        staff_sessions_end(user=obj.user, only_keys=[obj.session_key])

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user"):
            self.delete_model(request, obj)
