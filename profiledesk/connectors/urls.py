from django.urls import path

from . import views

app_name = "connectors"

urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("deliveries/<int:delivery_id>/retry/", views.retry, name="retry"),
]
