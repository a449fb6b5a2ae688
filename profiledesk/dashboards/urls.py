from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.supervisor, name="supervisor"),
    path("compliance/", views.compliance, name="compliance"),
    path("<slug:key>.csv", views.panel_csv, name="csv"),
]
