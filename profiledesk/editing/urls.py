from django.urls import path

from . import views

app_name = "editing"

urlpatterns = [
    path("tickets/<str:reference>/", views.edit, name="edit"),
]
