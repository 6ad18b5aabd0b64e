"""Kehu settings: everything that varies between deployments comes from ``KEHU_*`` environment variables.

Variables (all optional in development):

- ``KEHU_DATABASE_URL``  database URL; default an SQLite file under ``var/`` (``postgres://user@host:5432/name``
  for PostgreSQL).
- ``KEHU_REDIS_URL``     Celery broker and result backend; when unset, tasks run eagerly in process.
- ``KEHU_SECRET_KEY``    required when ``KEHU_DEBUG`` is false.
- ``KEHU_DEBUG``         ``1``/``true`` for development (default ``0``).
- ``KEHU_ALLOWED_HOSTS`` comma-separated host names (default ``127.0.0.1,localhost``).
- ``KEHU_VAR_DIR``       where the embedded database and uploads live (default ``./var``).
- ``KEHU_MAX_REQUEST_BYTES`` largest request body accepted (default 2.5 MiB); larger ones answer 413.
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET_KEY = "kehu-insecure-development-key-change-me"


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable (1/true/yes/on, case-insensitive)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Read a whole-number environment variable (at least ``minimum``); a bad value stops the start plainly."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return number


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable into a list without empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("KEHU_DEBUG", False)
# under pytest the default key is allowed (the test run is not a deployment)
TESTING = env_bool("KEHU_TESTING", False) or "pytest" in sys.modules
SECRET_KEY = os.environ.get("KEHU_SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and not TESTING and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "KEHU_SECRET_KEY must be set to a long random value in production (or set KEHU_DEBUG=1 for development)."
    )
ALLOWED_HOSTS = env_list("KEHU_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("KEHU_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

VAR_DIR = Path(os.environ.get("KEHU_VAR_DIR", Path.cwd() / "var")).resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "simple_history",
    "axes",  # login lockout (KEHU_LOGIN_*)
    "csp",  # Content-Security-Policy header
    "kehu.core",
    "kehu.org",
    "kehu.customers",
    "kehu.purchases",
    "kehu.scoring",
    "kehu.imports",
    "kehu.work",
    "kehu.relations",
    "kehu.sales",
    "kehu.loyalty",
    "kehu.service",
    "kehu.home",
    "kehu.demo",
    "kehu.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kehu.core.middleware.PrivateResponsesMiddleware",  # no-store for every answer to a signed-in user
    "django.contrib.messages.middleware.MessageMiddleware",
    "kehu.core.middleware.SessionIdleTimeoutMiddleware",  # KEHU_SESSION_IDLE_MINUTES
    "kehu.core.middleware.DatabaseUnavailableMiddleware",  # a lock or statement timeout answers 503, not 500
    "kehu.core.middleware.HostileInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # the date and time filters, safe with stored times that cannot be converted to local time
            "builtins": ["kehu.core.templatetags.kehu_safe_dates"],
        },
    },
]

# the transactions' covering index includes amount and margin on PostgreSQL; SQLite builds it without them, which
# is all it can do and is intended (docs/architecture.md)
SILENCED_SYSTEM_CHECKS = ["models.W040"]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("KEHU_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kehu.sqlite3'}",
        conn_max_age=env_int("KEHU_DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a background job writes; a busy timeout instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # a persistent connection killed by the server or a restart is replaced before a request uses it, not a 500
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # web processes (gunicorn, runserver, the test suite) bound how long one statement may run and how long it may
    # wait for a lock: a request waiting on a row another transaction holds answers 503 instead of stalling a worker.
    # Background workers and commands (`kehu worker`, `kehu score`, `kehu import`, `kehu migrate`: the cli marks them)
    # run long set-based statements by design and take neither.
    KEHU_DB_STATEMENT_TIMEOUT_MS = env_int("KEHU_DB_STATEMENT_TIMEOUT_MS", 30_000)
    KEHU_DB_LOCK_TIMEOUT_MS = env_int("KEHU_DB_LOCK_TIMEOUT_MS", 5_000)
    if os.environ.get("KEHU_PROCESS_KIND", "web") == "web":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c statement_timeout={KEHU_DB_STATEMENT_TIMEOUT_MS} -c lock_timeout={KEHU_DB_LOCK_TIMEOUT_MS}"
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# history rows are read per record (by its id, then ordered by date): an index on the date alone serves no query
# and costs every write of a history row (an import of a million customers writes two million)
SIMPLE_HISTORY_DATE_INDEX = False

if TESTING:
    # hashing cost is not what the tests check
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# static files (htmx, CSS, the API docs' swagger-ui) are served by the app itself through WhiteNoise: no CDN, no
# separate web server needed; `kehu serve` runs collectstatic first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# WhiteNoise warns on every request when the collected-files directory does not exist yet
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
# contact attachments (served only through a view that checks the customer's scope; MEDIA_URL is never served)
KEHU_ATTACHMENT_MAX_MB = env_int("KEHU_ATTACHMENT_MAX_MB", 10, minimum=1)
# notifications by e-mail: Django's mail backend (SMTP at KEHU_EMAIL_HOST); links point at KEHU_SITE_URL
KEHU_SITE_URL = os.environ.get("KEHU_SITE_URL", "http://127.0.0.1:8000")
EMAIL_BACKEND = os.environ.get("KEHU_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("KEHU_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KEHU_EMAIL_PORT", 25, minimum=1)
DEFAULT_FROM_EMAIL = os.environ.get("KEHU_EMAIL_FROM", "kehu@localhost")
# satisfaction surveys (service.surveys): the SMS gateway class (default: logs and stores in the SMS outbox), how long
# a survey link works, the NPS wave's share of reachable customers and the days a customer is not asked again, the
# public answer page's rate per client address
KEHU_SMS_PROVIDER = os.environ.get("KEHU_SMS_PROVIDER", "kehu.service.surveys.providers.DevelopmentSmsProvider")
KEHU_SURVEY_TOKEN_DAYS = env_int("KEHU_SURVEY_TOKEN_DAYS", 14, minimum=1)
KEHU_SURVEY_NPS_SHARE = float(os.environ.get("KEHU_SURVEY_NPS_SHARE", "0.1"))
KEHU_SURVEY_NPS_QUIET_DAYS = env_int("KEHU_SURVEY_NPS_QUIET_DAYS", 90, minimum=0)
KEHU_SURVEY_RATE = os.environ.get("KEHU_SURVEY_RATE", "").strip() or "30/min"
# web intake (sales.intake): submissions per client address and minute, the public form and its API together
KEHU_INTAKE_RATE = os.environ.get("KEHU_INTAKE_RATE", "").strip() or "10/min"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Phone numbers without a country prefix are Chinese.
PHONENUMBER_DEFAULT_REGION = "CN"

# Celery: a real broker when KEHU_REDIS_URL is set; otherwise tasks run eagerly inside the calling process.
REDIS_URL = os.environ.get("KEHU_REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# the cache (the customer list's tier choices, cleared when a scoring run commits) is shared by every web process
# and worker through Redis when it is configured; a single process keeps it in memory
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                "KEY_PREFIX": "kehu-cache"}
    if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # service: the monthly NPS wave (`kehu surveys nps`; idempotent per month)
    "monthly-nps-wave": {
        "task": "kehu.service.surveys.tasks.nps_wave_task",
        "schedule": crontab(minute=0, hour=10, day_of_month=2),
    },
    # lost customers who bought again or are current again are won back (kehu.service.lost.services)
    "lost-won-back": {
        "task": "kehu.service.lost.tasks.lost_won_back_task",
        "schedule": crontab(minute=40, hour=3),
    },
    # the monthly scoring run (tiers, RFM, lifetime value, alerts) as of the last day of the previous month
    "monthly-scoring-run": {
        "task": "kehu.scoring.tasks.scoring_run_task",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
        "kwargs": {"scheduled": True},
    },
    # deletes the import error files kept longer than KEHU_IMPORT_ERROR_FILE_DAYS (`kehu purge_import_files`)
    "purge-import-files": {
        "task": "kehu.imports.tasks.purge_import_files_task",
        "schedule": crontab(minute=17),
    },
    # one inbox message per owner of tasks due today or overdue (once a day; `kehu.work.services.tasks_due_notify`)
    "tasks-due-notify": {
        "task": "kehu.work.tasks.tasks_due_notify_task",
        "schedule": crontab(minute=30, hour=7),
    },
    # the monthly relationship evaluation of key customers with the periodic templates (`kehu evaluate`; idempotent)
    "monthly-key-customer-evaluation": {
        "task": "kehu.relations.tasks.evaluation_run_task",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
    },
    # the cadence run (`kehu cadence`): the day's due contact tasks of the cadence rules and the overdue ones, before
    # the tasks-due messages
    "cadence-run": {
        "task": "kehu.relations.tasks.cadence_run_task",
        "schedule": crontab(minute=0, hour=6),
    },
    # open leads nobody worked for their branch's pool days go back to the shared pool (`kehu leads-return-to-pool`)
    "leads-return-to-pool": {
        "task": "kehu.sales.tasks.leads_return_to_pool_task",
        "schedule": crontab(minute=10, hour=3),
    },
    # loyalty: earn the points of purchases recorded without the hook (imports' bulk path) in the last 7 days
    # (`kehu loyalty accrue`; exactly once per purchase)
    "loyalty-accrue": {
        "task": "kehu.loyalty.tasks.loyalty_accrue_task",
        "schedule": crontab(minute="*/10"),
    },
    # loyalty: members move to the level their spend and points over the window earn (`kehu loyalty levels`)
    "loyalty-levels": {
        "task": "kehu.loyalty.tasks.loyalty_levels_task",
        "schedule": crontab(minute=45, hour=2),
    },
    # loyalty: expire points older than the programme's expiry, oldest first, with notice ahead (`kehu loyalty expire`)
    "loyalty-expire": {
        "task": "kehu.loyalty.tasks.loyalty_expire_task",
        "schedule": crontab(minute=15, hour=3),
    },
    # loyalty coupons: issued coupons past their end become expired (one UPDATE; safe to run twice)
    "loyalty-coupons-expire": {
        "task": "kehu.loyalty.coupons.tasks.coupons_expire_task",
        "schedule": crontab(minute=5),
    },
    # loyalty coupons: coupons purchases of the last 7 days earned but did not get (the purchases listener failed;
    # `kehu loyalty coupons-catch-up`; exactly once per purchase and batch, safe to run twice)
    "loyalty-coupons-catch-up": {
        "task": "kehu.loyalty.coupons.tasks.coupons_catch_up_task",
        "schedule": crontab(minute=25),
    },
    # e-mail in: read the team mailbox's unseen messages into tickets (`kehu mail-in`; nothing without KEHU_MAILIN_HOST)
    "mail-in": {
        "task": "kehu.service.mailin.tasks.mail_in_task",
        "schedule": crontab(minute="*"),
    },
    # service: SLA warnings and breaches of open tickets, notified once each (`kehu sla-check`; safe to run twice)
    "sla-check": {"task": "kehu.service.sla.tasks.sla_check_task", "schedule": crontab(minute="*/5")},
}
# E-mail in (kehu.service.mailin): the IMAP mailbox the beat task reads (disabled while KEHU_MAILIN_HOST is empty), the
# webhook's shared secret (POST /api/mail/inbound refuses everything while it is empty) and its size limit, and the
# domain of the Message-IDs of replies (default: the team address's)
KEHU_MAILIN_HOST = os.environ.get("KEHU_MAILIN_HOST", "")
KEHU_MAILIN_PORT = env_int("KEHU_MAILIN_PORT", 993, minimum=1)
KEHU_MAILIN_USER = os.environ.get("KEHU_MAILIN_USER", "")
KEHU_MAILIN_PASSWORD = os.environ.get("KEHU_MAILIN_PASSWORD", "")
KEHU_MAILIN_MAILBOX = os.environ.get("KEHU_MAILIN_MAILBOX", "INBOX")
KEHU_MAILIN_SECURITY = os.environ.get("KEHU_MAILIN_SECURITY", "ssl")  # ssl, starttls or none
KEHU_MAILIN_LIMIT = env_int("KEHU_MAILIN_LIMIT", 100, minimum=1)
KEHU_MAILIN_TEAM = os.environ.get("KEHU_MAILIN_TEAM", "")  # a team's address for mail sent to none
KEHU_MAILIN_SECRET = os.environ.get("KEHU_MAILIN_SECRET", "")
KEHU_MAILIN_MAX_BYTES = env_int("KEHU_MAILIN_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
KEHU_MAILIN_DOMAIN = os.environ.get("KEHU_MAILIN_DOMAIN", "")
# Where a task a view dispatches runs: on the Celery broker when one is configured; otherwise in the background
# worker that `kehu serve` and `kehu demo` start (`kehu worker` without KEHU_REDIS_URL), which takes queued tasks
# from the database; never inside a web request. The test suite runs them eagerly unless a test asks otherwise.
# leads (kehu.sales), the defaults of a branch's assignment rule: open leads per person given by the round-robin,
# days without contact before a lead returns to the shared pool, open leads one may hold when claiming from the pool
KEHU_LEADS_CAP = env_int("KEHU_LEADS_CAP", 50, minimum=1)
KEHU_LEADS_POOL_DAYS = env_int("KEHU_LEADS_POOL_DAYS", 30, minimum=1)
KEHU_LEADS_CLAIM_CAP = env_int("KEHU_LEADS_CLAIM_CAP", 50, minimum=1)
KEHU_TASK_QUEUE = "celery" if REDIS_URL else ("eager" if TESTING else "database")
# an import checking or importing without a heartbeat for this many seconds, whose worker holds no run lock, is
# shown as interrupted and can be resumed
KEHU_JOB_HEARTBEAT_TIMEOUT = env_int("KEHU_JOB_HEARTBEAT_TIMEOUT", 120, minimum=10)

# Imports: uploaded files are bounded before anything parses them
KEHU_IMPORT_MAX_UPLOAD_MB = env_int("KEHU_IMPORT_MAX_UPLOAD_MB", 256, minimum=1)
KEHU_IMPORT_MAX_INFLATED_MB = env_int("KEHU_IMPORT_MAX_INFLATED_MB", 1024, minimum=1)
KEHU_IMPORT_MAX_COMPRESSION_RATIO = env_int("KEHU_IMPORT_MAX_COMPRESSION_RATIO", 100, minimum=2)
KEHU_IMPORT_MAX_FIELD_CHARS = env_int("KEHU_IMPORT_MAX_FIELD_CHARS", 32767, minimum=100)
KEHU_IMPORT_ERROR_FILE_DAYS = env_int("KEHU_IMPORT_ERROR_FILE_DAYS", 7, minimum=0)

KEHU_PAGE_SIZE = 25
# lists count exactly up to this many rows past the page shown, then say "more than N" (core.pagination)
KEHU_LIST_COUNT_CAP = env_int("KEHU_LIST_COUNT_CAP", 100_000, minimum=1)
# on PostgreSQL, a list over a table larger than this counts only 1,000 rows past the page, then says "about N"
KEHU_LIST_ESTIMATE_OVER = env_int("KEHU_LIST_ESTIMATE_OVER", 200_000, minimum=0)
KEHU_API_PAGE_SIZE_MAX = 200

# The largest request body accepted (bytes, default 2.5 MiB): larger ones answer 413. File uploads are bounded by the
# upload views; this limit applies to their other fields (Django's DATA_UPLOAD_MAX_MEMORY_SIZE).
KEHU_MAX_REQUEST_BYTES = int(os.environ.get("KEHU_MAX_REQUEST_BYTES", str(2_621_440)))
DATA_UPLOAD_MAX_MEMORY_SIZE = KEHU_MAX_REQUEST_BYTES

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEHU_LOG_LEVEL", "WARNING")},
}

# --- Production protections (README "Production settings"); each has a safe default ---------------------------------
# Sign-in lockout (django-axes): after KEHU_LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address, that
# pair is refused (429, a translated page) for KEHU_LOGIN_COOLOFF_MINUTES. Locking the pair, not the account, means an
# attacker elsewhere cannot lock a colleague out. An administrator lifts a lock with `kehu axes_reset_username NAME`
# (or in the admin's "Access attempts"). A successful sign-in clears the user's failures.
KEHU_LOGIN_FAILURE_LIMIT = env_int("KEHU_LOGIN_FAILURE_LIMIT", 10, minimum=1)
KEHU_LOGIN_COOLOFF_MINUTES = env_int("KEHU_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
AUTHENTICATION_BACKENDS = [
    "kehu.org.auth_backends.LoginLockoutBackend",  # django-axes' AxesStandaloneBackend, first
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = KEHU_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=KEHU_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kehu.org.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "kehu.core.net.client_address"
AXES_VERBOSE = False

# HTTPS (KEHU_HTTPS=1 when the site is served over HTTPS, as it must be in production): redirect plain HTTP, HSTS,
# cookies sent over HTTPS only. KEHU_BEHIND_PROXY=1 when a reverse proxy terminates TLS and sets X-Forwarded-Proto
# (and appends the client's address to X-Forwarded-For, which then identifies the client for lockouts and rate limits).
KEHU_HTTPS = env_bool("KEHU_HTTPS", False)
KEHU_BEHIND_PROXY = env_bool("KEHU_BEHIND_PROXY", False)
KEHU_HSTS_SECONDS = env_int("KEHU_HSTS_SECONDS", 31_536_000)
if KEHU_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = KEHU_HSTS_SECONDS
    # HSTS covers the host's own subdomains (crm.example.cn → *.crm.example.cn) and allows submitting it to the
    # browsers' preload list (nothing is submitted by itself); set either to 0 if such a subdomain serves plain HTTP
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KEHU_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("KEHU_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
if KEHU_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only; no inline <script>,
# <style> or style="" (dynamic colours and widths are set by kehu.js from data- attributes); no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# A session ends after KEHU_SESSION_IDLE_MINUTES without a request (kehu.core.middleware.SessionIdleTimeoutMiddleware;
# the sign-in page then says why), when the browser closes, and at the latest 12 hours after its last request.
KEHU_SESSION_IDLE_MINUTES = env_int("KEHU_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = max(12 * 3600, KEHU_SESSION_IDLE_MINUTES * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# API rate limits (django-ninja throttling, counted in the cache: shared through Redis when KEHU_REDIS_URL is set,
# else per process): requests per token (or signed-in session) and requests without valid credentials per address.
# Over the limit the API answers 429 with Retry-After. "N/s", "N/min", "N/h" or "N/day".
KEHU_API_RATE_TOKEN = os.environ.get("KEHU_API_RATE_TOKEN", "").strip() or "1200/min"
KEHU_API_RATE_ANON = os.environ.get("KEHU_API_RATE_ANON", "").strip() or "60/min"
# the counts of the API rate limits: shared through Redis when it is configured (never in the test suite, which clears
# them between tests)
CACHES["ratelimit"] = (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "kehu-ratelimit"}
    if REDIS_URL and not TESTING
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kehu-ratelimit"}
)
