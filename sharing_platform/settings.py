"""Settings, all read from the environment (12-factor). Defaults give the embedded SQLite setup."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# The development default is only used when DEBUG is on; production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY") or ("dev-insecure-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    # manage.py, wsgi.py and gunicorn.conf.py turn this into one line on stderr (see sharing_platform/configuration.py).
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off "
        "(set SECRET_KEY to a long random value, or DEBUG=true for development)"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our own static files, no CDN
    "django_celery_beat",
    "django_htmx",
    "sharing_platform.outbox",  # side effects leave through a table written with the change (issue 12.2)
    "sharing_platform.accounts",  # people's accounts: the unique e-mail rule (a migration), e-mail confirmation
    "sharing_platform.database",  # core: append-only triggers' SQL, the db_app_role command
    "instruments",
    "identity",  # institutional sign-on (CAS, LDAP, OIDC) and the person behind accounts; above instruments
    "notifications",  # WeCom / DingTalk group robots; above instruments, below credit and bookings
    "credit",
    "bookings",
    "billing",  # issue 15: charges, statements, payments (above bookings)
    "analytics",  # utilisation and evaluation figures (top layer; nothing depends on it)
    "partners",  # H8: partner keys, webhooks, external credit reports (top layer)
    "demo",  # seed_demo: the demo platform and its year of history, through every app's services (above all)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "sharing_platform.urls"

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
            "libraries": {"numbers": "sharing_platform.numbers"},  # money and figures (|money, |figure)
        },
    },
]

WSGI_APPLICATION = "sharing_platform.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for the write lock instead of failing at once; IMMEDIATE makes every atomic
    # block take the write lock up front, so check-then-write services serialise.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
# The restricted role the application runs as (docker-compose.yml: web, worker and beat connect with this
# URL). Read only by `manage.py db_app_role`, which the table owner (DATABASE_URL) runs after migrating.
DATABASE_APP_URL = os.environ.get("DATABASE_APP_URL", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: bulk import files are read in memory; refuse anything larger than this.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@instrument-sharing.local")
# Where django.core.mail.backends.filebased.EmailBackend writes one file per connection.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or None

# --- Cache ----------------------------------------------------------------------------------
# Throttle counters, notification markers and idempotency locks must be shared by every process in
# production: set CACHE_URL to a Redis database. Unset: a per-process memory cache (embedded default).
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "sharing_platform.cache.RedisCache", "LOCATION": CACHE_URL}  # Django's, one client per pool
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Issue 14: catalogue pages (forgotten on every catalogue write, instruments/catalogue_cache.py) and the
# platform median of unit evaluations are kept this long in the cache above; 0 turns each off. Without
# CACHE_URL each process has its own memory: run one process, or set CACHE_URL, so writes reach every cache.
CATALOGUE_CACHE_SECONDS = int(os.environ.get("CATALOGUE_CACHE_SECONDS", "60"))
ANALYTICS_MEDIAN_CACHE_SECONDS = int(os.environ.get("ANALYTICS_MEDIAN_CACHE_SECONDS", "3600"))

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view states who may use it.
    "DEFAULT_PERMISSION_CLASSES": ["sharing_platform.api.permissions.DenyAll"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "sharing_platform.api.pagination.CheapPageNumberPagination",
    "PAGE_SIZE": 20,
    # The contract: every operation documents its error responses, headers and summary (docs/api.md).
    "DEFAULT_SCHEMA_CLASS": "sharing_platform.api.schema.ProjectAutoSchema",
    # Every refusal answers {detail, code, field?, errors?}; `code` is one of API_ERROR_CODES below.
    "EXCEPTION_HANDLER": "sharing_platform.api.exceptions.api_exception_handler",
    # JSON in, JSON out. An upload endpoint declares multipart itself (sharing_platform/api/parsers.py).
    # A browser asking for HTML gets DRF's browsable view of the same JSON (not in the schema).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Public reads (catalogue, public credit data) also accept these: a partner's API key with its read scope
# (sharing_platform/api/public_reads.py); named here so that lower apps never import partners.
PUBLIC_READ_AUTHENTICATION_CLASSES = ["partners.authentication.PartnerKeyAuthentication"]
# The enums of error codes the API answers (sharing_platform/errors.py: one per app, in <app>/error_codes.py);
# the schema's ErrorCode enum lists their members. A new app with its own codes adds its enum here.
API_ERROR_CODES = [
    "sharing_platform.errors.CommonErrorCode",
    "sharing_platform.accounts.error_codes.AccountErrorCode",
    "instruments.error_codes.InstrumentErrorCode",
    "bookings.error_codes.BookingErrorCode",
    "bookings.error_codes.BookingRule",
    "billing.error_codes.BillingErrorCode",
    "identity.error_codes.IdentityErrorCode",
    "partners.error_codes.PartnerErrorCode",
]
REST_KNOX = {
    # Tokens are stored as hashes and expire; "Authorization: Token <token>".
    "TOKEN_TTL": timedelta(hours=int(os.environ.get("API_TOKEN_TTL_HOURS", "72"))),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Instrument Sharing Platform API",
    "DESCRIPTION": "Catalogue, bookings and credit of the open instrument sharing platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Request bodies get their own components (`XRequest`, without read-only fields), so a generated
    # client neither demands nor sends id, created_at and the like.
    "COMPONENT_SPLIT_REQUEST": True,
    # Paths are absolute (/api/v1/...): the server is whichever host serves this schema.
    "SERVERS": [{"url": "/", "description": "The server this schema is read from."}],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sharing_platform.api.schema.postprocess_schema",
    ],
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Without a broker (the embedded default) tasks run in-process, synchronously.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# --- Celery reliability (credit engine, H5) --------------------------------------------------
# A task must survive a worker that dies mid-way; each setting says why. tests/credit/
# test_celery_worker.py kills a real worker's pool process mid-run and shows the task come back.
# Acknowledge a message only after the task finished, so a crash before that leaves it queued...
CELERY_TASK_ACKS_LATE = True
# ...and when the pool process running it is killed (OOM, SIGKILL), requeue it instead of
# acknowledging it as failed: without both settings a killed worker loses its task.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Reserve one message at a time, so a dying worker strands at most the task it was running and
# long tasks do not sit behind each other in one worker's prefetch buffer.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged message after visibility_timeout seconds. It must exceed the
# longest task (else a running task is delivered twice), and be short so a message whose worker
# vanished entirely comes back within about a minute: restore sweeps every 5 s, unthrottled.
CELERY_BROKER_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_BROKER_VISIBILITY_TIMEOUT", "60"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
# Time limits below the visibility timeout (see above). Long jobs (the full credit recompute) stop
# at their own budget before the soft limit and continue in a fresh task from a saved cursor.
CELERY_TASK_TIME_LIMIT = CELERY_BROKER_VISIBILITY_TIMEOUT - 10
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_BROKER_VISIBILITY_TIMEOUT - 20
# Beat: exactly one beat process, reading schedules from the database (CELERY_BEAT_SCHEDULER above)
# so admins can see and change them; credit's migration 0003 creates its PeriodicTask rows.

# --- Transactional outbox (issue 12.2; the guarantee is spelled out in sharing_platform/outbox) ------
# Tasks are never queued straight from a request: outbox.enqueue() writes a row in the transaction of
# the change, sent to the broker right after commit; beat's relay (every 15 seconds, migration
# outbox/0002) sends what a broker outage left behind. Rows dispatched this many days ago are pruned.
OUTBOX_KEEP_DISPATCHED_DAYS = 7
OUTBOX_RELAY_BATCH_SIZE = 200

# --- Logging --------------------------------------------------------------------------------
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Production hardening (deploy: docker-compose.yml, Dockerfile, .env.example) -------------
# Every default below follows DEBUG: with DEBUG off (production) cookies are secure, HSTS is on,
# plain HTTP is redirected and logs are JSON lines; each can be overridden from the environment
# (e.g. SECURE_SSL_REDIRECT=false when a proxy in front already redirects). With DEBUG on
# (development, tests) nothing here changes behaviour. `manage.py check --deploy` is clean.
_PRODUCTION = not DEBUG
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _PRODUCTION)
# The container health check speaks plain HTTP to gunicorn from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or (365 * 24 * 3600 if _PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _PRODUCTION)
# The TLS-terminating proxy in front of gunicorn says which scheme the client used.
if env_bool("TRUST_X_FORWARDED_PROTO", _PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp), in development too so the browser tests see what production
# sends: scripts and styles only from our own static files (no inline <script>, no on*= handlers, no
# style="", no eval), images from ourselves and data: URIs (Swagger UI's icons), nothing embeds us.
# The API docs use drf-spectacular's split view, whose init script is a separate same-origin file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# collectstatic writes here (the image builds it at /app/staticfiles; tests point it elsewhere).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or STATIC_ROOT)
# Logs go to stdout, as JSON lines in production (LOG_FORMAT=json|plain).
LOGGING["formatters"]["json"] = {"()": "sharing_platform.logging.JsonFormatter"}
LOGGING["handlers"]["console"]["stream"] = "ext://sys.stdout"
_LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("json" if _PRODUCTION else "plain")
if _LOG_FORMAT not in LOGGING["formatters"]:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {sorted(LOGGING['formatters'])}, not {_LOG_FORMAT!r}")
LOGGING["handlers"]["console"]["formatter"] = _LOG_FORMAT
# Celery workers and beat keep the LOGGING above instead of installing their own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Partners: throttles, webhooks, idempotency -------------------------------------------
# Throttle rates used only by the partner API's own throttle classes (partners/throttling.py);
# nothing is throttled globally. 429 responses carry Retry-After.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "partner_key": os.environ.get("PARTNER_KEY_THROTTLE_RATE", "600/min"),
    "partner_user": os.environ.get("PARTNER_USER_THROTTLE_RATE", "120/min"),
}
# Webhook URLs pointing at private, loopback or link-local addresses are refused in production.
PARTNERS_WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("PARTNERS_WEBHOOK_ALLOW_PRIVATE_URLS", DEBUG)
PARTNERS_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("PARTNERS_WEBHOOK_MAX_ATTEMPTS", "8"))
PARTNERS_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("PARTNERS_WEBHOOK_TIMEOUT_SECONDS", "5"))
PARTNERS_IDEMPOTENCY_TTL_HOURS = int(os.environ.get("PARTNERS_IDEMPOTENCY_TTL_HOURS", "24"))
# OpenAPI enum names for the partner API's choice sets (avoids drf-spectacular naming collisions).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "WebhookEventEnum": "partners.models.WebhookEvent",
        "WebhookDeliveryStatusEnum": "partners.models.WebhookDelivery.Status",
    }
)
# --- OpenAPI contract (H13, issue 6): one name per choice set shared by several serializers ------
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "BookingStateEnum": "bookings.models.BookingState",
        "SideEnum": "bookings.models.Side",
        "IncidentKindEnum": "bookings.models.Incident.Kind",
        "UnitKindEnum": "instruments.models.Unit.Kind",
        "UnitStatusEnum": "instruments.models.Unit.Status",
        "InstrumentStatusEnum": "instruments.models.Instrument.Status",
        "CreditTierEnum": "instruments.models.CreditTier",
        "CreditEventKindEnum": "credit.models.CreditEvent.Kind",
        "ListTypeEnum": "credit.models.ListEntry.List",
        "ListEntryStatusEnum": "credit.models.ListEntry.Status",
        "SeverityEnum": "credit.models.ListEntry.Severity",
        "SubjectTypeEnum": ["unit", "user"],
        "ImportRowActionEnum": ["create", "update"],
        "ReasonCodeEnum": ["cap", "events", "unit_status", "person_identity", "external", "endorsements"],
        "ReasonWindowEnum": ["90d", "12m", "all"],
        "AppealStatusEnum": "credit.models.Appeal.Status",
        "RepairRequestStatusEnum": "credit.models.RepairRequest.Status",
        "EndorsementKindEnum": "credit.models.Endorsement.Kind",
    }
)

# --- PDF exports and billing (issue 15) -------------------------------------------------------------------------
# The TrueType font embedded in every PDF export (it must have Chinese glyphs). Unset: WenQuanYi Micro
# Hei where Debian's fonts-wqy-microhei puts it (the Dockerfile installs it).
PDF_FONT = os.environ.get("PDF_FONT", "")
# One OpenAPI enum name per billing choice set (the no-show and late-cancellation rules share one).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ChargeKindEnum": "billing.models.Charge.Kind",
        "ChargeRuleEnum": "billing.models.ChargeRule",
        "StatementStatusEnum": "billing.models.StatementStatus",
        "PaymentStatusEnum": "billing.models.Payment.Status",
    }
)
# --- Sign-in throttling (issue 12.5): django-axes, counted in the database ------------------------
# Failed sign-ins are counted per account and per client address in the database, so every gunicorn
# worker and host shares the counts; over either limit, every sign-in path (API token, sign-in page,
# Django admin) answers 429 until the cool-off has passed since the last failure. Admins unlock in
# the Django admin (Axes > Access attempts) or with `manage.py axes_reset_username NAME`.
INSTALLED_APPS.append("axes")
AUTHENTICATION_BACKENDS = [
    "sharing_platform.accounts.throttling.SignInThrottleBackend",  # refuses locked-out clients first
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as Axes requires: turns a lockout into 429
AXES_HANDLER = "sharing_platform.accounts.throttling.SignInThrottleHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own, each with its limit:
SIGNIN_FAILURE_LIMITS = {
    "username": int(os.environ.get("SIGNIN_ACCOUNT_FAILURE_LIMIT", "10")),
    # A whole campus can sit behind one address: a higher limit, so one person's typos lock no one else.
    "ip_address": int(os.environ.get("SIGNIN_ADDRESS_FAILURE_LIMIT", "50")),
}
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMITS["username"]
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SIGNIN_COOLOFF_MINUTES", "15")))
# Attempts while locked out are refused without being counted, so the cool-off ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful sign-in forgets that account's failures from that address (only those: see the handler).
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not logged in the database (the table would only grow)
AXES_LOCKOUT_CALLABLE = "sharing_platform.accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "sharing_platform.accounts.throttling.client_ip"
# Reverse proxies in front of gunicorn that append to X-Forwarded-For. docker-compose.yml puts gunicorn
# behind one TLS-terminating proxy (production default 1); the development server has none (0). The
# client address is the entry this many places from the right; DRF's anonymous throttles read it alike.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or (1 if _PRODUCTION else 0))
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # failures and lockouts; not Axes' per-request chatter
# --- Institutional sign-on (issue 17): CAS, LDAP, OpenID Connect per unit -------------------------
# Fernet keys (comma-separated, newest first) that encrypt stored secrets (provider secrets, DingTalk
# signing secrets); generate one with
# python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())".
# Unset: one key derived from SECRET_KEY (then changing SECRET_KEY makes stored secrets unreadable).
SECRET_ENCRYPTION_KEYS = env_list("SECRET_ENCRYPTION_KEYS", "")
# Plain http:// CAS and OIDC servers are refused in production; allowed in development and tests.
IDENTITY_ALLOW_INSECURE_URLS = env_bool("IDENTITY_ALLOW_INSECURE_URLS", DEBUG)
# How long the "confirm with your password" step of linking an existing account stays open.
IDENTITY_LINK_TTL_SECONDS = int(os.environ.get("IDENTITY_LINK_TTL_SECONDS", "600"))

# --- Group robot notifications (issue 17): WeCom and DingTalk ----------------------------------
# Robot webhooks may only point at these hosts (the services' own); tests add their local receiver.
NOTIFICATIONS_ROBOT_HOSTS = env_list("NOTIFICATIONS_ROBOT_HOSTS", "qyapi.weixin.qq.com,oapi.dingtalk.com")
NOTIFICATIONS_ROBOT_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATIONS_ROBOT_MAX_ATTEMPTS", "6"))
NOTIFICATIONS_ROBOT_TIMEOUT_SECONDS = float(os.environ.get("NOTIFICATIONS_ROBOT_TIMEOUT_SECONDS", "5"))
# Backoff: the n-th retry waits NOTIFICATIONS_ROBOT_RETRY_SECONDS x 2^(n-1) seconds (at most an hour).
NOTIFICATIONS_ROBOT_RETRY_SECONDS = float(os.environ.get("NOTIFICATIONS_ROBOT_RETRY_SECONDS", "30"))
