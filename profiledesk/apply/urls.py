from django.urls import path

from . import views

app_name = "apply"

urlpatterns = [
    path("<str:reference>/", views.apply, name="apply"),
]
