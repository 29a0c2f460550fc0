"""Quick logging from any page: a call, a meeting (planned or already held) or a referral
asked, in a few clicks, posted from the shared partial ``crm/includes/quick_log.html``.

The forms parse the input (times typed in the user's own time zone); the writes are the
services' (``call_log``, ``meeting_plan`` + ``meeting_hold``, ``referral_ask``), whose
``ValidationError`` becomes an error next to the field. A record's manager is the owner of
its prospect: the caller for a manager, one of their team for a lead (the API's rule that
a lead may log for the team), anyone's for an admin; a call without a prospect is the
caller's own. Who wrote it (``by``) is always the caller.

Bad input is a 400 re-rendering the form (``crm/log_form.html``) with its errors and the
input kept, nothing written; a prospect the caller may not see is a 404, as everywhere.
Success redirects to ``next`` (a local URL; default the home) with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta, tzinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import services
from crm.models import CallOutcome, MeetingStatus, Prospect, Stage
from crm.page_tools import (
    LOCAL_MINUTE,
    LocalDateTimeField,
    local_next,
    put_service_errors,
    user_zone,
)
from crm.selectors import visible_prospects

MAX_CALL_MINUTES = 600
MAX_MEETING_MINUTES = 24 * 60
# A referral is asked of a client, mostly a signed one; calls and meetings are for deals
# still open.
LOGGABLE_STAGES = {
    "call": tuple(Stage.open_stages()),
    "meeting": tuple(Stage.open_stages()),
    "referral": (*Stage.open_stages(), Stage.CONTRACT),
}
# A service's field name → the form field the error belongs next to.
SERVICE_FIELDS = {
    "duration": "duration_minutes",
    "ends_at": "duration_minutes",
    "at": "at",
    "starts_at": "starts_at",
    "status": "status",
    "prospect": "prospect",
    "from_prospect": "from_prospect",
    "asked_on": "asked_on",
    "notes": "notes",
    "location": "location",
    "outcome": "outcome",
}


def loggable_prospects(user: AbstractBaseUser, kind: str) -> QuerySet[Prospect]:
    """The prospects the user may log a ``kind`` (call, meeting, referral) for: visible to
    them and open (for a referral also signed), by name."""
    return (
        visible_prospects(user)
        .filter(stage__in=LOGGABLE_STAGES[kind])
        .select_related("owner")
        .order_by("name", "pk")
    )


# --- fields ----------------------------------------------------------------------------------


class ProspectField(forms.ModelChoiceField):
    """A prospect chooser; a lead or admin also sees whose prospect it is."""

    def __init__(self, *, user: AbstractBaseUser, **kwargs: Any) -> None:
        self.user_id = user.pk
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Prospect) -> str:
        if obj.owner_id == self.user_id:
            return obj.name
        return f"{obj.name} ({obj.owner.get_username()})"


def _now_minute(zone: tzinfo) -> str:
    """Now, to the minute, as a datetime-local value in the zone."""
    return timezone.localtime(timezone.now(), zone).strftime(LOCAL_MINUTE)


# --- forms -----------------------------------------------------------------------------------


class QuickLogForm(forms.Form):
    """What the three forms share: the user, their zone, the prospect chooser, ``next``."""

    kind = ""
    prospect_field = "prospect"
    prospect_required = True
    prospect_label = "Prospect"

    notes = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser,
        prospect: Prospect | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", f"log-{self.kind}-%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.zone = user_zone(user)
        self.prospect = prospect
        field = ProspectField(
            user=user,
            queryset=loggable_prospects(user, self.kind),
            required=self.prospect_required,
            label=self.prospect_label,
            empty_label="— none —" if not self.prospect_required else "— choose —",
        )
        if prospect is not None:
            field.widget = forms.HiddenInput()
            field.initial = prospect.pk
        self.fields = {self.prospect_field: field, **self.fields}
        self.add_zoned_fields()
        self.order_fields(self.field_order_names)

    field_order_names: tuple[str, ...] = ()

    def add_zoned_fields(self) -> None:
        """Fields whose default or parsing depends on the user's zone."""

    @property
    def action(self) -> str:
        return reverse(f"log-{self.kind}")

    def chosen_prospect(self) -> Prospect | None:
        return self.cleaned_data.get(self.prospect_field)

    def describe_errors(self) -> None:
        """Point each control with an error at its message (includes/field.html
        gives the message the id ``<control id>-error``)."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def add_service_error(self, error: ValidationError) -> None:
        """A service's ValidationError as errors next to the fields they name."""
        put_service_errors(self, error, aliases=SERVICE_FIELDS)


class CallForm(QuickLogForm):
    kind = "call"
    prospect_required = False
    prospect_label = "Prospect (optional)"
    field_order_names = ("prospect", "at", "outcome", "duration_minutes", "notes", "next")

    outcome = forms.ChoiceField(choices=CallOutcome.choices, initial=CallOutcome.TALKED)
    duration_minutes = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_CALL_MINUTES,
        label="Duration (minutes)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def add_zoned_fields(self) -> None:
        self.fields["at"] = LocalDateTimeField(
            zone=self.zone, label="When", initial=_now_minute(self.zone)
        )


class MeetingForm(QuickLogForm):
    kind = "meeting"
    field_order_names = (
        "prospect",
        "status",
        "starts_at",
        "duration_minutes",
        "decision_maker_present",
        "location",
        "notes",
        "next",
    )

    status = forms.ChoiceField(
        choices=[
            (MeetingStatus.PLANNED, "planned (still to come)"),
            (MeetingStatus.HELD, "held (it took place)"),
        ],
        initial=MeetingStatus.PLANNED,
        widget=forms.RadioSelect,
        label="The meeting is",
    )
    duration_minutes = forms.IntegerField(
        initial=60,
        min_value=1,
        max_value=MAX_MEETING_MINUTES,
        label="Duration (minutes)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    decision_maker_present = forms.BooleanField(
        required=False, label="A decision maker was (or will be) present"
    )
    location = forms.CharField(required=False, max_length=200)

    def add_zoned_fields(self) -> None:
        self.fields["starts_at"] = LocalDateTimeField(
            zone=self.zone, label="Starts", initial=_now_minute(self.zone)
        )


class ReferralForm(QuickLogForm):
    kind = "referral"
    prospect_field = "from_prospect"
    prospect_label = "Client asked"
    field_order_names = ("from_prospect", "asked_on", "notes", "next")

    def add_zoned_fields(self) -> None:
        self.fields["asked_on"] = forms.DateField(
            label="Asked on",
            initial=timezone.localtime(timezone.now(), self.zone).date(),
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )


FORMS: dict[str, type[QuickLogForm]] = {
    "call": CallForm,
    "meeting": MeetingForm,
    "referral": ReferralForm,
}


def log_forms(user: AbstractBaseUser, prospect: Prospect | None = None) -> dict[str, Any]:
    """The context of the partial ``crm/includes/quick_log.html`` (put it in the page's
    context as ``log_forms``): an unbound form per kind, each pre-set to ``prospect`` when
    one is given (the chooser then hidden); a kind the prospect cannot take (a call on a
    lost deal) is None."""
    found: dict[str, Any] = {"prospect": prospect}
    for kind, form_class in FORMS.items():
        allowed = prospect is None or prospect.stage in LOGGABLE_STAGES[kind]
        found[kind] = form_class(user=user, prospect=prospect) if allowed else None
    return found


# --- views -----------------------------------------------------------------------------------


def _next_url(request: HttpRequest, raw: str | None) -> str:
    """``next`` when it is a URL of this site, else the home."""
    return local_next(request, raw, reverse("home"))


def _refuse_hidden_prospect(request: HttpRequest, field: str) -> None:
    """A prospect id the caller may not see (another team's, or none) is a 404, so ids do
    not leak; a visible one that cannot take this log is a form error instead."""
    raw = (request.POST.get(field) or "").strip()
    if raw.isdigit() and not visible_prospects(request.user).filter(pk=int(raw)).exists():
        raise Http404("No such prospect.")


def _log(request: HttpRequest, kind: str, write: Callable[[QuickLogForm], str]) -> HttpResponse:
    form_class = FORMS[kind]
    _refuse_hidden_prospect(request, form_class.prospect_field)
    form = form_class(request.POST, user=request.user)
    if form.is_valid():
        try:
            with transaction.atomic():
                message = write(form)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, message)
            return redirect(_next_url(request, form.cleaned_data.get("next")))
    form.describe_errors()
    back = _next_url(request, request.POST.get("next"))
    return render(
        request,
        "crm/log_form.html",
        {"form": form, "kind": kind, "back": back},
        status=400,
    )


def _manager_for(user: AbstractBaseUser, prospect: Prospect | None) -> AbstractBaseUser:
    return prospect.owner if prospect is not None else user


def _on(prospect: Prospect | None) -> str:
    return f" with {prospect.name}" if prospect is not None else ""


@login_required
@require_POST
def log_call(request: HttpRequest) -> HttpResponse:
    def write(form: QuickLogForm) -> str:
        data, prospect = form.cleaned_data, form.chosen_prospect()
        call = services.call_log(
            manager=_manager_for(request.user, prospect),
            by=request.user,
            prospect=prospect,
            at=data["at"],
            outcome=data["outcome"],
            duration=timedelta(minutes=data["duration_minutes"] or 0),
            notes=data["notes"],
        )
        return f"Call logged{_on(prospect)} ({call.get_outcome_display()})."

    return _log(request, "call", write)


@login_required
@require_POST
def log_meeting(request: HttpRequest) -> HttpResponse:
    def write(form: QuickLogForm) -> str:
        data, prospect = form.cleaned_data, form.chosen_prospect()
        starts_at = data["starts_at"]
        meeting = services.meeting_plan(
            manager=_manager_for(request.user, prospect),
            by=request.user,
            prospect=prospect,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=data["duration_minutes"]),
            location=data["location"],
            notes=data["notes"],
        )
        if data["status"] == MeetingStatus.HELD:
            # Inside the caller's transaction: a meeting that cannot be held (it has not
            # started yet) is not left behind as planned either.
            services.meeting_hold(
                meeting=meeting,
                by=request.user,
                decision_maker_present=data["decision_maker_present"],
            )
            return f"Held meeting{_on(prospect)} logged."
        if data["decision_maker_present"]:
            services.meeting_update(meeting=meeting, data={"decision_maker_present": True})
        return f"Meeting{_on(prospect)} planned."

    return _log(request, "meeting", write)


@login_required
@require_POST
def log_referral(request: HttpRequest) -> HttpResponse:
    def write(form: QuickLogForm) -> str:
        data, prospect = form.cleaned_data, form.chosen_prospect()
        services.referral_ask(
            manager=_manager_for(request.user, prospect),
            by=request.user,
            from_prospect=prospect,
            asked_on=data["asked_on"],
            notes=data["notes"],
        )
        return f"Referral asked of {prospect.name} logged."

    return _log(request, "referral", write)
