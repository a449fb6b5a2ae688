from django.urls import path, re_path

from . import views

app_name = "api"

urlpatterns = [
    path("v1/change-requests/", views.change_request_create, name="change_requests"),
    path(
        "v1/change-requests/<str:reference>/",
        views.change_request_status,
        name="change_request",
    ),
    path("v1/events/<uuid:fetch_id>/", views.event_fetch, name="event"),
    path("schema/", views.schema, name="schema"),
    path("docs/", views.docs, name="docs"),
    # Anything else under /api/ is a JSON 404, not the desk's HTML page: [\s\S], as "."
    # stops at a line break (and an inline (?s) flag cannot be reversed by reverse()).
    re_path(r"^[\s\S]*$", views.not_found, name="not_found"),
]
