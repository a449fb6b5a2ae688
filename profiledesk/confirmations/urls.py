from django.urls import path

from . import views

app_name = "confirmations"

urlpatterns = [
    path("report/<str:token>", views.report, name="report"),
]
