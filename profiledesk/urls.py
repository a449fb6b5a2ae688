from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse

from profiledesk.customers import views as customer_views
from profiledesk.health.views import healthz
from profiledesk.tickets import search_views

admin.site.site_header = "ProfileDesk administration"
admin.site.site_title = "ProfileDesk admin"


def _admin_login(request, extra_context=None):
    # One front door: the admin's own password-only form is never offered.
    return redirect_to_login(request.GET.get("next", "/admin/"), reverse("accounts:login"))


# The default site's own login view, replaced on the instance (mypy: a method).
admin.site.login = _admin_login  # type: ignore[method-assign]

handler403 = "profiledesk.accounts.errors.permission_denied"  # renders 403.html, audited
# 404.html for the desk; the customer pages' own, in the customer's language.
handler404 = "profiledesk.i18n.views.page_not_found"

urlpatterns = [
    path("", customer_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", include("profiledesk.observability.urls")),  # off unless configured
    path("accounts/", include("profiledesk.accounts.urls")),
    path("customers/", include("profiledesk.customers.urls")),
    path("tickets/", include("profiledesk.tickets.urls")),
    path("search/", search_views.search, name="search"),
    path("verification/", include("verification.urls")),
    path("approvals/", include("profiledesk.approvals.urls")),
    path("security/", include("profiledesk.security.urls")),
    path("confirm/", include("profiledesk.confirmations.urls")),
    path("portal/", include("profiledesk.portal.urls")),  # the customer portal (issue 17)
    path("connectors/", include("profiledesk.connectors.urls")),
    path("apply/", include("profiledesk.apply.urls")),
    path("editing/", include("profiledesk.editing.urls")),
    path("rollback/", include("profiledesk.rollback.urls")),
    path("audit/", include("audit.urls")),
    path("exports/", include("profiledesk.exports.urls")),
    path("notifications/", include("profiledesk.notifications.urls")),
    path("dashboard/", include("profiledesk.dashboards.urls")),
    path("api/", include("profiledesk.api.urls")),
    path("inbound/", include("profiledesk.inbound.urls")),
    path("idv/", include("profiledesk.idv.urls")),  # identity provider (issue 18)
    path("dev/", include("profiledesk.messaging.urls")),  # DEBUG only: 404 otherwise
    path("demo/", include("profiledesk.demo.urls")),  # DEMO_MODE only: 404 otherwise
    path("admin/", admin.site.urls),
]
