"""Admin for events; writes go through events.services."""

from django.contrib import admin
from django.db import models

from crm.service_admin import ServiceModelAdmin
from events import services
from events.models import Event, EventAttendance


class AttendanceInline(admin.TabularInline):
    model = EventAttendance
    extra = 0
    fields = ["manager", "status"]
    readonly_fields = ["manager", "status"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ServiceModelAdmin):
    list_display = ["name", "kind", "starts_at", "location", "cost", "team"]
    list_filter = ["kind", "team"]
    search_fields = ["name", "location"]
    date_hierarchy = "starts_at"
    readonly_fields = ["sequence", "created_by", "created_at", "updated_at"]
    inlines = [AttendanceInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.event_create(
            by=request.user,
            team=data.get("team"),
            **{f: data[f] for f in services.EVENT_EDITABLE if f in data},
        )

    def update(self, request, obj, form):
        data = self.changed(form, services.EVENT_EDITABLE)
        services.event_update(event=Event.objects.get(pk=obj.pk), data=data)


@admin.register(EventAttendance)
class EventAttendanceAdmin(ServiceModelAdmin):
    list_display = ["event", "manager", "status"]
    list_filter = ["status"]
    list_select_related = ["event", "manager"]
    autocomplete_fields = ["event"]

    def get_readonly_fields(self, request, obj=None):
        return ["event", "manager"] if obj else []

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.event_attend(
            event=data["event"], manager=data["manager"], status=data["status"]
        )

    def update(self, request, obj, form):
        services.event_attend(event=obj.event, manager=obj.manager, status=obj.status)
