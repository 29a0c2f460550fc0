"""``GET /charts/<name>.<fmt>``: the charts of the web pages as PNG or SVG, and ``.txt``
their text alternative (SPEC section 4).

name: funnel, plan, activity, alternation or events (see funnel.chart_data); fmt: png,
svg or txt. Parameters as the report API: ``manager=<id>`` or ``team=<id>``, and
``period=2026-11|2026-Q4|2026-W47`` or ``start``/``end``. The session's user only:
anonymous → redirect to the login page. Another team's manager or team, an unknown chart
or format → 404; bad input → 400 naming the field; both as short text/plain.

An image answer carries ``X-Alt-Text`` (its alt text, UTF-8 percent-encoded: read it with
``decodeURIComponent``; cut short when very long, the .txt has it whole), a ``Link`` to
the .txt, an ``ETag`` (a hash of the bytes; If-None-Match gets a 304) and
``Cache-Control: private, max-age=60``.

Cached so a page of charts renders fast: the bytes, alt text and ETag of an answer are
kept ``CACHE_SECONDS`` under (name, format, the chart parameters, the caller's id — the
default scope "everything I may see" depends on who asks —, the data generation of
funnel.freshness, and today's date in the server's time zone). A write to anything the
charts read bumps the generation, so the next request recomputes; a hit costs the session
and user lookups and no report query. The expiry bounds what the key cannot see: writes
that send no signal (bulk loads), writes in another process when each process has its
own cache (the default), and a team whose day turns at another hour than the server's.
"""

import hashlib
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from funnel import chart_data, freshness, reports
from funnel.charts import CONTENT_TYPES

CACHE_SECONDS = 300
BROWSER_SECONDS = 60
CONTENT_TYPES_ALL = {
    **CONTENT_TYPES,
    "txt": "text/plain; charset=utf-8",
}
ALT_HEADER_LIMIT = 1000  # characters after encoding; proxies refuse huge response headers
# Printable ASCII except "%" passes as is; "%", controls and non-ASCII are encoded.
_HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def _text(body: str, status: int) -> HttpResponse:
    return HttpResponse(body + "\n", status=status, content_type=CONTENT_TYPES_ALL["txt"])


def _problem(error: ValidationError) -> str:
    """Each offending field with its messages: "period: Use …"."""
    if hasattr(error, "error_dict"):
        return "\n".join(
            f"{'input' if field == '__all__' else field}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def alt_header(alt: str) -> str:
    """The alt text as an ASCII header value; cut at a character when too long."""
    encoded = quote(alt, safe=_HEADER_SAFE)
    if len(encoded) <= ALT_HEADER_LIMIT:
        return encoded
    cut = alt
    while len(quote(cut + "…", safe=_HEADER_SAFE)) > ALT_HEADER_LIMIT:
        cut = cut[: len(cut) * 9 // 10]
    return quote(cut.rstrip() + "…", safe=_HEADER_SAFE)


def _cache_key(name: str, fmt: str, params: dict[str, str], user_id: int) -> str | None:
    generation = freshness.generation()
    if generation is None:
        return None
    today = timezone.localdate(reports.now())
    parts = (name, fmt, sorted(params.items()), user_id, generation, today.isoformat())
    return "funnel:chart:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _compute(name: str, fmt: str, request: HttpRequest, params: dict[str, str]) -> tuple:
    """(body, alt text, ETag) of a chart answer."""
    if fmt == "txt":
        alt = chart_data.alt_text(name, request.user, params)
        body = alt.encode() + b"\n"
    else:
        chart = chart_data.build(name, request.user, params)
        body, alt = chart.render(fmt), chart.alt
    return body, alt, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@login_required
@require_safe
def chart_view(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """One chart; see the module docstring."""
    if name not in chart_data.NAMES:
        return _text(f"No chart named {name!r}; there are {', '.join(chart_data.NAMES)}.", 404)
    if fmt not in CONTENT_TYPES_ALL:
        return _text(f"No format {fmt!r}; use png, svg or txt.", 404)
    params = chart_data.normalized(request.GET)
    key = _cache_key(name, fmt, params, request.user.pk)
    found = cache.get(key) if key else None
    if found is None:
        try:
            found = _compute(name, fmt, request, params)
        except Http404:
            return _text("No such manager or team here.", 404)
        except ValidationError as error:
            return _text(_problem(error), 400)
        if key:
            cache.set(key, found, CACHE_SECONDS)
    body, alt, etag = found
    response = HttpResponse(body, content_type=CONTENT_TYPES_ALL[fmt])
    response["ETag"] = etag
    response["Cache-Control"] = f"private, max-age={BROWSER_SECONDS}"
    if fmt != "txt":
        response["X-Alt-Text"] = alt_header(alt)
        text = reverse("chart", kwargs={"name": name, "fmt": "txt"})
        query = f"?{urlencode(params)}" if params else ""
        response["Link"] = f'<{text}{query}>; rel="alternate"; type="text/plain"'
        response["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    if fmt == "svg":
        # Opened on its own, an SVG is a document: it may style itself, nothing more.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return get_conditional_response(request, etag=etag, response=response)
