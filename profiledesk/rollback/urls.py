from django.urls import path

from . import views

app_name = "rollback"

urlpatterns = [
    path("tickets/<str:reference>/", views.from_ticket, name="ticket"),
    path("versions/<slug:model>/<int:history_id>/", views.from_version, name="version"),
]
