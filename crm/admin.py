"""Admin for the CRM. Writes that carry history go through crm.services."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from crm import services
from crm.models import (
    Call,
    CloseDateChange,
    Contact,
    Meeting,
    MeetingStatus,
    Profile,
    Prospect,
    Referral,
    Stage,
    StageChange,
    Team,
)
from crm.service_admin import ServiceModelAdmin

User = get_user_model()


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "lead", "timezone", "work_week", "holiday_country"]
    list_filter = ["sector"]
    search_fields = ["name"]
    readonly_fields = ["team_calendar_token", "created_at", "updated_at"]
    actions = ["rotate_token"]

    @admin.action(description="Rotate the team calendar token")
    def rotate_token(self, request, queryset):
        for team in queryset:
            services.team_calendar_token_rotate(team=team)
        self.message_user(request, f"{queryset.count()} team token(s) rotated.")


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = ["calendar_token"]
    fk_name = "user"


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "profile__role", "profile__team", "is_active"]
    list_filter = ["profile__role", "profile__team", "is_active"]
    list_select_related = ["profile__team"]
    actions = ["rotate_calendar_token"]

    @admin.action(description="Rotate the personal calendar token")
    def rotate_calendar_token(self, request, queryset):
        for user in queryset.select_related("profile"):
            services.calendar_token_rotate(user=user)
        self.message_user(request, f"{queryset.count()} calendar token(s) rotated.")


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "email", "phone", "is_decision_maker"]


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    fields = ["changed_at", "from_stage", "to_stage", "by", "note"]
    readonly_fields = fields


class CloseDateChangeInline(ReadOnlyInline):
    model = CloseDateChange
    fields = ["changed_at", "from_date", "to_date", "by"]
    readonly_fields = fields


def _move_action(stage: str):
    def action(modeladmin, request, queryset):
        modeladmin.run_per_object(
            request,
            queryset,
            lambda p: services.prospect_move(prospect=p, to_stage=stage, by=request.user),
            f"prospect(s) moved to {stage}",
        )

    action.__name__ = f"move_to_{stage}"
    return admin.action(description=f"Move to stage “{stage}”")(action)


@admin.register(Prospect)
class ProspectAdmin(ServiceModelAdmin):
    list_display = [
        "name",
        "owner",
        "stage",
        "source",
        "expected_value",
        "expected_close_date",
        "created_at",
    ]
    list_filter = ["stage", "source", "owner__profile__team"]
    list_select_related = ["owner"]
    search_fields = ["name", "contacts__name", "contacts__email"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["source_event"]
    inlines = [ContactInline, StageChangeInline, CloseDateChangeInline]
    actions = [*(_move_action(stage) for stage in Stage.open_stages()), "reopen"]
    history_fields = [
        "stage",
        "lost_from_stage",
        "contract_value",
        "signed_on",
        "lost_reason",
        "lost_on",
    ]

    def get_readonly_fields(self, request, obj=None):
        base = ["updated_at", *self.history_fields]
        return [*base, "owner", "created_at"] if obj else base

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = User.objects.filter(profile__team__isnull=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.prospect_create(
            owner=data["owner"],
            name=data["name"],
            by=request.user,
            source=data["source"],
            source_event=data.get("source_event"),
            expected_value=data.get("expected_value"),
            expected_close_date=data.get("expected_close_date"),
            created_at=data.get("created_at"),
        )

    def update(self, request, obj, form):
        services.prospect_update(
            prospect=obj,
            by=request.user,
            data=self.changed(form, services.PROSPECT_EDITABLE),
        )

    @admin.action(description="Reopen (back to the stage it was lost from)")
    def reopen(self, request, queryset):
        self.run_per_object(
            request,
            queryset,
            lambda p: services.prospect_reopen(prospect=p, by=request.user),
            "prospect(s) reopened",
        )


@admin.register(Contact)
class ContactAdmin(ServiceModelAdmin):
    list_display = ["name", "prospect", "title", "email", "is_decision_maker"]
    list_filter = ["is_decision_maker"]
    search_fields = ["name", "email", "prospect__name"]
    autocomplete_fields = ["prospect"]

    def get_readonly_fields(self, request, obj=None):
        return ["prospect"] if obj else []

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.contact_create(
            prospect=data["prospect"],
            **{f: data[f] for f in services.CONTACT_EDITABLE if f in data},
        )

    def update(self, request, obj, form):
        services.contact_update(contact=obj, data=self.changed(form, services.CONTACT_EDITABLE))


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["prospect", "from_stage", "to_stage", "changed_at", "by"]
    list_filter = ["to_stage"]
    list_select_related = ["prospect", "by"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CloseDateChange)
class CloseDateChangeAdmin(StageChangeAdmin):
    list_display = ["prospect", "from_date", "to_date", "changed_at", "by"]
    list_filter = []


@admin.register(Call)
class CallAdmin(ServiceModelAdmin):
    list_display = ["at", "manager", "prospect", "kind", "outcome", "duration"]
    list_filter = ["outcome", "kind", "direction"]
    list_select_related = ["manager", "prospect"]
    date_hierarchy = "at"
    autocomplete_fields = ["prospect"]

    def get_readonly_fields(self, request, obj=None):
        # A logged call is a fact: its outcome may have moved the funnel.
        return ["manager", "prospect", "at", "outcome", "kind", "direction"] if obj else []

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.call_log(
            manager=data["manager"],
            prospect=data.get("prospect"),
            at=data["at"],
            outcome=data["outcome"],
            duration=data["duration"],
            direction=data["direction"],
            kind=data["kind"],
            notes=data.get("notes", ""),
            by=request.user,
        )

    def update(self, request, obj, form):
        obj.full_clean()
        obj.save(update_fields=["duration", "notes", "updated_at"])

    def delete_model(self, request, obj):
        services.call_delete(call=obj)

    def delete_queryset(self, request, queryset):
        for call in queryset:
            services.call_delete(call=call)


@admin.register(Meeting)
class MeetingAdmin(ServiceModelAdmin):
    list_display = ["starts_at", "manager", "prospect", "status", "decision_maker_present"]
    list_filter = ["status", "decision_maker_present"]
    list_select_related = ["manager", "prospect"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["prospect"]
    filter_horizontal = ["attendees"]
    actions = ["hold", "cancel", "no_show"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["status", "sequence", "ics_uid", "created_at", "updated_at"]
        return [*fixed, "manager", "prospect", "starts_at", "ends_at"] if obj else fixed

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.meeting_plan(
            manager=data["manager"],
            prospect=data["prospect"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            location=data.get("location", ""),
            attendees=data.get("attendees") or (),
            notes=data.get("notes", ""),
            by=request.user,
        )

    def update(self, request, obj, form):
        services.meeting_update(meeting=obj, data=self.changed(form, services.MEETING_EDITABLE))

    def delete_model(self, request, obj):
        services.meeting_delete(meeting=obj)

    def delete_queryset(self, request, queryset):
        for meeting in queryset:
            services.meeting_delete(meeting=meeting)

    @admin.action(description="Mark held")
    def hold(self, request, queryset):
        self.run_per_object(
            request,
            queryset.filter(status=MeetingStatus.PLANNED),
            lambda m: services.meeting_hold(meeting=m, by=request.user),
            "meeting(s) held",
        )

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        self.run_per_object(
            request,
            queryset,
            lambda m: services.meeting_cancel(meeting=m, by=request.user),
            "meeting(s) cancelled",
        )

    @admin.action(description="Mark no-show")
    def no_show(self, request, queryset):
        self.run_per_object(
            request,
            queryset,
            lambda m: services.meeting_no_show(meeting=m, by=request.user),
            "meeting(s) marked no-show",
        )


@admin.register(Referral)
class ReferralAdmin(ServiceModelAdmin):
    list_display = ["asked_on", "manager", "from_prospect", "status", "referred_prospect"]
    list_filter = ["status"]
    list_select_related = ["manager", "from_prospect", "referred_prospect"]
    autocomplete_fields = ["from_prospect", "referred_prospect"]
    actions = ["decline"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["status", "referred_prospect", "answered_on"]
        return [*fixed, "manager", "from_prospect", "asked_on"] if obj else fixed

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.referral_ask(
            manager=data["manager"],
            from_prospect=data["from_prospect"],
            asked_on=data["asked_on"],
            notes=data.get("notes", ""),
            by=request.user,
        )

    def update(self, request, obj, form):
        obj.full_clean()
        obj.save(update_fields=["notes", "updated_at"])

    @admin.action(description="Mark declined")
    def decline(self, request, queryset):
        self.run_per_object(
            request,
            queryset,
            lambda r: services.referral_decline(referral=r, by=request.user),
            "referral(s) declined",
        )
