"""The prospect pages' forms: the list's filters, a new prospect, and the detail page's
actions (move, sign, lose, reopen, close date, contact, and a planned meeting's hold,
cancel, no-show, reschedule). They parse input only; the writes are crm.services'."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import django_filters as filters
from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from crm.models import Prospect, Role, Source, Stage
from crm.page_tools import LocalDateTimeField, user_zone
from crm.quick_log import MAX_MEETING_MINUTES
from crm.selectors import role_of, visible_users

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}
YES_NO = [("yes", "yes"), ("no", "no")]
CLOSE_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _today(user: AbstractBaseUser) -> date:
    return timezone.localtime(timezone.now(), user_zone(user)).date()


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def team_managers(user: AbstractBaseUser) -> QuerySet:
    """The account managers the user may see, by username."""
    return visible_users(user).filter(profile__role=Role.MANAGER).order_by("username")


# --- the list's filters ---------------------------------------------------------------------


class YesNoFilter(filters.ChoiceFilter):
    """yes / no / any over an annotated boolean (``stale``, ``stalled``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", YES_NO)
        kwargs.setdefault("empty_label", "any")
        super().__init__(*args, **kwargs)

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if value in ("", None):
            return queryset
        return queryset.filter(**{self.field_name: value == "yes"})


class CloseMonthField(forms.CharField):
    """A month as 2026-11."""

    def to_python(self, value: Any) -> date | None:
        text = (value or "").strip()
        if not text:
            return None
        found = CLOSE_MONTH.match(text)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValidationError("Give a month such as 2026-11.", code="invalid")
        return date(int(found.group(1)), int(found.group(2)), 1)


class CloseMonthFilter(filters.Filter):
    field_class = CloseMonthField

    def filter(self, queryset: QuerySet, value: date | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(
            expected_close_date__year=value.year, expected_close_date__month=value.month
        )


class ProspectListFilter(filters.FilterSet):
    """The prospect list's filters (GET). The queryset carries ``stale`` and ``stalled``
    (funnel.selectors.with_attention_flags). A bad value is a form error, the page a 400."""

    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    stage = filters.ChoiceFilter(choices=Stage.choices, empty_label="any stage")
    source = filters.ChoiceFilter(choices=Source.choices, empty_label="any source")
    close_month = CloseMonthFilter(label="Close month")
    owner = filters.ModelChoiceFilter(queryset=None, empty_label="anyone", label="Owner")
    stale = YesNoFilter(label="Stale")
    stalled = YesNoFilter(label="Stalled, no decision maker")

    class Meta:
        model = Prospect
        fields: list[str] = []

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if role_of(user) in (Role.LEAD, Role.ADMIN):
            self.filters["owner"].queryset = team_managers(user)
        else:
            del self.filters["owner"]
        self.form.fields["close_month"].widget = forms.TextInput(
            attrs={"placeholder": "2026-11", "inputmode": "numeric", "pattern": r"\d{4}-\d{2}"}
        )


# --- a new prospect -------------------------------------------------------------------------


class ProspectCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    stage = forms.ChoiceField(
        choices=[(stage, Stage(stage).label) for stage in Stage.open_stages()],
        initial=Stage.LEAD,
        label="Starts in stage",
    )
    source = forms.ChoiceField(
        choices=[(value, label) for value, label in Source.choices if value != Source.EVENT],
        initial=Source.OTHER,
        help_text="A prospect met at an event is added from the event's page.",
    )
    expected_value = forms.DecimalField(required=False, label="Expected value", **MONEY)
    expected_close_date = forms.DateField(
        required=False, label="Expected close date", widget=_date_input()
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if role_of(user) in (Role.LEAD, Role.ADMIN):
            self.fields["owner"].queryset = team_managers(user)
            self.fields["owner"].required = True
            self.fields["owner"].empty_label = "— choose —"
        else:
            del self.fields["owner"]

    def chosen_owner(self) -> AbstractBaseUser:
        return self.cleaned_data.get("owner") or self.user


# --- the detail page's actions ----------------------------------------------------------------


class ActionForm(forms.Form):
    """An action on the detail page; ``action`` names it (the URL and the ids)."""

    action = ""

    def __init__(self, *args: Any, prospect: Prospect, user: AbstractBaseUser, **kwargs: Any):
        kwargs.setdefault("auto_id", f"{self.action}-%s")
        super().__init__(*args, **kwargs)
        self.prospect = prospect
        self.user = user
        self.setup()

    def setup(self) -> None:
        """Fields that depend on the prospect or the user."""


class MoveForm(ActionForm):
    action = "move"
    stage = forms.ChoiceField(label="Move to stage")

    def setup(self) -> None:
        self.fields["stage"].choices = [
            (stage, Stage(stage).label)
            for stage in Stage.open_stages()
            if stage != self.prospect.stage
        ]


class SignForm(ActionForm):
    action = "sign"
    contract_value = forms.DecimalField(label="Contract value", **MONEY)
    signed_on = forms.DateField(label="Signed on", widget=_date_input())

    def setup(self) -> None:
        self.fields["signed_on"].initial = _today(self.user)
        if self.prospect.expected_value is not None:
            self.fields["contract_value"].initial = self.prospect.expected_value


class LoseForm(ActionForm):
    action = "lose"
    reason = forms.CharField(max_length=300, label="Why was it lost?")
    revisit_on = forms.DateField(
        required=False,
        label="Revisit on (optional)",
        widget=_date_input(),
        help_text="A day to look at it again.",
    )


class ReopenForm(ActionForm):
    action = "reopen"


class CloseDateForm(ActionForm):
    action = "close-date"
    expected_close_date = forms.DateField(label="Expected close date", widget=_date_input())

    def setup(self) -> None:
        self.fields["expected_close_date"].initial = self.prospect.expected_close_date


class ContactForm(ActionForm):
    action = "contact"
    name = forms.CharField(max_length=200)
    title = forms.CharField(max_length=120, required=False, label="Job title")
    email = forms.EmailField(required=False, label="E-mail")
    phone = forms.CharField(max_length=40, required=False)
    is_decision_maker = forms.BooleanField(required=False, label="Decision maker")


class HoldForm(ActionForm):
    action = "hold"
    decision_maker_present = forms.BooleanField(required=False, label="A decision maker was there")


class MeetingStatusForm(ActionForm):
    """Cancel or no-show: nothing to fill in."""

    action = "meeting-status"


class RescheduleForm(ActionForm):
    action = "reschedule"
    duration_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_MEETING_MINUTES, label="Duration (minutes)", initial=60
    )

    def setup(self) -> None:
        self.fields = {
            "starts_at": LocalDateTimeField(zone=user_zone(self.user), label="New start"),
            **self.fields,
        }


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.action: form
    for form in (MoveForm, SignForm, LoseForm, ReopenForm, CloseDateForm, ContactForm)
}
