from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<str:reference>/submit/", views.submit, name="submit"),
    path("tickets/<str:reference>/approve/", views.approve, name="approve"),
    path("tickets/<str:reference>/reject/", views.reject, name="reject"),
    path(
        "tickets/<str:reference>/documents/<int:document_id>/",
        views.document,
        name="document",
    ),
    path("tickets/<str:reference>/avatar/<int:item_id>/", views.avatar, name="avatar"),
]
