from django.urls import path

from . import views

app_name = "idv"

urlpatterns = [
    path("stripe/webhook/<slug:slug>/", views.stripe_webhook, name="stripe_webhook"),
    path("<str:reference>/", views.panel, name="panel"),
    path("<str:reference>/start/", views.start, name="start"),
]
