"""``python manage.py demo``: migrate, seed the demo company, print the logins, serve."""

from datetime import date

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm.demo import NonDemoDataError, build_demo

MIN_MANAGERS = 5  # the documented logins run to b2b-5, goods-5, consulting-5


class Command(BaseCommand):
    help = (
        "Migrate, seed a demo company (three teams, months of history), print the logins "
        "(password “demo”) and serve the app on http://127.0.0.1:8000/. Refuses to run over "
        "a database holding data that is not the demo's; re-seeds an existing demo."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Seed only; do not serve.")
        parser.add_argument("--seed", type=int, default=7, help="Same seed and day, same data.")
        parser.add_argument("--managers", type=int, default=MIN_MANAGERS, help="Per team.")
        parser.add_argument("--months", type=int, default=6, help="Full months of history.")
        parser.add_argument(
            "--today", type=date.fromisoformat, help="Seed as if today were this ISO date."
        )

    def handle(self, *args, **options):
        if options["managers"] < MIN_MANAGERS:
            raise CommandError(f"--managers must be at least {MIN_MANAGERS} (b2b-1…b2b-5, …).")
        if options["months"] < 0:
            raise CommandError("--months cannot be negative.")
        call_command("migrate", interactive=False, verbosity=max(options["verbosity"] - 1, 0))
        try:
            summary = build_demo(
                seed=options["seed"],
                today=options["today"] or timezone.localdate(),
                managers_per_team=options["managers"],
                months=options["months"],
                progress=options["verbosity"] > 0,
                stdout=self.stdout,
            )
        except NonDemoDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.as_text())
        if not options["no_serve"]:
            call_command("runserver", "127.0.0.1:8000", use_reloader=False)
