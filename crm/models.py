"""Teams, people, prospects and the activity logged against them.

Stage and close-date history (StageChange, CloseDateChange) is written only by
``crm.services``; every metric reads that history, never the current row alone.
"""

import secrets
import zoneinfo
from datetime import timedelta

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from crm.zones import named_zone

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(0)]}
DEFAULT_ROTTING_DAYS = 14
WEEKDAYS = "1234567"  # ISO weekday numbers, Monday = 1


def new_calendar_token() -> str:
    """A URL-safe secret of 256 bits for a calendar feed link."""
    return secrets.token_urlsafe(32)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"Unknown time zone “{value}”; use an IANA name such as Europe/Berlin."
        )


def validate_work_week(value: str) -> None:
    if not value or any(ch not in WEEKDAYS for ch in value) or len(set(value)) != len(value):
        raise ValidationError(
            "List the working ISO weekdays as digits without repeats, e.g. 12345 for Mon-Fri."
        )


def validate_holiday_country(value: str) -> None:
    if value and value not in holidays.list_supported_countries():
        raise ValidationError(f"No public-holiday calendar for country code “{value}”.")


class Role(models.TextChoices):
    MANAGER = "manager", "account manager"
    LEAD = "lead", "sales lead"
    ADMIN = "admin", "admin"


class Stage(models.TextChoices):
    LEAD = "lead", "lead"
    CONTACTED = "contacted", "contacted"
    MEETING = "meeting", "meeting"
    PROPOSAL = "proposal", "proposal"
    CONTRACT = "contract", "contract"
    LOST = "lost", "lost"

    @classmethod
    def funnel(cls) -> list[str]:
        """The ordered funnel stages (`lost` is not one)."""
        return [cls.LEAD, cls.CONTACTED, cls.MEETING, cls.PROPOSAL, cls.CONTRACT]

    @classmethod
    def open_stages(cls) -> list[str]:
        return [cls.LEAD, cls.CONTACTED, cls.MEETING, cls.PROPOSAL]

    @classmethod
    def rank(cls, stage: str) -> int:
        """Position in the funnel, 0 for lead; -1 for lost."""
        order = cls.funnel()
        return order.index(stage) if stage in order else -1


class Source(models.TextChoices):
    COLD_CALL = "cold_call", "cold call"
    REFERRAL = "referral", "referral"
    EVENT = "event", "event"
    INBOUND = "inbound", "inbound"
    OTHER = "other", "other"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    sector = models.ForeignKey("funnel.Sector", on_delete=models.PROTECT, related_name="teams")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_led",
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    work_week = models.CharField(
        max_length=7,
        default="12345",
        validators=[validate_work_week],
        help_text="ISO weekdays worked, Monday = 1: 12345 is Mon-Fri.",
    )
    holiday_country = models.CharField(
        max_length=8,
        blank=True,
        validators=[validate_holiday_country],
        help_text="ISO country code of the public holidays observed; empty for none.",
    )
    rotting_days = models.JSONField(
        default=dict,
        blank=True,
        help_text="Days without a call or meeting after which an open prospect is stale, "
        f'per stage, e.g. {{"proposal": 7}}; {DEFAULT_ROTTING_DAYS} for a stage not listed.',
    )
    team_calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return named_zone(self.timezone)

    def rotting_days_for(self, stage: str) -> int:
        return int(self.rotting_days.get(stage, DEFAULT_ROTTING_DAYS))

    def clean(self) -> None:
        if not isinstance(self.rotting_days, dict):
            raise ValidationError({"rotting_days": "Give an object of stage: days."})
        for stage, days in self.rotting_days.items():
            if stage not in Stage.open_stages():
                raise ValidationError({"rotting_days": f"“{stage}” is not an open stage."})
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                raise ValidationError(
                    {"rotting_days": f"Days for {stage} must be a whole number ≥ 1."}
                )


class Profile(models.Model):
    """What Funnelbook knows of a user beyond Django's auth: team, role, calendar token."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MANAGER)
    hired_on = models.DateField(null=True, blank=True)
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="Empty: the team's time zone.",
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    activity_days_tz = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        db_default="",
        default="",
        help_text="The time zone this user's ActivityDay rows were counted in (kept by the "
        "services); they are used while it is the team's time zone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__username"]
        indexes = [models.Index(fields=["team", "role"], name="profile_team_role")]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="profile_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"

    @property
    def effective_timezone(self) -> str:
        if self.timezone:
            return self.timezone
        return self.team.timezone if self.team_id else settings.TIME_ZONE

    def clean(self) -> None:
        if self.role in (Role.MANAGER, Role.LEAD) and self.team_id is None:
            raise ValidationError({"team": f"A {self.get_role_display()} belongs to a team."})


class Prospect(models.Model):
    """A potential customer, owned by one manager, moving through the funnel stages."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prospects"
    )
    name = models.CharField(max_length=200)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.LEAD)
    lost_from_stage = models.CharField(
        max_length=12,
        choices=[(s, s) for s in Stage.open_stages()],
        blank=True,
        help_text="The stage a lost prospect was lost from; reopening returns it there.",
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.OTHER)
    source_event = models.ForeignKey(
        "events.Event",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sourced_prospects",
    )
    expected_value = models.DecimalField(null=True, blank=True, **MONEY)
    expected_close_date = models.DateField(null=True, blank=True)
    contract_value = models.DecimalField(null=True, blank=True, **MONEY)
    signed_on = models.DateField(null=True, blank=True)
    lost_reason = models.CharField(max_length=300, blank=True)
    lost_on = models.DateField(null=True, blank=True)
    revisit_on = models.DateField(null=True, blank=True)
    # A cache of the prospect's activity, rewritten from its calls and meetings by
    # crm.services.prospect_activity_refresh after every write to them, so "stalled" and
    # "stale" are a filter on open prospects instead of a scan of their activity.
    held_meetings = models.PositiveIntegerField(
        default=0, db_default=0, editable=False, help_text="Held meetings (kept by the services)."
    )
    held_with_dm = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="Held meetings with a decision maker present (kept by the services).",
    )
    last_touch_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The latest call or held meeting (kept by the services).",
    )
    # Kept by crm.services._record_close_date, so "unreliable close date" is a filter too.
    push_count = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="Times the expected close date was moved later (kept by the services).",
    )
    # Kept by crm.services._record_stage: the furthest funnel stage the prospect ever
    # entered (SPEC 3.1's "reached"), so the cohort funnel reads one row per prospect
    # instead of its stage history.
    furthest_stage = models.CharField(
        max_length=12,
        choices=Stage.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text="The furthest funnel stage ever entered (kept by the services).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "created_at"], name="prospect_owner_created"),
            models.Index(fields=["owner", "stage"], name="prospect_owner_stage"),
            models.Index(fields=["owner", "signed_on"], name="prospect_owner_signed"),
            models.Index(fields=["owner", "lost_on"], name="prospect_owner_lost"),
            models.Index(fields=["created_at"], name="prospect_created"),
            # Open deals by owner with their activity cache: stalled and stale, index-only.
            models.Index(
                fields=["owner", "stage"],
                name="prospect_open_activity",
                include=[
                    "held_meetings",
                    "held_with_dm",
                    "last_touch_at",
                    "created_at",
                    "push_count",
                ],
                condition=Q(stage__in=["lead", "contacted", "meeting", "proposal"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="prospect_stage_known"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="prospect_source_known"
            ),
            models.CheckConstraint(
                condition=Q(expected_value__isnull=True) | Q(expected_value__gte=0),
                name="prospect_expected_value_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(contract_value__isnull=True) | Q(contract_value__gte=0),
                name="prospect_contract_value_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(stage=Stage.CONTRACT)
                | (Q(contract_value__isnull=False) & Q(signed_on__isnull=False)),
                name="prospect_contract_has_value_and_date",
            ),
            models.CheckConstraint(
                condition=~Q(stage=Stage.LOST) | (~Q(lost_reason="") & Q(lost_on__isnull=False)),
                name="prospect_lost_has_reason_and_date",
            ),
            models.CheckConstraint(
                condition=~Q(source=Source.EVENT) | Q(source_event__isnull=False),
                name="prospect_event_source_names_event",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.stage in Stage.open_stages()

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.source == Source.EVENT and self.source_event_id is None:
            errors["source_event"] = "A prospect sourced at an event names that event."
        if self.source != Source.EVENT and self.source_event_id is not None:
            errors["source_event"] = "Only a prospect with source “event” names a source event."
        if self.stage == Stage.CONTRACT:
            if self.contract_value is None:
                errors["contract_value"] = "A contract needs its value."
            if self.signed_on is None:
                errors["signed_on"] = "A contract needs the date it was signed."
        if self.revisit_on is not None and self.stage != Stage.LOST:
            errors["revisit_on"] = "Only a lost prospect has a revisit date; set it when losing."
        if self.stage == Stage.LOST:
            if not self.lost_reason.strip():
                errors["lost_reason"] = "Say why the prospect was lost."
            if self.lost_on is None:
                errors["lost_on"] = "A lost prospect needs the date it was lost."
        if errors:
            raise ValidationError(errors)


class Contact(models.Model):
    """A person at a prospect."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_decision_maker = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["prospect_id", "name"]
        indexes = [models.Index(fields=["email"], name="contact_email")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prospect})"


def history_owner() -> models.ForeignKey:
    """The ``owner`` of a history row: its prospect's owner, copied when the row is written
    (a prospect's owner never changes), so a team's or a manager's history of a period is
    read by the (owner, changed_at) index alone, not by joining every change of the period
    to its prospect."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
        help_text="The prospect's owner (copied by the services).",
    )


class StageChange(models.Model):
    """One stage transition of a prospect; the first row of a prospect has no from_stage."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="stage_changes")
    owner = history_owner()
    from_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Stage.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["prospect_id", "changed_at", "id"]
        indexes = [
            models.Index(fields=["prospect", "changed_at"], name="stagechange_prospect_at"),
            models.Index(fields=["owner", "changed_at"], name="stagechange_owner_at"),
            models.Index(fields=["changed_at", "to_stage"], name="stagechange_at_stage"),
            # The cohort funnel: each cohort prospect's stages, read from the index alone.
            models.Index(fields=["prospect", "to_stage"], name="stagechange_prospect_stage"),
            # Open at a period's start: only losing and reopening change "open" for good.
            models.Index(
                fields=["changed_at"],
                name="stagechange_lost_at",
                include=["prospect", "from_stage", "to_stage"],
                condition=Q(to_stage="lost") | Q(from_stage="lost"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_stage__in=Stage.values), name="stagechange_to_known"
            ),
            models.CheckConstraint(
                condition=~Q(from_stage=F("to_stage")), name="stagechange_changes_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prospect}: {self.from_stage or '∅'} → {self.to_stage} at {self.changed_at}"


class CloseDateChange(models.Model):
    """One change of a prospect's expected close date (from_date empty when first set)."""

    prospect = models.ForeignKey(
        Prospect, on_delete=models.CASCADE, related_name="close_date_changes"
    )
    owner = history_owner()
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["prospect_id", "changed_at", "id"]
        indexes = [
            models.Index(fields=["prospect", "changed_at"], name="closedate_prospect_at"),
            models.Index(fields=["owner", "changed_at"], name="closedate_owner_at"),
            models.Index(fields=["changed_at"], name="closedate_at"),
        ]

    def __str__(self) -> str:
        return f"{self.prospect}: {self.from_date} → {self.to_date} at {self.changed_at}"

    @property
    def is_push(self) -> bool:
        """True when the date moved later (a first setting is not a push)."""
        return (
            self.from_date is not None
            and self.to_date is not None
            and self.to_date > self.from_date
        )


class CallDirection(models.TextChoices):
    OUTBOUND = "outbound", "outbound"
    INBOUND = "inbound", "inbound"


class CallKind(models.TextChoices):
    COLD = "cold", "cold"
    FOLLOW_UP = "follow_up", "follow-up"


class CallOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", "no answer"
    TALKED = "talked", "talked"
    MEETING_BOOKED = "meeting_booked", "meeting booked"
    REFUSED = "refused", "refused"


class Call(models.Model):
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls"
    )
    prospect = models.ForeignKey(
        Prospect, on_delete=models.CASCADE, null=True, blank=True, related_name="calls"
    )
    at = models.DateTimeField()
    duration = models.DurationField(default=timedelta)
    direction = models.CharField(
        max_length=10, choices=CallDirection.choices, default=CallDirection.OUTBOUND
    )
    kind = models.CharField(max_length=10, choices=CallKind.choices, default=CallKind.COLD)
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["manager", "at"], name="call_manager_at"),
            models.Index(fields=["prospect", "at"], name="call_prospect_at"),
            # Company-wide periods: every call of a window without touching the table.
            models.Index(fields=["at", "manager"], name="call_at_manager"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration__gte=timedelta(0)), name="call_duration_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=CallOutcome.values), name="call_outcome_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Call {self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.duration is not None and self.duration < timedelta(0):
            raise ValidationError({"duration": "A call cannot last less than nothing."})


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "planned"
    HELD = "held", "held"
    CANCELLED = "cancelled", "cancelled"
    NO_SHOW = "no_show", "no-show"


class Meeting(models.Model):
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meetings"
    )
    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    attendees = models.ManyToManyField(Contact, blank=True, related_name="meetings")
    decision_maker_present = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: raised on every reschedule or cancellation."
    )
    ics_uid = models.CharField(
        max_length=255,
        blank=True,
        help_text="UID of an imported invitation; empty for meetings made here.",
    )
    # Kept by crm.services.meeting_import; db_default so bulk loaders may leave it out.
    ics_sequence = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text=(
            "SEQUENCE of the last imported version of the invitation (the sender's count, "
            "not ours); an older version is refused."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["manager", "starts_at"], name="meeting_manager_start"),
            models.Index(fields=["prospect", "status"], name="meeting_prospect_status"),
            # Held meetings only (what the metrics count): by time for company periods, by
            # prospect for decision-maker reach and stalled deals.
            models.Index(
                fields=["starts_at", "manager"],
                name="meeting_held_start",
                condition=Q(status="held"),
            ),
            models.Index(
                fields=["prospect", "starts_at"],
                name="meeting_held_prospect",
                include=["decision_maker_present"],
                condition=Q(status="held"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MeetingStatus.values), name="meeting_status_known"
            ),
            models.UniqueConstraint(
                fields=["manager", "ics_uid"],
                condition=~Q(ics_uid=""),
                name="meeting_ics_uid_unique_per_manager",
            ),
        ]

    def __str__(self) -> str:
        return f"Meeting with {self.prospect} at {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "A meeting must end after it starts."})


class ActivityDay(models.Model):
    """Calls and held meetings of one user on one local day (their team's time zone): a
    cache the reports read instead of grouping millions of calls and meetings.

    Rewritten for a user by crm.services.activity_days_refresh after every write to their
    calls and meetings (and by the demo and the bench loader after bulk loads). It is valid
    while the user's ``Profile.activity_days_tz`` equals their team's time zone; the reports
    count a user whose team (or its time zone) changed since from the calls and meetings
    themselves until the next refresh.
    """

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    calls = models.PositiveIntegerField(default=0)
    held_meetings = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["manager", "day"], name="activityday_manager_day"),
        ]
        indexes = [models.Index(fields=["day", "manager"], name="activityday_day_manager")]

    def __str__(self) -> str:
        return f"{self.manager_id} on {self.day}: {self.calls} calls, {self.held_meetings} held"


class ReferralStatus(models.TextChoices):
    ASKED = "asked", "asked"
    RECEIVED = "received", "received"
    DECLINED = "declined", "declined"


class Referral(models.Model):
    """A manager asking a client (from_prospect) to recommend someone."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals"
    )
    from_prospect = models.ForeignKey(
        Prospect, on_delete=models.CASCADE, related_name="referrals_given"
    )
    asked_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.ASKED
    )
    referred_prospect = models.OneToOneField(
        Prospect,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral",
    )
    answered_on = models.DateField(
        null=True, blank=True, help_text="When the referral was received or declined."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-asked_on", "-id"]
        indexes = [
            models.Index(fields=["manager", "asked_on"], name="referral_manager_asked"),
            models.Index(fields=["manager", "answered_on"], name="referral_manager_answered"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(referred_prospect=F("from_prospect")),
                name="referral_not_self",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.RECEIVED) | Q(referred_prospect__isnull=False),
                name="referral_received_names_prospect",
            ),
            models.CheckConstraint(
                condition=Q(status=ReferralStatus.ASKED) | Q(answered_on__isnull=False),
                name="referral_answer_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral asked of {self.from_prospect} on {self.asked_on}"

    def clean(self) -> None:
        if self.referred_prospect_id is not None and (
            self.referred_prospect_id == self.from_prospect_id
        ):
            raise ValidationError(
                {"referred_prospect": "The referred prospect cannot be the client who referred."}
            )
        if self.status == ReferralStatus.RECEIVED and self.referred_prospect_id is None:
            raise ValidationError({"referred_prospect": "A received referral names the prospect."})
        if self.answered_on and self.asked_on and self.answered_on < self.asked_on:
            raise ValidationError({"answered_on": "A referral is answered after it was asked."})
