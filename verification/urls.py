from django.urls import path

from . import views

app_name = "verification"

urlpatterns = [
    path("<str:reference>/", views.panel, name="panel"),
    path("<str:reference>/otp/send/", views.otp_send, name="otp_send"),
    path("<str:reference>/otp/check/", views.otp_check, name="otp_check"),
    path("<str:reference>/questions/", views.questions, name="questions"),
    path("<str:reference>/document/", views.document_upload, name="document_upload"),
    path("<str:reference>/document/<int:document_id>/", views.document, name="document"),
    path("<str:reference>/reveal/", views.reveal, name="reveal"),
    path("<str:reference>/waive/", views.waive, name="waive"),
    path("<str:reference>/complete/", views.complete, name="complete"),
]
