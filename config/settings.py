"""Funnelbook settings: one file, driven by environment variables.

- ``DATABASE_URL``: e.g. ``postgres://localhost/funnelbook``; unset, a SQLite file
  ``funnelbook.sqlite3`` in the project folder.
- ``SECRET_KEY``: Django's signing key; a development key is refused when DEBUG is off.
- ``DEBUG``: ``1`` by default, ``0`` in production.
- ``ALLOWED_HOSTS``: comma-separated, default ``127.0.0.1,localhost,testserver``.
- ``TIME_ZONE``: the server's zone (default UTC); each team and user has its own.
- ``PUBLIC_URL``: absolute base for links that leave the app (calendar feeds).
- ``PG_RANDOM_PAGE_COST``: PostgreSQL's planner cost of a random page read (default 1.1,
  for data in memory or on SSD).
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)
_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "funnel",
    "crm",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        # An empty DATABASE_URL counts as unset.
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'funnelbook.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE") or "60"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The reports are many small index lookups that PostgreSQL's cost model overrates:
    # compiling them with JIT costs more (~0.4 s) than running them. And the default
    # random_page_cost (4) prices a page read by index as four sequential ones, as on a
    # spinning disk: with the data in memory or on SSD, it made the planner scan all
    # 200,000 prospects of the bench company (180 ms) to check the 500 a busy manager's
    # calendar feed meets, instead of looking them up (10 ms). 1.1 is the usual SSD
    # value; PG_RANDOM_PAGE_COST overrides it (for example 4 on spinning disks). The
    # company scorecard sorts the period's 45,000 held meetings by manager to count the
    # prospects met: in the default 4 MB of work_mem that sort goes to disk; PG_WORK_MEM
    # (default 16MB, per sort or hash of a query) keeps it in memory.
    #
    # Parameters travel apart from the SQL (server-side binding): a report's queries carry
    # hundreds of them, which client-side binding quotes into the text in Python (the
    # team review went from 130-140 to about 100-110 ms). Statements are not prepared
    # (Django's default, which connection poolers need), so every run is planned for its
    # own period and teams.
    random_page_cost = float(os.environ.get("PG_RANDOM_PAGE_COST") or "1.1")
    work_mem = os.environ.get("PG_WORK_MEM") or "16MB"
    if not re.fullmatch(r"\d+(kB|MB|GB)", work_mem):
        raise ImproperlyConfigured(f"PG_WORK_MEM must be a size such as 16MB, not {work_mem!r}")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        options=(f"-c jit=off -c random_page_cost={random_page_cost:g} -c work_mem={work_mem}"),
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The pages' own CSS and JS (static/funnelbook/): no CDN, no web fonts, works offline.
STATICFILES_DIRS = [BASE_DIR / "static"]

# URL names (crm/page_urls.py).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Built calendar feeds are cached between polls (events.views). REDIS_URL shares the cache
# between worker processes (e.g. redis://127.0.0.1:6379/1); without it each process keeps
# its own, bounded in entries.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 200},
        }
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous call then gets 401 with "WWW-Authenticate: Token".
        "crm.authentication.ProfileTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "crm.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "crm.rest.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "crm.rest.api_exception_handler",
    "ORDERING_PARAM": "ordering",
    "DEFAULT_SCHEMA_CLASS": "crm.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Funnelbook API",
    "DESCRIPTION": "Prospects, activities, plans and funnel reports for account managers.",
    "VERSION": "0.1.0",
    "ENUM_NAME_OVERRIDES": {
        "OpenStageEnum": ["lead", "contacted", "meeting", "proposal"],
        "PlanStatusEnum": "funnel.report_schemas.PLAN_STATUSES",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
