from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from profiledesk.policies.admin import BusinessHoursInline, HolidayInline, client_admin_saved

from .admin_scoping import ClientScopedAdmin, ClientScopedInline
from .models import Client, Membership
from .services import membership_add, membership_audit


class MembershipInline(ClientScopedInline, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Client)
class ClientAdmin(ClientScopedAdmin, SimpleHistoryAdmin):
    client_path = "pk"
    list_display = ["name", "slug", "customer_prefix", "country", "time_zone", "is_active"]
    list_filter = ["is_active", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, BusinessHoursInline, HolidayInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if formset.model is Membership:
                _audit_membership_formset(request, form.instance, formset)
        # After the inlines, so that hours typed in while adding replace the defaults.
        client_admin_saved(
            request=request, client=form.instance, formsets=formsets, created=not change
        )
        # A desk admin who adds a client administers it (else it would vanish from their
        # admin the moment it is saved).
        user = request.user
        if (
            not change
            and not user.is_superuser
            and not user.memberships.filter(client=form.instance).exists()
        ):
            membership_add(user=user, client=form.instance, by=user, request=request)


def _audit_membership(request, action: str, membership: Membership) -> None:
    # Who may work on which client's customers is staff access: audited (PCI DSS 10.2).
    membership_audit(action=action, membership=membership, by=request.user, request=request)


def _audit_membership_formset(request, client: Client, formset) -> None:
    """After the client admin saved its membership inline (new_objects & co. are set)."""
    for membership in formset.new_objects:
        _audit_membership(request, "staff.membership_added", membership)
    for membership, _changed in formset.changed_objects:
        _audit_membership(request, "staff.membership_changed", membership)
    for membership in formset.deleted_objects:
        _audit_membership(request, "staff.membership_removed", membership)


@admin.register(Membership)
class MembershipAdmin(ClientScopedAdmin, SimpleHistoryAdmin):
    list_display = ["user", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["user__username", "client__name"]
    autocomplete_fields = ["user", "client"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and not form.changed_data:
            return
        action = "staff.membership_changed" if change else "staff.membership_added"
        _audit_membership(request, action, obj)

    def delete_model(self, request, obj):
        _audit_membership(request, "staff.membership_removed", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # One by one: each removal leaves its history row and its audit event.
        for membership in queryset.select_related("user", "client"):
            self.delete_model(request, membership)
