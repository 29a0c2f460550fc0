"""API shapes of events."""

from rest_framework import serializers

from crm.models import Team
from crm.rest import AwareDateTimeField
from events.models import AttendanceStatus, Event


class EventSerializer(serializers.ModelSerializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    cost = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="Empty: a company-wide event (admins only). Defaults to the caller's team.",
    )
    attending = serializers.IntegerField(read_only=True, help_text="managers going or gone")

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "kind",
            "starts_at",
            "ends_at",
            "location",
            "url",
            "cost",
            "team",
            "created_by",
            "sequence",
            "attending",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "sequence", "created_at", "updated_at"]

    def validate(self, attrs):
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts and ends and ends <= starts:
            raise serializers.ValidationError({"ends_at": ["An event must end after it starts."]})
        if self.instance is not None and "team" in self.initial_data:
            raise serializers.ValidationError({"team": ["An event's team cannot be changed."]})
        return attrs


class AttendSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
