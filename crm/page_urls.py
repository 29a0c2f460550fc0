"""The web pages' URLs: sign-in and the pages of the crm app."""

urlpatterns: list = []
