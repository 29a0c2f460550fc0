"""API shapes of the CRM. Related ids are limited to what the caller may see, so naming
someone else's prospect, contact or event is a 400 on that field."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework import serializers
from rest_framework.parsers import BaseParser, DataAndFiles

from crm import selectors
from crm.models import (
    Call,
    Contact,
    Meeting,
    Prospect,
    Referral,
    Stage,
    Team,
)
from crm.rest import AwareDateTimeField
from events.ics import MAX_INVITATION_BYTES, Invitation, InvitationError, parse_invitation
from events.selectors import visible_events

User = get_user_model()

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


class ScopedSerializer(serializers.ModelSerializer):
    """Narrows related-field choices to the caller's scope.

    ``scoped_fields`` maps a field name to a selector taking the user.
    """

    scoped_fields: dict = {}
    # Fields that may be given on create but not changed afterwards.
    create_only: tuple[str, ...] = ()
    # Fields changed only by an item action (move, sign, hold, …), never by PATCH.
    action_only: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        for name, selector in self.scoped_fields.items():
            field = self.fields.get(name)
            if field is None or field.read_only:
                continue
            target = (
                field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            )
            target.queryset = selector(request.user)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in self.create_only:
                if name in self.fields:
                    self.fields[name].read_only = True

    def validate(self, attrs):
        if self.instance is not None:
            frozen = [name for name in self.create_only if name in self.initial_data]
            frozen += [name for name in self.action_only if name in self.initial_data]
            if frozen:
                raise serializers.ValidationError(
                    {name: [self.frozen_message(name)] for name in frozen}
                )
        return attrs

    def frozen_message(self, name: str) -> str:
        return "It cannot be changed after creation."


def _users(user):
    return selectors.visible_users(user)


class ProspectSerializer(ScopedSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)
    referral = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    stage = serializers.ChoiceField(choices=Stage.choices, default=Stage.LEAD)
    lost_from_stage = serializers.ChoiceField(
        choices=[("", "not lost"), *((s, s) for s in Stage.open_stages())],
        read_only=True,
        help_text="The stage a lost prospect was lost from; reopening returns it there.",
    )
    expected_value = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    scoped_fields = {"owner": _users, "source_event": visible_events}
    create_only = ("owner",)
    action_only = ("stage", "contract_value", "signed_on", "lost_reason", "lost_on")

    class Meta:
        model = Prospect
        fields = [
            "id",
            "owner",
            "name",
            "stage",
            "source",
            "source_event",
            "referral",
            "expected_value",
            "expected_close_date",
            "contract_value",
            "signed_on",
            "lost_reason",
            "lost_on",
            "lost_from_stage",
            "revisit_on",
            "held_meetings",
            "held_with_dm",
            "last_touch_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "held_meetings",
            "held_with_dm",
            "last_touch_at",
            "contract_value",
            "signed_on",
            "lost_reason",
            "lost_on",
            "lost_from_stage",
            "updated_at",
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # A new prospect is open; the model's own rule names the field the same way.
        if self.instance is None and attrs.pop("revisit_on", None) is not None:
            raise serializers.ValidationError(
                {"revisit_on": ["Only a lost prospect has a revisit date; set it when losing."]}
            )
        return attrs

    def validate_stage(self, value: str) -> str:
        if value not in Stage.open_stages():
            raise serializers.ValidationError(
                "A prospect starts in an open stage; sign or lose it afterwards."
            )
        return value

    def frozen_message(self, name: str) -> str:
        if name in self.action_only:
            return "Use the move, sign, lose or reopen actions."
        return super().frozen_message(name)

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["stage"].read_only = True
        return fields


class MoveSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.open_stages())


class SignSerializer(serializers.Serializer):
    contract_value = serializers.DecimalField(**MONEY)
    signed_on = serializers.DateField()


class LoseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    lost_on = serializers.DateField(required=False)
    revisit_on = serializers.DateField(required=False, allow_null=True)


class ContactSerializer(ScopedSerializer):
    scoped_fields = {"prospect": selectors.visible_prospects}
    create_only = ("prospect",)

    class Meta:
        model = Contact
        fields = [
            "id",
            "prospect",
            "name",
            "title",
            "email",
            "phone",
            "is_decision_maker",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class CallSerializer(ScopedSerializer):
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)
    at = AwareDateTimeField()
    # A day bounds a call; an unbounded value would overflow SQLite's integer column.
    duration = serializers.DurationField(
        min_value=timedelta(0), max_value=timedelta(days=1), required=False
    )

    scoped_fields = {"manager": _users, "prospect": selectors.visible_prospects}
    create_only = ("manager", "prospect", "at", "outcome", "kind", "direction")

    class Meta:
        model = Call
        fields = [
            "id",
            "manager",
            "prospect",
            "at",
            "duration",
            "direction",
            "kind",
            "outcome",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def frozen_message(self, name: str) -> str:
        return "A logged call is a fact; only its duration and notes can change."


class MeetingSerializer(ScopedSerializer):
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()

    scoped_fields = {
        "manager": _users,
        "prospect": selectors.visible_prospects,
        "attendees": selectors.visible_contacts,
    }
    create_only = ("manager", "prospect")
    action_only = ("starts_at", "ends_at", "status")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "manager",
            "prospect",
            "starts_at",
            "ends_at",
            "location",
            "status",
            "attendees",
            "decision_maker_present",
            "notes",
            "sequence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "sequence", "created_at", "updated_at"]

    def frozen_message(self, name: str) -> str:
        if name in self.action_only:
            return "Use the hold, cancel, no-show or reschedule actions."
        return super().frozen_message(name)

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["starts_at"].read_only = True
            fields["ends_at"].read_only = True
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        starts, ends = attrs.get("starts_at"), attrs.get("ends_at")
        if starts and ends and ends <= starts:
            raise serializers.ValidationError({"ends_at": ["A meeting must end after it starts."]})
        return attrs


class HoldSerializer(serializers.Serializer):
    decision_maker_present = serializers.BooleanField(required=False, allow_null=True, default=None)


class RescheduleSerializer(serializers.Serializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()

    def validate(self, attrs):
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": ["A meeting must end after it starts."]})
        return attrs


class ImportIcsSerializer(serializers.Serializer):
    """An invitation to log as a meeting. A file that is not an invitation to one meeting
    is refused on ``file`` with the reason; ``manager`` and ``prospect`` are limited as a
    meeting's are (a manager names only themself, a lead a manager of their team)."""

    # Validated data: ``invitation`` (what events.ics.parse_invitation read from ``file``),
    # and ``manager`` and ``prospect`` when given.

    file = serializers.FileField(
        help_text="The invitation (.ics) as Outlook or Google Calendar send it, at most 1 MB."
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        help_text="Whose meeting it is (a lead names a manager of their team); default: you.",
    )
    prospect = serializers.PrimaryKeyRelatedField(
        queryset=Prospect.objects.none(),
        required=False,
        help_text="The manager's prospect it is with, when the attendees' e-mails match none "
        "or several.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["manager"].queryset = _users(request.user)
            self.fields["prospect"].queryset = selectors.visible_prospects(request.user)

    def validate_file(self, upload) -> Invitation:
        if upload.size is not None and upload.size > MAX_INVITATION_BYTES:
            raise serializers.ValidationError(
                f"The file is over 1 MB ({MAX_INVITATION_BYTES:,} bytes); an invitation is "
                "a few kilobytes."
            )
        try:
            return parse_invitation(upload.read())
        except InvitationError as exc:
            # The reader's reason, as a sentence like the API's other messages.
            message = str(exc).rstrip(".")
            raise serializers.ValidationError(f"{message[:1].upper()}{message[1:]}.") from None

    def validate(self, attrs):
        attrs["invitation"] = attrs.pop("file")
        return attrs


class CalendarParser(BaseParser):
    """A raw ``text/calendar`` body, e.g. ``curl --data-binary @invite.ics -H "Content-Type:
    text/calendar"``, as the ``file`` of ``ImportIcsSerializer``. Such a body has no form
    fields, so the query string gives them (``?prospect=12``)."""

    media_type = "text/calendar"

    def parse(self, stream, media_type=None, parser_context=None):
        # One byte past the limit is enough to refuse it; the rest is never read.
        data = stream.read(MAX_INVITATION_BYTES + 1)
        request = (parser_context or {}).get("request")
        fields = request.query_params.copy() if request is not None else QueryDict(mutable=True)
        upload = SimpleUploadedFile("invitation.ics", data, content_type=self.media_type)
        return DataAndFiles(fields, MultiValueDict({"file": [upload]}))


class ReferralSerializer(ScopedSerializer):
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)

    scoped_fields = {"manager": _users, "from_prospect": selectors.visible_prospects}
    create_only = ("manager", "from_prospect", "asked_on")
    action_only = ("status", "referred_prospect", "answered_on")

    class Meta:
        model = Referral
        fields = [
            "id",
            "manager",
            "from_prospect",
            "asked_on",
            "status",
            "referred_prospect",
            "answered_on",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "referred_prospect",
            "answered_on",
            "created_at",
            "updated_at",
        ]

    def frozen_message(self, name: str) -> str:
        if name in self.action_only:
            return "Use the receive or decline actions."
        return super().frozen_message(name)


class ReceiveSerializer(serializers.Serializer):
    referred_prospect = serializers.PrimaryKeyRelatedField(
        queryset=Prospect.objects.none(), required=False, allow_null=True
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    received_on = serializers.DateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["referred_prospect"].queryset = selectors.visible_prospects(request.user)

    def validate(self, attrs):
        if not attrs.get("referred_prospect") and not attrs.get("name", "").strip():
            raise serializers.ValidationError(
                {"referred_prospect": ["Name the referred prospect, or give a name for a new one."]}
            )
        return attrs


class DeclineSerializer(serializers.Serializer):
    declined_on = serializers.DateField(required=False)


class TeamSerializer(serializers.ModelSerializer):
    rotting_days = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=3650),
        required=False,
        help_text=Team._meta.get_field("rotting_days").help_text,
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "sector",
            "lead",
            "timezone",
            "work_week",
            "holiday_country",
            "rotting_days",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["lead", "created_at", "updated_at"]


class MeTeamSerializer(serializers.ModelSerializer):
    sector = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "sector", "timezone"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField(allow_null=True)
    team = MeTeamSerializer(allow_null=True)
    timezone = serializers.CharField()
    calendar_url = serializers.URLField(allow_null=True)
    calendar_webcal_url = serializers.CharField(
        allow_null=True, help_text="The same feed as a webcal:// link that opens a calendar app."
    )
    team_calendar_url = serializers.URLField(
        allow_null=True, help_text="For a team's lead: the team feed's https URL."
    )
