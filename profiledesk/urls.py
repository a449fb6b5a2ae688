from django.contrib import admin
from django.urls import include, path

from profiledesk.customers import views as customer_views
from profiledesk.health.views import healthz

admin.site.site_header = "ProfileDesk administration"
admin.site.site_title = "ProfileDesk admin"

urlpatterns = [
    path("", customer_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("profiledesk.accounts.urls")),
    path("customers/", include("profiledesk.customers.urls")),
    path("admin/", admin.site.urls),
]
