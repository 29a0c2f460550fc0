"""API shapes of sectors, benchmarks, plans and reviews."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from crm.selectors import visible_users
from funnel.models import Benchmark, PerformanceReview, Plan, PlanMetric, Sector

User = get_user_model()


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["id", "code", "name", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class BenchmarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Benchmark
        fields = ["id", "sector", "metric", "low", "high", "note", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        low = attrs.get("low", getattr(self.instance, "low", None))
        high = attrs.get("high", getattr(self.instance, "high", None))
        if low is not None and high is not None and high < low:
            raise serializers.ValidationError(
                {"high": ["The upper bound cannot be below the lower bound."]}
            )
        return attrs


class _TeamMemberField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        return visible_users(request.user) if request else User.objects.none()


class PlanSerializer(serializers.ModelSerializer):
    manager = _TeamMemberField()
    revenue = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )

    class Meta:
        model = Plan
        fields = ["id", "manager", "start", "end", *PlanMetric.values, "set_by", "updated_at"]
        read_only_fields = ["set_by", "updated_at"]
        # The column's range on every database: SQLite would store more, PostgreSQL refuse it.
        extra_kwargs = {
            metric: {"min_value": 0, "max_value": 2**31 - 1}
            for metric in PlanMetric.values
            if metric != PlanMetric.REVENUE
        }

    def validate(self, attrs):
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end": ["The plan must end on or after its start."]})
        if self.instance is not None and "manager" in self.initial_data:
            if attrs["manager"].pk != self.instance.manager_id:
                raise serializers.ValidationError({"manager": ["A plan's manager cannot change."]})
            attrs.pop("manager")
        return attrs


class ReviewSerializer(serializers.ModelSerializer):
    manager = _TeamMemberField()

    class Meta:
        model = PerformanceReview
        fields = [
            "id",
            "manager",
            "author",
            "period_start",
            "period_end",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["author", "created_at", "updated_at"]

    def validate(self, attrs):
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"period_end": ["The period must end on or after its start."]}
            )
        return attrs
