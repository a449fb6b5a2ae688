from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["user__username", "client__name"]
    autocomplete_fields = ["user", "client"]
