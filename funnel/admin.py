"""Admin for sectors, benchmarks, plans and reviews."""

from django.contrib import admin

from crm.service_admin import ServiceModelAdmin
from funnel import services
from funnel.models import Benchmark, PerformanceReview, Plan, PlanMetric, Sector


class BenchmarkInline(admin.TabularInline):
    model = Benchmark
    extra = 0
    fields = ["metric", "low", "high", "note"]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [BenchmarkInline]


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ["sector", "metric", "low", "high", "note"]
    list_filter = ["sector", "metric"]


@admin.register(Plan)
class PlanAdmin(ServiceModelAdmin):
    list_display = ["manager", "start", "end", *PlanMetric.values]
    list_filter = ["manager__profile__team"]
    list_select_related = ["manager"]
    date_hierarchy = "start"
    readonly_fields = ["set_by", "created_at", "updated_at"]

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.plan_create(
            manager=data["manager"],
            start=data["start"],
            end=data["end"],
            by=request.user,
            targets={m: data[m] for m in PlanMetric.values if data.get(m) is not None},
        )

    def update(self, request, obj, form):
        services.plan_update(
            plan=Plan.objects.get(pk=obj.pk),
            by=request.user,
            data=self.changed(form, services.PLAN_EDITABLE),
        )


@admin.register(PerformanceReview)
class PerformanceReviewAdmin(ServiceModelAdmin):
    list_display = ["manager", "period_start", "period_end", "author", "updated_at"]
    list_select_related = ["manager", "author"]
    readonly_fields = ["author", "created_at", "updated_at"]

    def create(self, request, obj, form):
        data = form.cleaned_data
        return services.review_save(
            manager=data["manager"],
            author=request.user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            notes=data["notes"],
        )

    def update(self, request, obj, form):
        self.create(request, obj, form)
