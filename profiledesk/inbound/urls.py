from django.urls import path

from . import views

app_name = "inbound"

urlpatterns = [
    path("email/", views.inbound_email, name="email"),
]
