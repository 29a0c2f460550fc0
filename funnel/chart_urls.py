"""The charts under /charts/ (PNG and SVG, and .txt their text alternative)."""

from django.urls import re_path

from funnel.chart_views import chart_view

# Any name and format reach the view, which answers a text/plain 404 for unknown ones.
urlpatterns = [
    re_path(r"^(?P<name>[\w-]+)\.(?P<fmt>\w+)$", chart_view, name="chart"),
]
