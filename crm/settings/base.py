"""Settings shared by every environment; dev.py and production.py refine them."""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "guardian",
    "django_tasks_db",
    "crm",
    "notifications",
    "customers",
    "followups",
    "opportunities",
    "reports",
    "imports",
    "administration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crm.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.middleware.PrivateCacheMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.navigation",
                "administration.context_processors.company",
            ],
        },
    },
]

# SQLite is the zero-configuration default; DATABASE_URL switches to PostgreSQL.
# IMMEDIATE transactions make SQLite take its write lock at BEGIN, so two
# concurrent writers queue instead of failing on lock upgrade.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's JIT compiles a query once its estimated cost is high; the
    # pages' queries are short, and at a million rows the estimates of the
    # list counts and reports cross the threshold, paying ~0.1–1 s of
    # compilation for a query that runs in tens of milliseconds.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked name or address is refused on every login path.
    "crm.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user, every page needs a login

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:workbench"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Every asset is served by us: scripts only with the per-request nonce,
# styles only from our own origin (no inline style attributes anywhere).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Login throttling (crm/auth.py), counted in the database so all workers agree:
# within the window a name is locked for one client address after
# LOGIN_FAILURE_LIMIT failures, an address for every name only after
# LOGIN_ADDRESS_FAILURE_LIMIT.
LOGIN_FAILURE_LIMIT = 5
LOGIN_ADDRESS_FAILURE_LIMIT = 50
LOGIN_FAILURE_WINDOW = 15 * 60
# The client address is REMOTE_ADDR unless a trusted proxy's header is named here
# (request.META key, e.g. "HTTP_X_FORWARDED_FOR") with how many proxies append
# to it; an unconfigured header is never trusted.
CRM_CLIENT_IP_HEADER = None
CRM_TRUSTED_PROXY_COUNT = 1

FILTERS_EMPTY_CHOICE_LABEL = _("All")

# Background work (e-mail, periodic sweeps): django.tasks with the database
# backend; `manage.py db_worker` runs the queue (`make run` starts it).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Notifications also go out by e-mail when mail is configured (EMAIL_HOST set
# in the environment), from the background worker, never in a request.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT") or 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": os.environ.get("EMAIL_USE_TLS") == "1",
            "timeout": 30,
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost")
CRM_NOTIFY_EMAIL = bool(os.environ.get("EMAIL_HOST"))
# The address links in e-mails start with, e.g. https://crm.example.com
CRM_SITE_URL = os.environ.get("CRM_SITE_URL", "http://127.0.0.1:8000")
# Periodic notification sweeps (overdue plans): every this many seconds.
CRM_SWEEP_INTERVAL = 5 * 60

CRM_PAGE_SIZES = (25, 50, 100)
CRM_LIST_COUNT_CAP = 10_000
CRM_RENEWAL_WINDOW_DAYS = 60
# An open opportunity with no stage change and no follow-up for this many
# days is stalled (DESIGN §7).
CRM_STALLED_DAYS = 30
# The action lists (DESIGN §7; the days are whole days up to the as-of date):
# a high-potential customer with no follow-up for this many days is rarely
# followed; a customer renewing within CRM_RENEWAL_WINDOW_DAYS is at risk when
# it had no follow-up for CRM_RENEWAL_QUIET_DAYS, has an open complaint, or
# rated its last closed ticket at most CRM_RENEWAL_LOW_SATISFACTION (of 5).
CRM_RARELY_FOLLOWED_DAYS = 30
CRM_RENEWAL_QUIET_DAYS = 30
CRM_RENEWAL_LOW_SATISFACTION = 2

# Imports (DESIGN §6): what a file may hold, and from what size it is read
# by the task worker instead of in the request.
CRM_IMPORT_MAX_BYTES = 50 * 1024 * 1024
CRM_IMPORT_MAX_ROWS = 200_000
CRM_IMPORT_MAX_COLUMNS = 100
CRM_IMPORT_BACKGROUND_BYTES = 512 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "crm.security": {"handlers": ["console"], "level": "INFO"},
        # Server errors with their tracebacks, whatever DEBUG is (Django's own
        # console handler is silent without DEBUG). Not propagated, so with
        # DEBUG on the traceback is not printed a second time by that handler.
        "django.request": {
            "handlers": ["console"],
            "level": "ERROR",
            "propagate": False,
        },
    },
}
