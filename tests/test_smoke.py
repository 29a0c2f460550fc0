from decimal import Decimal

from crm.models import Stage, StageChange
from funnel.models import Benchmark
from tests import factories


def test_benchmarks_are_seeded_by_the_data_migration(db):
    # given the migrations only (SPEC section 3.12)
    rows = {
        (b.sector.code, b.metric): (b.low, b.high)
        for b in Benchmark.objects.select_related("sector")
    }
    assert rows[("b2b", "meetings_per_day")] == (1, 2)
    assert rows[("consumer_goods", "meetings_per_day")] == (20, None)
    assert rows[("consulting", "lead_to_contract")] == (Decimal("0.10"), None)


def test_prospect_factory_writes_history(manager):
    p = factories.prospect(manager)
    assert p.stage == Stage.LEAD
    assert StageChange.objects.filter(prospect=p, from_stage="", to_stage=Stage.LEAD).count() == 1
