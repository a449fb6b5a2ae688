from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from audit.services import audit_record

from .models import StaffSession, User
from .sessions import staff_sessions_end


@admin.action(description=_("End all sessions of the selected staff"))
def end_all_sessions(modeladmin, request, queryset):
    total = 0
    for user in queryset:
        total += staff_sessions_end(user=user)
        audit_record(
            action="staff.sessions_ended_by_admin", actor=request.user, target=user, request=request
        )
    messages.success(request, _("Ended %(count)d session(s).") % {"count": total})


def _audit_staff(request, action: str, user: User, **data) -> None:
    audit_record(
        action=action,
        actor=request.user,
        target=user,
        data={"username": user.get_username(), **data},
        request=request,
    )


@admin.register(User)
class StaffAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups", "memberships__client"]
    actions = [end_all_sessions]

    # Desk admins changing staff access is audited (PCI DSS 10.2): field names and the
    # resulting access, never a password (the add form's password fields are left out).
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        secret = ("password", "usable_password")
        changed = [name for name in form.changed_data if not name.startswith(secret)]
        if change and not changed:
            return
        user = form.instance
        _audit_staff(
            request,
            "staff.account_changed" if change else "staff.account_added",
            user,
            changed=changed,
            groups=sorted(user.groups.values_list("name", flat=True)),
            is_active=user.is_active,
            is_staff=user.is_staff,
            is_superuser=user.is_superuser,
        )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            _audit_staff(request, "staff.password_set_by_admin", User.objects.get(pk=id))
        return response

    def delete_model(self, request, obj):
        _audit_staff(request, "staff.account_deleted", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)


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


# django-otp's own admin shows a device's secret as a QR code: anyone with it could mint
# that staff member's codes. Desk admins may only see devices and delete one, which makes
# its owner enrol a new authenticator at the next sign-in.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        audit_record(
            action="staff.totp_reset_by_admin", actor=request.user, target=obj.user, request=request
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            self.delete_model(request, device)
