from django.urls import path

from . import completion_views, live_views, queue_views, views

app_name = "tickets"

urlpatterns = [
    path("", queue_views.queue, name="queue"),
    path("<str:reference>/claim/", queue_views.claim, name="claim"),
    path("<str:reference>/reassign/", queue_views.reassign, name="reassign"),
    path("<str:reference>/take-over/", queue_views.take_over, name="take_over"),
    path("<str:reference>/live/", live_views.live, name="live"),
    path("new/<int:customer_id>/", views.new_request, name="new"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/move/", views.move, name="move"),
    path("<str:reference>/comment/", views.comment, name="comment"),
    path("<str:reference>/match/", completion_views.match, name="match"),
    path("<str:reference>/match/search/", completion_views.match_search, name="match_search"),
    path("<str:reference>/capture/", completion_views.capture, name="capture"),
    path(
        "<str:reference>/attachments/<int:attachment_id>/",
        completion_views.attachment,
        name="attachment",
    ),
]
