"""``python manage.py review --team <id or name> --period 2026-11``: the lead's team review
(``funnel.reports.team_review_report``) as terminal tables, or as JSON for scripts."""

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404

from crm.models import Team
from funnel import review_table
from funnel.reports import team_review_report


def _team(value: str) -> Team:
    """By id, else by exact name ignoring case."""
    is_id = value.isascii() and value.isdigit() and int(value) < 2**63
    team = Team.objects.filter(pk=int(value)).first() if is_id else None
    team = team or Team.objects.filter(name__iexact=value.strip()).first()
    if team is None:
        names = ", ".join(Team.objects.order_by("name").values_list("name", flat=True))
        raise CommandError(f"No team “{value}”. Teams: {names or 'none yet'}.")
    return team


def _user(team: Team, username: str | None):
    """``--as``, else the team's lead, else the first active superuser."""
    users = get_user_model().objects
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user “{username}”.")
        return user
    user = team.lead or users.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError(f"“{team}” has no lead and there is no superuser; give --as <username>.")
    return user


def _messages(error: ValidationError) -> str:
    """As the API words a 400: ``field: message``, fields joined with "; "."""
    fields = error.message_dict if hasattr(error, "error_dict") else {"error": error.messages}
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in fields.items())


class Command(BaseCommand):
    help = "Print a team's review (plan, overage, slippage, scorecard, deals needing attention)."

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True, help="The team's id or exact name.")
        parser.add_argument("--period", help="2026-11, 2026-Q4 or 2026-W47; default this month.")
        parser.add_argument("--start", help="First day (YYYY-MM-DD) of a range, with --end.")
        parser.add_argument("--end", help="Last day (YYYY-MM-DD) of a range, with --start.")
        parser.add_argument("--as", dest="username", help="Run as; default the team's lead.")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, **options):
        team = _team(options["team"])
        user = _user(team, options["username"])
        params = {"team": str(team.pk)} | {
            key: options[key] for key in ("period", "start", "end") if options[key]
        }
        try:
            report = team_review_report(user, params)
        except ValidationError as error:
            raise CommandError(_messages(error)) from error
        except Http404 as error:
            raise CommandError(f"{user} may not see the team “{team}” ({error}).") from error
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(report, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
            )
        else:
            self.stdout.write(review_table.render(report), ending="")
