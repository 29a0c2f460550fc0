"""Time zones by name, kept for the life of the process."""

import functools
from zoneinfo import ZoneInfo


@functools.cache
def named_zone(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``, kept once made (a bad name raises, as ZoneInfo does).

    zoneinfo itself holds only the 8 zones used last; the others it keeps weakly, so a
    company with teams in more zones than that read each zone file again on nearly every
    call (about 40 µs instead of 0.5 here), thousands of times in a company scorecard.
    There are a few hundred zone names, so the cache stays small."""
    return ZoneInfo(name)
