"""wangge settings: everything comes from the environment, with defaults that make
`make run` work on a developer machine with nothing set."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    """A setting from NAME, or from the file named by NAME_FILE (secrets), or default."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = envstr(name, default).lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def envint(name: str, default: str) -> int:
    value = envstr(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envfloat(name: str, default: str) -> float:
    value = envstr(name, default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


DEBUG = envbool("DEBUG", "true")
SECRET_KEY = envstr("SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = [h for h in envstr("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "leaflet",
    "pgtrigger",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "grids",
    "access",
    "cases",
    "geo",
    "risk",
    "oversight",
    "demo",
    "accounts",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before any view: a NUL in the address is a 400, an oversize body a 413 (in the
    # person's language, hence after LocaleMiddleware).
    "governance.request_guard.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After AuthenticationMiddleware: marks request.user verified by a second factor or not.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Session timeouts, second factor, password expiry (needs OTP's mark and messages).
    "accounts.middleware.AccountPolicyMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"

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
                "governance.context_processors.site",
            ],
        },
    },
]

DATABASE_URL = envstr("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/wangge")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", "60"))}
# Server-side binding lets psycopg prepare the statements every request repeats (the grants,
# the grid cell, the inserts) after DB_PREPARE_THRESHOLD uses on a connection, so PostgreSQL
# stops re-planning them (bench/intake.py). Behind a transaction-pooling pgbouncer, which
# cannot keep prepared statements, set DB_SERVER_SIDE_BINDING=false.
if envbool("DB_SERVER_SIDE_BINDING", "true"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=envint("DB_PREPARE_THRESHOLD", "5")
    )
if DATABASES["default"]["ENGINE"] != "django.contrib.gis.db.backends.postgis":
    raise ImproperlyConfigured("DATABASE_URL must use the postgis:// scheme")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Reporters' names, phones and ID numbers are encrypted at rest (django-fernet-encrypted-
# fields): Fernet keys derived from SECRET_KEY (and SECRET_KEY_FALLBACKS) with these salts.
# Comma-separated; the first encrypts, all decrypt, so a new salt goes first to rotate.
# Production must set it, and keep it with the database backups: without it the data is lost.
SALT_KEY = [s for s in envstr("FIELD_ENCRYPTION_SALT", "dev-only-field-salt" if DEBUG else "").split(",") if s]
if not SALT_KEY:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_SALT must be set when DEBUG is off")
SECRET_KEY_FALLBACKS = [k for k in envstr("SECRET_KEY_FALLBACKS", "").split(",") if k]

# --- Accounts and sign-in (MLPS 2.0 level 3, 身份鉴别; docs/security.md) -----------------


def _at_least(name: str, minimum: int, default: str) -> int:
    value = envint(name, default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


# Lockout first: AxesStandaloneBackend refuses a locked-out account before any password is
# checked (a correct one included), then the usual backends.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's, refusing names no account can have (too long, NUL) before any look-up.
    "accounts.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Passwords: at least PASSWORD_MIN_LENGTH characters mixing 3 of the 4 classes (upper, lower,
# digit, symbol); Django's MinimumLengthValidator is left out, ComplexityValidator counts the
# length with the same message set. A new password must differ from the current one.
PASSWORD_MIN_LENGTH = _at_least("PASSWORD_MIN_LENGTH", 1, "10")
# Days a password lasts before the owner must choose a new one; 0: no expiry.
PASSWORD_MAX_AGE_DAYS = _at_least("PASSWORD_MAX_AGE_DAYS", 0, "90")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.ComplexityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Its password_changed hook stamps PasswordState.changed_at: keep it for expiry to work.
    {"NAME": "accounts.validators.PasswordChangeValidator"},
]
# Lockout (django-axes, database handler: one lockout state for all gunicorn workers).
# Per (user name, address) and per address (accounts.lockout): by name alone anyone could
# lock a known account from anywhere; the address limit is higher because offices and
# phones share NAT addresses.
AXES_FAILURE_LIMIT = _at_least("AXES_FAILURE_LIMIT", 1, "5")
AXES_ADDRESS_FAILURE_LIMIT = _at_least("AXES_ADDRESS_FAILURE_LIMIT", 1, "30")
AXES_COOLOFF_MINUTES = _at_least("AXES_COOLOFF", 1, "30")  # minutes
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
# Names no account can have (a prober's 300 characters, a NUL) are stored cut and cleaned.
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
# Its start-up banner would print on every manage.py command.
AXES_VERBOSE = False
# Consecutive failures: a successful sign-in clears the count.
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not extend it: it ends AXES_COOLOFF after the last counted failure.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A page for the browser, JSON for /api/, HTTP 403 (accounts.views.locked_out says why not 429).
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Sessions: signed out after SESSION_IDLE_MINUTES without a request, and SESSION_COOKIE_AGE
# seconds after sign-in however active (accounts.middleware; Django's own expiry slides with
# every session write, so it alone is not an absolute limit).
SESSION_IDLE_MINUTES = _at_least("SESSION_IDLE_MINUTES", 1, "30")
SESSION_COOKIE_AGE = _at_least("SESSION_COOKIE_AGE", 60, str(8 * 3600))  # seconds
SESSION_EXPIRE_AT_BROWSER_CLOSE = envbool("SESSION_EXPIRE_AT_BROWSER_CLOSE", "true")
# API tokens end like a session does, API_TOKEN_MAX_AGE_HOURS after they were issued; the
# client asks POST /api/auth/token/ again (accounts.authentication.TokenAuthentication).
API_TOKEN_MAX_AGE_HOURS = _at_least("API_TOKEN_MAX_AGE_HOURS", 1, "8")

# Second factor (django-otp, TOTP) for administrators and supervisors; the issuer names the
# entry in the authenticator app.
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "wangge")
# --- end of accounts and sign-in ---------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploads larger than this are refused with 413 before they reach a form.
MAX_UPLOAD_BYTES = envint("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
# The largest request body at all (governance.request_guard: 413 before it is read): nine
# photos of MAX_UPLOAD_BYTES and the form around them.
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", str(9 * MAX_UPLOAD_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE))

REST_FRAMEWORK = {
    # Tokens for phones and integrations: Basic auth re-hashes the password (PBKDF2, ~0.3 s
    # of CPU) on every request, which bench/intake.py shows capping intake at ~5 reports/s.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token and Basic with the sign-in rules (lockout, second factor, password expiry);
        # session requests get them from accounts.middleware.
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.TokenAuthentication",
        "accounts.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # drf-spectacular's, with the error answers every operation can give (governance/api_schema.py).
    "DEFAULT_SCHEMA_CLASS": "governance.api_schema.AutoSchema",
    # JSON refusing deep nesting, NUL and infinite numbers (400, not 500); forms as DRF's.
    "DEFAULT_PARSER_CLASSES": [
        "cases.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # limit/offset checked: a bad or huge value is a 400 naming it, not a database error.
    "DEFAULT_PAGINATION_CLASS": "cases.api.pagination.CheckedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "cases.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "wangge API",
    "VERSION": "0.1.0",
    # Swagger UI from the sidecar package: intranets have no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The API's map is for its users (phones, integrations with a token, staff), not for
    # anyone who can reach the server.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Request bodies as their own components: uploads are binary files there (not the URLs
    # answers show), and read-only fields are not asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    # The document does not describe itself: /api/schema/ is how a client finds the API, not part of it.
    "SERVE_INCLUDE_SCHEMA": False,
    # One name per choice set (`manage.py check --deploy` warns about each collision).
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.Case.Status",
        "RejectKindEnum": "cases.models.Case.RejectKind",
    },
}

CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = envstr("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false")
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# Workers log through LOGGING below (and its masking formatter), not Celery's own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Metric CRS for areas and distances (DOMAIN §1): CGCS2000 / 3-degree GK CM 120E for Wuxi.
METRIC_SRID = envint("METRIC_SRID", "4549")
# Basemap tiles; an intranet sets its own tile server. Empty: the map draws on a plain background.
BASEMAP_TILE_URL = envstr("BASEMAP_TILE_URL", "")
BASEMAP_ATTRIBUTION = envstr("BASEMAP_ATTRIBUTION", "")
# Import tolerance: overlaps/gaps smaller than this (square metres) are ignored as slivers.
GRID_TOLERANCE_M2 = envfloat("GRID_TOLERANCE_M2", "1.0")
# A new report this close (metres) to an open case of the same category filed within this
# many days is shown to the centre as a possible duplicate.
DUPLICATE_RADIUS_M = envfloat("DUPLICATE_RADIUS_M", "50")
DUPLICATE_DAYS = envint("DUPLICATE_DAYS", "7")
# Queue "your turn" notifications after each action (tests turn it off unless they test it,
# so no test leaves messages in the machine's broker).
NOTIFY_ON_COMMIT = envbool("NOTIFY_ON_COMMIT", "true")
# Handling units are warned this many hours before a handling deadline.
DEADLINE_WARNING_HOURS = envfloat("DEADLINE_WARNING_HOURS", "4")
# Queues mark a running deadline "near" within this many working hours (and amber).
NEAR_DEADLINE_WORKING_HOURS = envfloat("NEAR_DEADLINE_WORKING_HOURS", "4")
# The sign-for limit itself counts in hours (4 by default), so its "near" is its own: with the
# handling threshold every freshly dispatched case would be amber at once.
NEAR_SIGN_FOR_WORKING_HOURS = envfloat("NEAR_SIGN_FOR_WORKING_HOURS", "1")
# The most rows one CSV/XLSX export may hold; more is a 400 asking to narrow the filters.
EXPORT_MAX_ROWS = envint("EXPORT_MAX_ROWS", "50000")
# A closed case may be reopened by its centre within this many days.
REOPEN_DAYS = envint("REOPEN_DAYS", "7")
RISK_HORIZON_DAYS = envint("RISK_HORIZON_DAYS", "7")
RISK_HALF_LIFE_DAYS = envfloat("RISK_HALF_LIFE_DAYS", "30")
RISK_DEFAULT_MODEL = envstr("RISK_DEFAULT_MODEL", "recency_v1")
RISK_LOOKBACK_DAYS = envint("RISK_LOOKBACK_DAYS", "365")
# Share of cells with a non-zero score per warning level: top 2% red, next 5% orange, next 13% yellow.
RISK_LEVEL_QUANTILES = {
    "red": envfloat("RISK_RED_SHARE", "0.02"),
    "orange": envfloat("RISK_ORANGE_SHARE", "0.05"),
    "yellow": envfloat("RISK_YELLOW_SHARE", "0.13"),
}


def _risk_thresholds(raw: str) -> dict[str, float] | None:
    """Fixed thresholds in expected cases per horizon, "red,orange,yellow" (e.g. "5,2,0.5")."""
    if not raw:
        return None
    try:
        red, orange, yellow = (float(v) for v in raw.split(","))
    except ValueError:
        raise ImproperlyConfigured(f"RISK_LEVEL_THRESHOLDS must be three numbers, got {raw!r}") from None
    return {"red": red, "orange": orange, "yellow": yellow}


# Set for small pilots, where shares of a few dozen cells would never reach red.
RISK_LEVEL_THRESHOLDS = _risk_thresholds(envstr("RISK_LEVEL_THRESHOLDS", ""))

# Audit trail (docs/security.md, "Audit trail"). Behind a reverse proxy the operator runs,
# the client address is the one that proxy appended to X-Forwarded-For; without one, the
# header is the client's own claim and REMOTE_ADDR is used.
AUDIT_TRUST_X_FORWARDED_FOR = envbool("AUDIT_TRUST_X_FORWARDED_FOR", "false")
# Lets audit receivers of model signals know who changed a role or permission, and from
# where. Appended here rather than listed above: it only remembers the request, so its
# position does not matter.
MIDDLEWARE += ["audit.middleware.AuditRequestMiddleware"]

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (31.57, 120.30),
    "DEFAULT_ZOOM": 10,
    "TILES": [("basemap", BASEMAP_TILE_URL, {"attribution": BASEMAP_ATTRIBUTION})] if BASEMAP_TILE_URL else [],
}

# Debian 12 ships GDAL 3.6, which cannot block network access from spatial references; only
# administrators import boundary files, through manage.py.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Hardening (MLPS 2.0 入侵防范, 通信传输): transport, cookies, headers, CSP ------------------
# With DEBUG off every switch defaults to the safe value; each has its own variable for the
# deployments that need another (docs/operations.md, "Production"). `manage.py check
# --deploy` is clean with these defaults (tests/test_hardening.py runs it).
# Level 3 asks for encrypted transport (GB/T 22239-2019 8.1.2.2 通信传输): plain HTTP is redirected.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(not DEBUG))
# Behind a proxy that terminates TLS Django sees plain HTTP; the proxy then says so in
# X-Forwarded-Proto. Only turn this on when the proxy sets that header and overwrites any a
# client sent, or a client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("SECURE_PROXY_SSL_HEADER", "false") else None
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(not DEBUG))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", str(not DEBUG))
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
# HSTS: one year by default. Browsers only honour it over HTTPS, and Django only sends it there.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600))
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
if not SECURE_HSTS_PRELOAD:
    # security.W021 asks for `preload`, a request to be compiled into browsers' HSTS lists.
    # Those lists hold public registrable domains only: an intranet host can never be on
    # them, and a city that serves wangge on a subdomain of its public domain must decide
    # for the whole domain, not this app. SECURE_HSTS_PRELOAD=true adds it where that is decided.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _origins(name: str) -> list[str]:
    origins = [o.strip() for o in envstr(name, "").split(",") if o.strip()]
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ImproperlyConfigured(f"{name} must be scheme://host[:port] items, got {origin!r}")
    return origins


# Origins (scheme://host[:port]) allowed to POST besides this host, e.g. the address a
# TLS proxy is reached at when it rewrites the Host header.
CSRF_TRUSTED_ORIGINS = _origins("CSRF_TRUSTED_ORIGINS")


def _tile_origin(url: str) -> list[str]:
    """The CSP source for the basemap's tile server: its scheme and host, the Leaflet
    subdomain placeholder ({s}.tiles.example) as a wildcard label. A relative URL is 'self'."""
    if not url:
        return []
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return []
    host = parts.netloc
    first, dot, rest = host.partition(".")
    if "{" in first and dot:
        host = f"*.{rest}"
    if parts.scheme not in ("http", "https") or not host or "{" in host:
        raise ImproperlyConfigured(f"BASEMAP_TILE_URL must be an http(s) URL or a path, got {url!r}")
    return [f"{parts.scheme}://{host}"]


# Content Security Policy (django-csp 4): scripts and styles only from this app's own static
# files. The pages pass data in data-* attributes and json_script blocks (not executed), so
# no page needs 'unsafe-inline'. The few third-party pages with an inline script (the API
# docs' Swagger UI, django-leaflet's admin map widget) carry a per-response nonce, which the
# middleware adds to script-src only on the responses that used it.
_csp_report_uri = envstr("CSP_REPORT_URI", "")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *_tile_origin(BASEMAP_TILE_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"report-uri": [_csp_report_uri]} if _csp_report_uri else {}),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # governance.logging masks phone and ID numbers in every line, tracebacks included.
    "formatters": {"masked": {"()": "governance.logging.MaskingFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "masked"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
