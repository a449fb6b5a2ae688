from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("otp/", views.otp_verify, name="otp"),
    path("otp/setup/", views.otp_setup, name="otp_setup"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/end-others/", views.session_end_others, name="sessions_end_others"),
    path("password/", views.password_change, name="password_change"),
    path("session/idle/", views.session_idle, name="session_idle"),
    path("session/stay/", views.session_stay, name="session_stay"),
]
