from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from audit.services import audit_record
from profiledesk.clients.admin_scoping import (
    ClientScopedAdmin,
    ScopedModelMultipleChoiceField,
    StaffScopedAdmin,
    related_choices,
)
from profiledesk.clients.models import Client
from profiledesk.clients.services import membership_add

from .models import StaffSession, User
from .roles import Role
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


class StaffCreationForm(AdminUserCreationForm):
    # Its choices are set for each request (StaffAdmin.get_form): the admin's clients.
    clients = ScopedModelMultipleChoiceField(
        queryset=Client.objects.none(),
        label=_("clients"),
        help_text=_(
            "The clients the new staff member works for. Desk admins see a staff member "
            "only while they share a client."
        ),
    )


# Flags and raw permissions that only a superuser sets (roles are groups: roles.py), and
# superusers themselves come only from `manage.py createsuperuser`.
ESCALATION_FIELDS = ("is_superuser", "is_staff", "user_permissions")


@admin.register(User)
class StaffAdmin(StaffScopedAdmin, UserAdmin, SimpleHistoryAdmin):
    staff_path = "pk"
    add_form = StaffCreationForm
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups", "memberships__client"]
    actions = [end_all_sessions]
    # Roles are a handful of groups: a plain, labelled multiple select (Django's two-box
    # widget puts ARIA on elements that may not carry it: WCAG 4.1.2).
    filter_horizontal = ()

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [*self.add_fieldsets, (_("Clients"), {"fields": ["clients"]})]
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "user_permissions"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        # Sign-in and joining dates are facts the desk records, never typed in.
        readonly = [
            *super().get_readonly_fields(request, obj),
            "is_superuser",
            "last_login",
            "date_joined",
        ]
        if not request.user.is_superuser:
            readonly.append("is_staff")
            if obj is not None and obj.pk == request.user.pk:
                readonly.append("groups")  # nobody hands themselves a role
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form
        clients = ScopedModelMultipleChoiceField(
            queryset=related_choices(self.admin_site, request, Client, Client.objects.all()),
            required=not request.user.is_superuser,
            label=StaffCreationForm.base_fields["clients"].label,
            help_text=conditional_escape(StaffCreationForm.base_fields["clients"].help_text),
            error_messages={"invalid_choice": _("Choose clients you administer.")},
            scope_request=request,
        )
        # A subclass per request: the declared field is shared by every request.
        return type(form.__name__, (form,), {"clients": clients})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and not request.user.is_superuser:
            self._audit_crafted_escalation(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _audit_crafted_escalation(self, request, object_id) -> None:
        """The form never offers these to a desk admin, so a POST carrying them was made
        by hand: ignored (they are not form fields), and recorded."""
        crafted = [name for name in ESCALATION_FIELDS if name in request.POST]
        if "groups" in request.POST and str(object_id) == str(request.user.pk):
            crafted.append("groups")  # their own roles
        if crafted:
            audit_record(
                action="staff.escalation_refused",
                actor=request.user,
                data={"fields": crafted, "object_id": str(object_id or "")[:64]},
                request=request,
            )

    def revert_disabled(self, request, obj=None):
        return True  # history leaves the password out: a revert would wipe it

    # Desk admins changing staff access is audited (PCI DSS 10.2): field names and the
    # resulting access, never a password (the add form's password fields are left out).
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            for client in form.cleaned_data.get("clients") or []:
                membership_add(user=form.instance, client=client, by=request.user, request=request)
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
class StaffSessionAdmin(StaffScopedAdmin, admin.ModelAdmin):
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
class AuthenticatorAdmin(StaffScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    # A tuple, so that one sequence types as both (a list is invariant).
    readonly_fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    fields = readonly_fields

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


# Roles are Django groups kept in code (roles.py, set again after every migrate) and are
# the same for every client: desk admins read them, only superusers could edit one.
admin.site.unregister(Group)


# django-stubs gives GroupAdmin.formfield_for_manytomany an optional request (Django's
# default); the admin always passes one, which the scoped choices need.
@admin.register(Group)
class RoleAdmin(ClientScopedAdmin, GroupAdmin):  # type: ignore[misc]
    def scope_queryset(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        return queryset.filter(name__in=[role.value for role in Role])

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# django-axes' sign-in records name a staff member by username: scoped like the account.
class _SignInRecordAdmin(StaffScopedAdmin):
    staff_path = "username"
    staff_field = "username"


for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    admin.site.unregister(_model)


@admin.register(AccessAttempt)
class AccessAttemptScopedAdmin(_SignInRecordAdmin, AccessAttemptAdmin):
    # It cleans up every expired attempt, whatever was selected.
    superuser_only_actions = ("cleanup_expired_attempts",)


@admin.register(AccessLog)
class AccessLogScopedAdmin(_SignInRecordAdmin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class AccessFailureLogScopedAdmin(_SignInRecordAdmin, AccessFailureLogAdmin):
    pass
