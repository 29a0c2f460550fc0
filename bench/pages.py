"""Time the lead's team review page with its charts, cold and warm, on the demo data.

    python manage.py demo --no-serve          # once: the demo company (same DATABASE_URL)
    python bench/pages.py [--runs 7] [--period 2026-11] [--username lead-b2b]

Seeds nothing: it needs a database holding the demo (``python manage.py demo --no-serve``,
with the same ``DATABASE_URL`` or the default SQLite file) and signs in as ``lead-b2b``
(password ``demo``) with Django's test Client, in this process (no server, no network).
Signing in writes one session row, deleted again at the end.

Each run fetches the team review (``/review/``, the lead's team, ``--period`` or this
month) and then every chart image the page references (the ``<img src>`` of its HTML),
and times them: the page alone, the charts together, and the page plus its charts.
``cold``: the cache is emptied before each run, so every chart is drawn; ``warm``: the
same requests once more right after, the charts served from the cache. Prints the
median over ``--runs`` runs of each, in milliseconds, and the page's SQL query count
(the same whatever the team's size: see tests/funnel/test_review_pages.py).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--username", default="lead-b2b")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--period", default="", help="2026-11, 2026-Q4…; default this month")
    parser.add_argument("--team", default="", help="a team id; default the lead's own")
    return parser.parse_args()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def main() -> int:
    args = _parse()
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # lets the test Client's "testserver" host in
    client = Client()
    if not client.login(username=args.username, password=args.password):
        print(f"Cannot sign in as {args.username}: run `python manage.py demo --no-serve`.")
        return 1
    query = {k: v for k, v in (("team", args.team), ("period", args.period)) if v}
    url = "/review/"

    def page() -> tuple[float, str, int]:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            answer = client.get(url, query)
            took = time.perf_counter() - start
        if answer.status_code != 200:
            raise SystemExit(f"{url} answered {answer.status_code}")
        return took, answer.content.decode(), len(queries)

    def charts(html: str) -> tuple[float, list[tuple[str, float]]]:
        each = []
        for src in re.findall(r'<img [^>]*src="([^"]+)"', html):
            src = unescape(src)
            start = time.perf_counter()
            answer = client.get(src)
            took = time.perf_counter() - start
            if answer.status_code != 200:
                raise SystemExit(f"{src} answered {answer.status_code}")
            each.append((src, took))
        return sum(t for _, t in each), each

    measures: dict[str, dict[str, list[float]]] = {
        kind: {"page": [], "charts": [], "total": []} for kind in ("cold", "warm")
    }
    per_chart: dict[str, dict[str, list[float]]] = {}
    query_counts = set()
    try:
        for _ in range(args.runs):
            cache.clear()
            for kind in ("cold", "warm"):
                took, html, count = page()
                query_counts.add(count)
                total, each = charts(html)
                measures[kind]["page"].append(took)
                measures[kind]["charts"].append(total)
                measures[kind]["total"].append(took + total)
                for src, spent in each:
                    name = src.split("?")[0].rsplit("/", 1)[-1]
                    # without the data generation (``v``), which changes as the cache does
                    query_part = src.split("?")[1] if "?" in src else ""
                    scope = "&".join(p for p in query_part.split("&") if not p.startswith("v="))
                    per_chart.setdefault(f"{name} {scope}", {"cold": [], "warm": []})[kind].append(
                        spent
                    )
    finally:
        client.logout()

    images = len(per_chart)
    print(
        f"Team review {url}?{'&'.join(f'{k}={v}' for k, v in query.items())} as "
        f"{args.username}: median of {args.runs} runs, ms"
    )
    print()
    print(f"| {'measure':<44} | {'cold':>8} | {'warm':>8} |")
    print(f"| {'-' * 44} | {'-' * 8}:| {'-' * 8}:|")
    labels = {
        "page": "page HTML",
        "charts": f"its {images} chart images, one after another",
        "total": "page + charts",
    }
    for key, label in labels.items():
        cold = statistics.median(measures["cold"][key])
        warm = statistics.median(measures["warm"][key])
        print(f"| {label:<44} | {_ms(cold)} | {_ms(warm)} |")
    for name, times in sorted(per_chart.items()):
        cold, warm = statistics.median(times["cold"]), statistics.median(times["warm"])
        print(f"|   {name[:42]:<42} | {_ms(cold)} | {_ms(warm)} |")
    print()
    print(f"SQL queries of the page request: {', '.join(map(str, sorted(query_counts)))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
