"""Time the calendar feed of a busy manager over HTTP on PostgreSQL.

A consumer-goods account manager holds about 20 meetings a working day: a year of them is
about 5,000 meetings. The script gives the benchmark database such a manager once
(``bench-feed-busy``: a team of its own, 500 prospects with a decision maker each, 5,000
meetings over the year before ``--today`` plus two weeks of planned ones, 20 events), then
serves the application on a free local port and asks for the feed over a keep-alive HTTP
connection: the default window (90 days back, 365 ahead), the whole year (``past=366``),
and a month: built from nothing (every cache emptied before each request), the first
poll after a change (one meeting edited through the services before each request, so
the feed is built again but only that meeting's lines are written again), polled again
unchanged (the body from the cache), and polled with ``If-None-Match`` (the 304 a calendar
client gets). It prints the median of ``--runs`` requests, the query count, the size, the
number of VEVENTs, and the peak Python memory of one request (tracemalloc), which grows
with the window, not with the history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/funnelbook_bench python bench/feed.py

The busy manager's rows go through the same caches as the services' writes (activity
cache, day rows). ``bench/generate.py --reset`` removes them with the rest of the bench
users (their e-mail is ``…@bench.funnelbook.example``).
"""

from __future__ import annotations

import argparse
import http.client
import random
import socket
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.reports import QUERIES_HEADER, postgres_url, serving, setup_django  # noqa: E402

USERNAME = "bench-feed-busy"
EMAIL_DOMAIN = "bench.funnelbook.example"
MEETINGS = 5000
PLANNED_DAYS = 14
PROSPECTS = 500
EVENTS = 20
TARGET_MS = 200


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed requests per case (median)")
    parser.add_argument("--today", type=date.fromisoformat, default=datetime.now(UTC).date())
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    return args


def busy_manager(today: date):
    """The busy manager, made once: ~20 meetings on each working day of the year before
    ``today`` (held, cancelled or no-show, 84 : 6 : 6), then two weeks of planned ones."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from crm import services
    from crm.models import Contact, Meeting, MeetingStatus, Prospect, StageChange
    from events.models import AttendanceStatus, Event, EventAttendance, EventKind
    from funnel.models import Sector

    existing = get_user_model().objects.filter(username=USERNAME).first()
    if existing is not None:
        return existing
    rng = random.Random(7)
    with transaction.atomic():
        team = services.team_create(
            name="Bench feed: consumer goods",
            sector=Sector.objects.get(code="consumer_goods"),
            timezone_name="Europe/Warsaw",
            holiday_country="PL",
        )
        user = services.user_create(
            username=USERNAME,
            team=team,
            password="bench",
            email=f"{USERNAME}@{EMAIL_DOMAIN}",
            first_name="Busy",
            last_name="Seller",
        )
        start = datetime.combine(today - timedelta(days=365), datetime.min.time(), UTC)
        prospects = Prospect.objects.bulk_create(
            Prospect(
                owner=user,
                name=f"Shop {n:03d}",
                stage="meeting",
                furthest_stage="meeting",
                created_at=start,
            )
            for n in range(PROSPECTS)
        )
        StageChange.objects.bulk_create(
            StageChange(prospect=p, owner=user, from_stage="", to_stage="meeting", changed_at=start)
            for p in prospects
        )
        contacts = Contact.objects.bulk_create(
            Contact(
                prospect=prospect,
                name=f"{role} of {prospect.name}",
                title=role,
                email=f"{role.lower()}{prospect.pk}@shop.example",
                is_decision_maker=role == "Owner",
            )
            for prospect in prospects
            for role in ("Owner", "Buyer")
        )
        # Working days (Mon-Fri) of the year, 20 meetings of 20 minutes from 08:00 UTC.
        days = [
            today - timedelta(days=back)
            for back in range(365, 0, -1)
            if (today - timedelta(days=back)).weekday() < 5
        ]
        slots = [(day, n) for day in days for n in range(20)][-MEETINGS:]
        upcoming = [
            (today + timedelta(days=ahead), n)
            for ahead in range(PLANNED_DAYS)
            if (today + timedelta(days=ahead)).weekday() < 5
            for n in range(20)
        ]
        statuses = [MeetingStatus.HELD] * 84 + [MeetingStatus.CANCELLED] * 6
        statuses += [MeetingStatus.NO_SHOW] * 6
        meetings = []
        for (day, n), past in [(s, True) for s in slots] + [(s, False) for s in upcoming]:
            starts = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                hours=6, minutes=25 * n
            )
            prospect = prospects[rng.randrange(PROSPECTS)]
            status = rng.choice(statuses) if past else MeetingStatus.PLANNED
            meetings.append(
                Meeting(
                    manager=user,
                    prospect=prospect,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=20),
                    location=f"{prospect.name}, ul. Długa {n + 1}, Warszawa",
                    status=status,
                    decision_maker_present=status == MeetingStatus.HELD and n % 3 == 0,
                    notes="Shelf space and the spring promotion; bring the new price list.",
                    sequence=int(status == MeetingStatus.CANCELLED),
                )
            )
        meetings = Meeting.objects.bulk_create(meetings, batch_size=2000)
        by_prospect = {}
        for contact in contacts:
            by_prospect.setdefault(contact.prospect_id, []).append(contact)
        Meeting.attendees.through.objects.bulk_create(
            (
                Meeting.attendees.through(meeting_id=m.pk, contact_id=c.pk)
                for m in meetings
                for c in by_prospect[m.prospect_id][: 1 + m.pk % 2]
            ),
            batch_size=5000,
        )
        events = Event.objects.bulk_create(
            Event(
                name=f"Retail fair {n + 1}",
                kind=EventKind.EXHIBITION,
                starts_at=datetime.combine(today, datetime.min.time(), UTC)
                + timedelta(days=-300 + 30 * n, hours=7),
                ends_at=datetime.combine(today, datetime.min.time(), UTC)
                + timedelta(days=-300 + 30 * n, hours=15),
                location="Expo XXI, Warszawa",
                team=team,
                created_by=user,
            )
            for n in range(EVENTS)
        )
        EventAttendance.objects.bulk_create(
            EventAttendance(
                event=event,
                manager=user,
                status=AttendanceStatus.ATTENDED
                if event.starts_at.date() < today
                else AttendanceStatus.PLANNED,
            )
            for event in events
        )
        services.prospect_activity_refresh(prospect_ids=[p.pk for p in prospects])
        services.activity_days_refresh(manager_ids=[user.pk])
    # Fresh statistics for the planner and a visibility map for index-only scans, as
    # autovacuum would leave them after such a load (and as bench/generate.py does).
    with connection.cursor() as cursor:
        for model in (Prospect, Contact, Meeting, Meeting.attendees.through, EventAttendance):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
    return user


def get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]):
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    ms = (time.perf_counter() - started) * 1000
    return response, body, ms


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url()
    setup_django()
    from django.core.cache import cache

    from crm import services
    from crm.models import Meeting, Profile
    from events.ics import forget_written

    print(f"Preparing {USERNAME} (once) …", flush=True)
    user = busy_manager(args.today)
    token = Profile.objects.get(user=user).calendar_token
    feed = f"/calendar/{token}.ics"
    cases = [
        ("a month (past=30, ahead=0): built from nothing", f"{feed}?past=30&ahead=0", "cold"),
        ("default window (90 back, 365 ahead): built from nothing", feed, "cold"),
        ("default window: first poll after a change", feed, "changed"),
        ("default window: polled, unchanged (from the cache)", feed, "cached"),
        ("default window: polled with If-None-Match (304)", feed, "conditional"),
        ("the whole year (past=366): built from nothing", f"{feed}?past=366", "cold"),
        ("the whole year: first poll after a change", f"{feed}?past=366", "changed"),
        ("the whole year: polled, unchanged (from the cache)", f"{feed}?past=366", "cached"),
        ("the whole year: polled with If-None-Match (304)", f"{feed}?past=366", "conditional"),
    ]
    # The meeting a "change" edits: the manager's next planned one, through the services.
    changing = Meeting.objects.filter(manager=user, status="planned").order_by("starts_at")[0]
    rows = []
    failed = False
    with serving() as (host, port):
        connection = http.client.HTTPConnection(host, port, timeout=120)
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for label, path, mode in cases:
            cache.clear()
            response, body, _ = get(connection, path, {})  # warm-up, and fills the caches
            if response.status != 200:
                print(f"{label}: {response.status} {body[:200]!r}", file=sys.stderr)
                return 1
            headers = {"If-None-Match": response.getheader("ETag")} if mode == "conditional" else {}
            events = body.count(b"BEGIN:VEVENT")
            times = []
            for run in range(args.runs + 1):  # the last one is measured for memory
                if mode == "cold":
                    # The server thread shares this process's caches: the built feeds and
                    # the written events, lines and zones.
                    cache.clear()
                    forget_written()
                elif mode == "changed":
                    services.meeting_update(
                        meeting=changing, data={"notes": f"Bring the price list ({run})."}
                    )
                if len(times) == args.runs:
                    tracemalloc.start()
                response, body, ms = get(connection, path, headers)
                times.append(ms)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            status, queries = response.status, int(response.getheader(QUERIES_HEADER, "-1"))
            median = statistics.median(times[: args.runs])
            verdict = "met" if median < TARGET_MS else "MISSED"
            failed |= median >= TARGET_MS
            rows.append((label, status, events, len(body), median, queries, peak, verdict))
        connection.close()

    print(
        f"\nMedian of {args.runs} requests after a warm-up, over HTTP on 127.0.0.1 "
        f"(PostgreSQL); target < {TARGET_MS} ms.\n"
    )
    print("| request | status | VEVENTs | bytes | median ms | queries | peak memory | target |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for label, status, events, size, median, queries, peak, verdict in rows:
        print(
            f"| {label} | {status} | {events:,} | {size:,} | {median:,.1f} | {queries} "
            f"| {peak / 2**20:,.1f} MiB | {verdict} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
