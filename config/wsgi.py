"""WSGI entry point (also what ``runserver`` serves, through ``WSGI_APPLICATION``).

The URLconf, and with it every view and library they use (matplotlib, numpy, holidays,
DRF, drf-spectacular), is loaded here rather than at the first request, and the objects
made at start-up (some 160,000) are then frozen out of the cycle collector's reach
(``gc.freeze``): they live as long as the process, yet every full collection walked them
all, about 75 ms on the benchmark machine, paid by whichever request happened to start
it. A full collection now walks only what requests made since.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports the URLconf and every view now)
gc.collect()
gc.freeze()
