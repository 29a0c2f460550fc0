"""The web pages' URLs: sign-in, the manager home, and each app's pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm import pages

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", pages.home, name="home"),
    path("log/", include("crm.quick_log_urls")),
    path("prospects/", include("crm.prospect_page_urls")),
    path("events/", include("events.page_urls")),
    path("review/", include("funnel.page_urls")),
]
