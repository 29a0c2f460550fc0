"""The web pages' URLs: sign-in and the pages of the crm app."""

from django.contrib.auth import views as auth_views
from django.urls import path

from crm import pages

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", pages.home, name="home"),
]
