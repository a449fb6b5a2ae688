from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<str:reference>/claim/", views.claim, name="claim"),
    path("tickets/<str:reference>/close-report/", views.close_report, name="close_report"),
]
