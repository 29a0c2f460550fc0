"""The event pages: the list, one event, adding and changing one, "I'm going"."""

from django.urls import path

from events import pages

urlpatterns = [
    path("", pages.event_list, name="event-list-page"),
    path("new/", pages.event_create, name="event-create-page"),
    path("<int:pk>/", pages.event_detail, name="event-detail-page"),
    path("<int:pk>/edit/", pages.event_edit, name="event-edit-page"),
    path("<int:pk>/attend/", pages.event_attend, name="event-attend-page"),
]
