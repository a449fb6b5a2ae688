from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.search, name="search"),
    path("<int:customer_id>/", views.profile, name="profile"),
    path(
        "<int:customer_id>/reveal/<slug:kind>/<int:row_id>/<slug:field>/",
        views.reveal,
        name="reveal",
    ),
    path("<int:customer_id>/freeze/", views.freeze, name="freeze"),
    path("<int:customer_id>/unfreeze/", views.unfreeze, name="unfreeze"),
]
