from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    # Demo mode only (404 otherwise): a delivery as the demo client's system received it.
    path(
        "receiver/deliveries/<int:delivery_id>/",
        views.receiver_delivery,
        name="receiver_delivery",
    ),
]
