from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("customers/<int:customer_id>/history/", views.customer_history, name="customer_history"),
    path(
        "customers/<int:customer_id>/history/<slug:model>/<int:history_id>/<slug:field>/reveal/",
        views.history_reveal,
        name="history_reveal",
    ),
    path("tickets/<str:reference>/", views.ticket_audit, name="ticket_audit"),
    path("staff/<int:user_id>/activity/", views.staff_activity, name="staff_activity"),
    path("events/", views.audit_events, name="events"),
]
