"""The prospect pages: list, new, detail, and the detail page's actions (POST)."""

from django.urls import path

from crm import prospect_pages

urlpatterns = [
    path("", prospect_pages.prospect_list, name="prospect-list-page"),
    path("new/", prospect_pages.prospect_create, name="prospect-create-page"),
    path("<int:pk>/", prospect_pages.prospect_detail, name="prospect-detail-page"),
    path(
        "<int:pk>/meetings/<int:meeting_pk>/<slug:action>/",
        prospect_pages.meeting_action,
        name="prospect-meeting-action-page",
    ),
    path("<int:pk>/<slug:action>/", prospect_pages.prospect_action, name="prospect-action-page"),
]
