"""The event pages' forms: the list's filters, adding or changing an event (times typed in
the user's own time zone), and saying whether one goes.

The forms only parse input; the writes are ``events.services``' (``event_create``,
``event_update``, ``event_attend``), whose ``ValidationError`` the pages put next to the
field it names (``crm.page_tools.put_service_errors``).
"""

from __future__ import annotations

import re
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator

from crm.models import Team
from crm.page_tools import LocalDateTimeField
from events.models import AttendanceStatus, EventKind

MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")
WHEN_CHOICES = (("upcoming", "Upcoming"), ("past", "Past"))


class EventFilterForm(forms.Form):
    """``?when=upcoming|past&kind=…&month=2026-11`` on the list; all optional."""

    when = forms.ChoiceField(choices=WHEN_CHOICES, required=False)
    kind = forms.ChoiceField(
        choices=[("", "All kinds"), *EventKind.choices], required=False, label="Kind"
    )
    month = forms.CharField(
        required=False,
        label="Starting in (month)",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )

    def clean_when(self) -> str:
        return self.cleaned_data["when"] or "upcoming"

    def clean_month(self) -> tuple[int, int] | None:
        raw = self.cleaned_data["month"].strip()
        if not raw:
            return None
        found = MONTH.match(raw)
        if not found or not 1 <= int(found["month"]) <= 12 or int(found["year"]) < 1:
            raise ValidationError("Give a month as YYYY-MM, such as 2026-11.", code="invalid")
        return int(found["year"]), int(found["month"])


class EventForm(forms.Form):
    """An event's fields; an admin also picks its team (none: company-wide)."""

    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=EventKind.choices)
    starts_at = forms.DateTimeField(label="Starts")  # replaced in __init__ (needs the zone)
    ends_at = forms.DateTimeField(label="Ends")
    location = forms.CharField(max_length=200, required=False)
    url = forms.URLField(
        label="Web page", required=False, assume_scheme="https", help_text="https://…"
    )
    cost = forms.DecimalField(
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        initial=Decimal("0.00"),
        validators=[MinValueValidator(0)],
        help_text="What going costs the company (tickets, stand, travel); 0 when free.",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, zone: tzinfo, choose_team: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        hint = f"Your time ({zone})."
        self.fields["starts_at"] = LocalDateTimeField(zone=zone, label="Starts", help_text=hint)
        self.fields["ends_at"] = LocalDateTimeField(zone=zone, label="Ends", help_text=hint)
        if choose_team:
            self.fields["team"] = forms.ModelChoiceField(
                queryset=Team.objects.order_by("name"),
                required=False,
                empty_label="Company-wide (every team)",
                help_text="A team's event is for its members; company-wide is for everyone.",
            )
        self.order_fields(
            ["name", "kind", "team", "starts_at", "ends_at", "location", "url", "cost"]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "An event must end after it starts.")
        return data

    def event_data(self) -> dict[str, Any]:
        """The fields the services take (the team is the page's business)."""
        return {
            name: self.cleaned_data[name]
            for name in ("name", "kind", "starts_at", "ends_at", "location", "url", "cost")
        }


class AttendForm(forms.Form):
    """ "I'm going" (planned), "I went" (attended) or "Not going" (cancelled)."""

    status = forms.ChoiceField(choices=AttendanceStatus.choices)
    next = forms.CharField(required=False)
