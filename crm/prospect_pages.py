"""The prospect pages: the list with its filters, a new prospect, and the detail page with
the whole history and the actions (SPEC section 4, "prospect list and detail with history").

Who sees what is the API's rule (crm.selectors.visible_prospects): a manager their own
prospects, a lead their team's, an admin everyone's; any other id is a 404. Whoever may see
a prospect may act on it, as in the API. Reads come from selectors, writes from
crm.services; a refused write re-renders the page with the error next to the field (400),
nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, F, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crm import services
from crm.models import Meeting, MeetingStatus, Prospect, Role, Stage
from crm.page_tools import put_service_errors, user_zone
from crm.prospect_forms import (
    ACTION_FORMS,
    ActionForm,
    HoldForm,
    MeetingStatusForm,
    ProspectCreateForm,
    ProspectListFilter,
    RescheduleForm,
)
from crm.quick_log import log_forms
from crm.selectors import prospect_timeline, role_of, visible_meetings, visible_prospects
from funnel.selectors import resolve_scope, with_attention_flags

PAGE_SIZE = 50
# A service's field → the form field its error is shown next to.
ALIASES = {"source_event": "source", "lost_on": "reason", "ends_at": "duration_minutes"}


def now():
    """The clock of the stale flag (tests replace it)."""
    return timezone.now()


def _flagged(request: HttpRequest):
    """The caller's prospects with the stale / stalled / unreliable flags of the team
    review (same definitions, funnel.selectors.with_attention_flags)."""
    scope = resolve_scope(request.user)
    return with_attention_flags(visible_prospects(request.user), scope, now=now())


# --- the list ----------------------------------------------------------------------------------


@login_required
@require_safe
def prospect_list(request: HttpRequest) -> HttpResponse:
    """``GET /prospects/``: filters q, stage, source, close_month, owner (a lead's or an
    admin's), stale, stalled; 50 a page, open deals first, then by close date."""
    user = request.user
    base = _flagged(request).select_related("owner")
    filterset = ProspectListFilter(request.GET, queryset=base, user=user)
    status = 200
    if filterset.is_valid():
        rows = filterset.qs
    else:
        rows, status = base.none(), 400
    rows = rows.annotate(
        _closed=Case(When(stage__in=Stage.open_stages(), then=0), default=1)
    ).order_by("_closed", F("expected_close_date").asc(nulls_last=True), "name", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "keep": keep.urlencode(),
        "show_owner": role_of(user) in (Role.LEAD, Role.ADMIN),
        "filtered": any(value for name, value in request.GET.items() if name != "page"),
        "zone_name": str(user_zone(user)),
    }
    return render(request, "crm/prospect_list.html", context, status=status)


# --- a new prospect ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def prospect_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method != "POST":
        form = ProspectCreateForm(user=user)
        return render(request, "crm/prospect_form.html", {"form": form})
    form = ProspectCreateForm(request.POST, user=user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                prospect = services.prospect_create(
                    owner=form.chosen_owner(),
                    by=user,
                    name=data["name"],
                    stage=data["stage"],
                    source=data["source"],
                    expected_value=data["expected_value"],
                    expected_close_date=data["expected_close_date"],
                )
        except ValidationError as error:
            put_service_errors(form, error, aliases=ALIASES)
        else:
            messages.success(request, f"Prospect {prospect.name} created.")
            return redirect("prospect-detail-page", pk=prospect.pk)
    return render(request, "crm/prospect_form.html", {"form": form}, status=400)


# --- the detail page -------------------------------------------------------------------------


def _prospect(request: HttpRequest, pk: int) -> Prospect:
    return get_object_or_404(
        _flagged(request).select_related("owner", "source_event", "referral"), pk=pk
    )


def _action_forms(
    prospect: Prospect, user, bound: ActionForm | None
) -> dict[str, ActionForm | None]:
    """The actions the prospect's stage allows, each an unbound form (or the bound one
    that was just refused)."""
    if prospect.stage in Stage.open_stages():
        allowed = ("move", "sign", "lose", "close-date", "contact")
    elif prospect.stage == Stage.LOST:
        allowed = ("reopen", "contact")
    else:
        allowed = ("contact",)
    found: dict[str, ActionForm | None] = {}
    for name in allowed:
        key = name.replace("-", "_")  # a template name: actions.close_date
        if bound is not None and bound.action == name:
            found[key] = bound
        else:
            found[key] = ACTION_FORMS[name](prospect=prospect, user=user)
    return found


def _planned_meetings(
    prospect: Prospect, user, bound: ActionForm | None, bound_meeting: int | None
) -> list[dict[str, Any]]:
    """The prospect's planned meetings, each with its hold and reschedule forms."""
    rows = []
    for meeting in prospect.meetings.filter(status=MeetingStatus.PLANNED).order_by("starts_at"):

        def form(form_class, meeting=meeting):
            if (
                bound is not None
                and bound_meeting == meeting.pk
                and bound.action == form_class.action
            ):
                return bound
            return form_class(
                prospect=prospect,
                user=user,
                auto_id=f"{form_class.action}-{meeting.pk}-%s",
                initial={"starts_at": meeting.starts_at, "duration_minutes": _minutes(meeting)},
            )

        rows.append(
            {"meeting": meeting, "hold": form(HoldForm), "reschedule": form(RescheduleForm)}
        )
    return rows


def _minutes(meeting: Meeting) -> int:
    return max(1, int((meeting.ends_at - meeting.starts_at).total_seconds() // 60))


def _detail(
    request: HttpRequest,
    prospect: Prospect,
    *,
    bound: ActionForm | None = None,
    bound_meeting: int | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    zone = user_zone(user)
    context = {
        "prospect": prospect,
        "contacts": list(prospect.contacts.order_by("-is_decision_maker", "name", "pk")),
        "actions": _action_forms(prospect, user, bound),
        "planned": _planned_meetings(prospect, user, bound, bound_meeting),
        "refused": bound,
        "timeline": prospect_timeline(prospect, zone),
        "log_forms": log_forms(user, prospect),
        # back here after logging, also when this is a refused action's answer
        "log_next": reverse("prospect-detail-page", args=[prospect.pk]),
        "zone_name": str(zone),
        "show_owner": role_of(user) in (Role.LEAD, Role.ADMIN),
    }
    return render(request, "crm/prospect_detail.html", context, status=status)


@login_required
@require_safe
def prospect_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _prospect(request, pk))


# --- actions -------------------------------------------------------------------------------------

Write = Callable[[HttpRequest, Prospect, Mapping[str, Any]], str]


def _move(request, prospect, data) -> str:
    services.prospect_move(prospect=prospect, to_stage=data["stage"], by=request.user)
    return f"Moved to stage {data['stage']}."


def _sign(request, prospect, data) -> str:
    services.prospect_sign(
        prospect=prospect,
        contract_value=data["contract_value"],
        signed_on=data["signed_on"],
        by=request.user,
    )
    return f"Signed: a contract of {data['contract_value']:,.2f}."


def _lose(request, prospect, data) -> str:
    services.prospect_lose(
        prospect=prospect, reason=data["reason"], revisit_on=data["revisit_on"], by=request.user
    )
    return "Marked as lost."


def _reopen(request, prospect, data) -> str:
    reopened = services.prospect_reopen(prospect=prospect, by=request.user)
    return f"Reopened in stage {reopened.stage}."


def _close_date(request, prospect, data) -> str:
    before = prospect.expected_close_date
    after = data["expected_close_date"]
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=after, by=request.user
    )
    if before is None:
        return f"Close date set to {after:%-d %B %Y}."
    if after > before:
        return f"Close date pushed from {before:%-d %B %Y} to {after:%-d %B %Y}."
    if after < before:
        return f"Close date pulled in from {before:%-d %B %Y} to {after:%-d %B %Y}."
    return "The close date is unchanged."


def _contact(request, prospect, data) -> str:
    contact = services.contact_create(prospect=prospect, **data)
    return f"Contact {contact.name} added."


WRITES: dict[str, Write] = {
    "move": _move,
    "sign": _sign,
    "lose": _lose,
    "reopen": _reopen,
    "close-date": _close_date,
    "contact": _contact,
}


def _apply(form: ActionForm, write: Callable[[], str]) -> str | None:
    """Run the write if the form is valid; a refusal becomes the form's errors."""
    if not form.is_valid():
        return None
    try:
        with transaction.atomic():
            return write()
    except ValidationError as error:
        put_service_errors(form, error, aliases=ALIASES)
        return None


@login_required
@require_POST
def prospect_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """``POST /prospects/<pk>/<action>/``: move, sign, lose, reopen, close-date, contact."""
    if action not in WRITES:
        raise Http404("No such action.")
    prospect = _prospect(request, pk)
    form = ACTION_FORMS[action](request.POST, prospect=prospect, user=request.user)
    message = _apply(form, lambda: WRITES[action](request, prospect, form.cleaned_data))
    if message is None:
        return _detail(request, _prospect(request, pk), bound=form, status=400)
    messages.success(request, message)
    return redirect("prospect-detail-page", pk=prospect.pk)


MEETING_ACTIONS = {
    "hold": HoldForm,
    "reschedule": RescheduleForm,
    "cancel": MeetingStatusForm,
    "no-show": MeetingStatusForm,
}


@login_required
@require_POST
def meeting_action(request: HttpRequest, pk: int, meeting_pk: int, action: str) -> HttpResponse:
    """``POST /prospects/<pk>/meetings/<meeting_pk>/<hold|reschedule|cancel|no-show>/``."""
    if action not in MEETING_ACTIONS:
        raise Http404("No such action.")
    prospect = _prospect(request, pk)
    meeting = get_object_or_404(visible_meetings(request.user), pk=meeting_pk, prospect=prospect)
    form = MEETING_ACTIONS[action](request.POST, prospect=prospect, user=request.user)
    user = request.user

    def write() -> str:
        data = form.cleaned_data
        if action == "hold":
            services.meeting_hold(
                meeting=meeting, by=user, decision_maker_present=data["decision_maker_present"]
            )
            return "Meeting held."
        if action == "cancel":
            services.meeting_cancel(meeting=meeting, by=user)
            return "Meeting cancelled."
        if action == "no-show":
            services.meeting_no_show(meeting=meeting, by=user)
            return "Meeting marked as a no-show."
        starts_at = data["starts_at"]
        services.meeting_reschedule(
            meeting=meeting,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=data["duration_minutes"]),
            by=user,
        )
        return "Meeting rescheduled."

    message = _apply(form, write)
    if message is None:
        return _detail(
            request, _prospect(request, pk), bound=form, bound_meeting=meeting.pk, status=400
        )
    messages.success(request, message)
    return redirect("prospect-detail-page", pk=prospect.pk)
