"""Web pages: URLs (filled in with the pages)."""

urlpatterns: list = []
