"""Load the scale data set for the report benchmarks into a PostgreSQL database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/funnelbook_bench \\
        python bench/generate.py --managers 1000 --prospects 200000 --calls 2000000 \\
        --meetings 600000 --seed 1

Creates the database when it is missing, migrates it, refuses to run over domain rows
unless ``--reset`` is given, then simulates and loads everything (``bench.scale``) and
prints the rows and seconds per table. Run it from anywhere: it sets up Django itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Generate the Funnelbook benchmark data set into PostgreSQL (DATABASE_URL)."
    )
    parser.add_argument("--managers", type=int, default=1_000)
    parser.add_argument("--prospects", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=2_000_000)
    parser.add_argument("--meetings", type=int, default=600_000)
    parser.add_argument("--teams", type=int, help="default: one per ~33 managers, 3 to 30")
    parser.add_argument("--events", type=int, help="default: 0.3 per manager, at least 6")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        help="the day the history leads up to, YYYY-MM-DD (default: today)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="empty the domain tables first (keeps sectors)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--no-check", action="store_true", help="skip the consistency checks")
    return parser.parse_args(argv)


def postgres_url() -> str:
    """DATABASE_URL when it names a PostgreSQL database; exits otherwise."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    engine = dj_database_url.parse(url)["ENGINE"] if url else ""
    if "postgresql" not in engine and "postgis" not in engine:
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. "
            "postgres://postgres@127.0.0.1:5432/funnelbook_bench (the data is loaded with COPY)."
        )
    return url


def create_database_if_missing(url: str) -> None:
    """Connect to the server's `postgres` database and CREATE the target one if needed."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    name = config["NAME"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


def setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = postgres_url()
    create_database_if_missing(url)
    setup_django()
    # After django.setup(): these import the models.
    from django.core.management import call_command
    from django.utils import timezone

    from bench.scale import DatabaseNotEmptyError, Sizes, build

    try:
        sizes = Sizes(
            managers=args.managers,
            prospects=args.prospects,
            calls=args.calls,
            meetings=args.meetings,
            teams=args.teams,
            events=args.events,
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    call_command("migrate", interactive=False, verbosity=1)
    today = args.today or timezone.localdate()
    try:
        report = build(
            sizes=sizes,
            seed=args.seed,
            today=today,
            reset_first=args.reset,
            progress=not args.no_progress,
            check=not args.no_check,
        )
    except DatabaseNotEmptyError as error:
        print(error, file=sys.stderr)
        return 1
    print()
    print(f"Loaded seed {args.seed}, history up to {today}:")
    print(report.as_text())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
