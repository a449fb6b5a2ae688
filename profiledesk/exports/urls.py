from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.export_list, name="list"),
    path("audit-events/", views.audit_events, name="audit_events"),
    path("customers/<int:customer_id>/history/", views.customer_history, name="customer_history"),
    path("customers/<int:customer_id>/dsar/", views.dsar, name="dsar"),
    path("<int:export_id>/download/", views.download, name="download"),
    path("<int:export_id>/progress/", views.progress, name="progress"),
    path("<int:export_id>/readable/", views.dsar_readable, name="dsar_readable"),
]
