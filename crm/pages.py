"""The crm app's web pages. For now only a placeholder home, until the manager home lands."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A welcome page pointing at what exists so far (the calendar page, the API docs)."""
    return render(request, "includes/welcome.html")
