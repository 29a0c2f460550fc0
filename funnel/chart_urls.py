"""The charts under /charts/ (PNG and SVG)."""

urlpatterns: list = []
