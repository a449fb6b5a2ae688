from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.sign_in, name="sign_in"),
    path("<slug:slug>/code/", views.code, name="code"),
    path("<slug:slug>/sign-out/", views.sign_out, name="sign_out"),
    path("<slug:slug>/language/", views.language, name="language"),
    path("<slug:slug>/brand.css", views.brand_css, name="brand"),
    path("<slug:slug>/me/", views.home, name="home"),
    path("<slug:slug>/change/", views.change, name="change"),
    path("<slug:slug>/requests/<str:reference>/", views.request_detail, name="request"),
    path("<slug:slug>/reports/<int:link_id>/", views.report, name="report"),
]
