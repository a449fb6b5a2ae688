from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from profiledesk.policies.admin import BusinessHoursInline, HolidayInline, client_admin_saved

from .models import Client, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Client)
class ClientAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "customer_prefix", "country", "time_zone", "is_active"]
    list_filter = ["is_active", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, BusinessHoursInline, HolidayInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the inlines, so that hours typed in while adding replace the defaults.
        client_admin_saved(
            request=request, client=form.instance, formsets=formsets, created=not change
        )


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["user__username", "client__name"]
    autocomplete_fields = ["user", "client"]
