"""Zones by name are made once per process and kept, however many a company uses."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from crm.zones import named_zone

# More zones than the 8 zoneinfo keeps on its own.
ZONES = (
    "Europe/Berlin",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Nairobi",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Europe/London",
    "Pacific/Auckland",
    "America/New_York",
)


def test_each_zone_is_made_once_and_kept():
    first = [named_zone(name) for name in ZONES]
    for _ in range(3):
        for name in ZONES:
            ZoneInfo(name)  # churn zoneinfo's own small cache

    assert [named_zone(name) for name in ZONES] == first
    assert all(named_zone(name) is zone for name, zone in zip(ZONES, first, strict=True))
    assert [zone.key for zone in first] == list(ZONES)


@pytest.mark.parametrize(
    ("name", "error"), [("Mars/Olympus", ZoneInfoNotFoundError), ("", ValueError)]
)
def test_an_unknown_zone_is_refused_as_zoneinfo_does(name, error):
    with pytest.raises(error):
        named_zone(name)
