"""Seed the sectors and benchmarks of SPEC section 3.12 (editable afterwards in admin)."""

from decimal import Decimal

from django.db import migrations

SECTORS = [
    ("b2b", "B2B"),
    ("consumer_goods", "Everyday consumer goods"),
    ("consulting", "Consulting"),
]
BENCHMARKS = [
    ("b2b", "meetings_per_day", Decimal("1"), Decimal("2"), "B2B: 1–2 meetings a day is good"),
    (
        "consumer_goods",
        "meetings_per_day",
        Decimal("20"),
        None,
        "everyday goods: 20 meetings a day is excellent",
    ),
    (
        "consulting",
        "lead_to_contract",
        Decimal("0.10"),
        None,
        "consulting: 1 contract per 10 potential customers",
    ),
]


def seed(apps, schema_editor):
    Sector = apps.get_model("funnel", "Sector")
    Benchmark = apps.get_model("funnel", "Benchmark")
    sectors = {}
    for code, name in SECTORS:
        sectors[code], _ = Sector.objects.get_or_create(code=code, defaults={"name": name})
    for code, metric, low, high, note in BENCHMARKS:
        Benchmark.objects.update_or_create(
            sector=sectors[code], metric=metric, defaults={"low": low, "high": high, "note": note}
        )


def unseed(apps, schema_editor):
    Sector = apps.get_model("funnel", "Sector")
    Sector.objects.filter(code__in=[code for code, _ in SECTORS], teams__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("funnel", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
