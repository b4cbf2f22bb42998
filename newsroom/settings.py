"""Settings for the newsroom project, read from the environment.

Development needs nothing set: SQLite under ``var/``, a local-memory cache, console email.
Production sets at least ``DEBUG=0``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and usually
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``; a missing secret fails loudly.
"""

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def database_from_url(url: str) -> dict:
    """Turn ``DATABASE_URL`` into a Django database dict, refusing schemes we do not run on."""
    import dj_database_url

    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL has the unsupported scheme {scheme!r}: use sqlite:///path/to/db.sqlite3 "
            "or postgres://user:password@host:5432/name."
        )
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.update(sqlite_options())
    return config


def sqlite_options() -> dict:
    # Several processes (gunicorn workers, management commands) write at once. With Django's
    # defaults a read-then-write transaction gets "database is locked" under concurrency;
    # IMMEDIATE takes the write lock up front, WAL lets readers go on, the timeout waits.
    # Every write transaction is short (imports are bounded: bulletins/limits.py), so a
    # writer that waited SQLITE_BUSY_SECONDS gets a clean 503 to retry rather than hanging.
    busy = int(os.environ.get("SQLITE_BUSY_SECONDS", "10"))
    return {
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": busy,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                f"PRAGMA busy_timeout={busy * 1000};"
            ),
        },
    }


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "axes",
    "bulletins",
    "distribution",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "newsroom.middleware.RefuseNulMiddleware",
    "newsroom.middleware.DatabaseBusyMiddleware",
    # in development: the collected, compressed copy while it is up to date (see there)
    "newsroom.middleware.DevelopmentStaticMiddleware"
    if DEBUG
    else "whitenoise.middleware.WhiteNoiseMiddleware",
    # gzip once per distinct page body, not per hit (bulletins/compression.py).
    "bulletins.compression.CachedGzipMiddleware",
    # A conditional GET holding a memoised ETag gets its 304 here, before sessions and views.
    "bulletins.pagecache.NotModifiedMiddleware",
    # A cached public page for a reader without cookies, before everything below.
    "bulletins.pagecache.CachedPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "newsroom.middleware.ChineseUnlessChosenMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "bulletins.middleware.RecordWentLiveMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # SECURE_CSP (below) covers the admin, the API and its docs; the public site's URLs set
    # a stricter policy per view with csp_override (bulletins/urls.py).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

# django-axes counts failed logins (admin and API token) in the database, so every worker sees
# the same count. A username or a client address is locked after AXES_FAILURE_LIMIT failures
# for LOGIN_COOLOFF_MINUTES (axes' default would lock forever); a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "newsroom.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "newsroom.lockout.lockout_response"
AXES_VERBOSE = False
# Addresses (or networks) of reverse proxies whose X-Forwarded-For is believed; empty: none.
NEWSROOM_TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# Everything that does not set its own policy (the admin, the API, the shared preview): our
# own scripts and styles only, an inline <script>/<style> only with this response's nonce.
# The Django admin needs nothing more; the API docs widen it for themselves (api/urls.py).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"
ASGI_APPLICATION = "newsroom.asgi.application"

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
                "bulletins.context_processors.publication",
                "django.template.context_processors.csp",
                "bulletins.context_processors.desk",
            ],
        },
    },
]

VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# State every worker must agree on (API throttle counts): Redis when there is one, else files
# under VAR_DIR, which all processes on this machine share (local memory is per process).
CACHES["shared"] = (
    {**CACHES["default"], "KEY_PREFIX": CACHES["default"]["KEY_PREFIX"] + ":shared"}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "shared"),
    }
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# WhiteNoise serves static files in development too (``runserver --nostatic``; the
# whitenoise.runserver_nostatic app makes a plain runserver do the same): a changed file is
# picked up at once (autorefresh, finders), the gzip/brotli copies ``collectstatic`` writes
# (``make run`` runs it) are served to browsers that accept them, and a page's CSS and JS
# are kept for ten minutes instead of being asked for again on every admin page.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:
    WHITENOISE_MAX_AGE = 600
# Uploads larger than this are refused before Pillow ever sees them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "newsroom@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "EMAIL_BACKEND_CLASS",
            "django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
        "OPTIONS": {
            key: value
            for key, value in {
                "host": os.environ.get("SMTP_HOST"),
                "port": int(os.environ["SMTP_PORT"]) if os.environ.get("SMTP_PORT") else None,
                "username": os.environ.get("SMTP_USER"),
                "password": os.environ.get("SMTP_PASSWORD"),
                "use_tls": env_bool("SMTP_USE_TLS", False) or None,
            }.items()
            if value is not None
        },
    }
}

# Background work (the daily email, notices, webhooks) runs in `manage.py db_worker`, which
# `make run` starts beside the server; the tasks are rows in the database (django-tasks-db).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

LOGIN_URL = "admin:login"

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns "not signed in" into a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["bulletins.api.permissions.ReadAnyoneWriteAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "bulletins.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "bulletins.api.exceptions.api_exception_handler",
    # ?format= belongs to the export endpoint (text|markdown|html), not to content negotiation.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_THROTTLE_CLASSES": [
        "bulletins.api.throttling.AnonRateThrottle",
        "bulletins.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "120/minute"),
        "user": os.environ.get("API_USER_RATE", "1200/minute"),
        "auth": os.environ.get("API_AUTH_RATE", "20/minute"),
    },
}
# Origins allowed to read the API from a browser (GET/HEAD/OPTIONS only); "*" for any.
API_CORS_ALLOWED_ORIGINS = env_list("API_CORS_ALLOWED_ORIGINS", "*")

SPECTACULAR_SETTINGS = {
    "TITLE": "医药健闻 Newsroom API",
    "DESCRIPTION": (
        "Bulletins (日报), items, entities and sections. Anyone may read what is published; "
        "editorial roles (token or session) also see and write unpublished work, through the "
        "same workflow rules as the admin. Errors are {code, message, field_errors}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "BulletinStatusEnum": "bulletins.models.BulletinStatus",
        "ItemStatusEnum": "bulletins.models.ItemStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bulletins.api.schema.document_errors",
    ],
}

# Publication facts used before the PublicationSettings row exists (first migrate, tests).
NEWSROOM_PUBLICATION_NAME = os.environ.get("PUBLICATION_NAME", "医药健闻")
NEWSROOM_SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Public pages and feeds served from the cache for this long (0: off). The cache key follows
# publishing, corrections, retractions and scheduled issues going live (bulletins/views.py).
NEWSROOM_PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "0" if DEBUG else "300"))
# Largest image upload (item image, entity logo) accepted, in bytes; see bulletins/images.py.
NEWSROOM_MAX_IMAGE_BYTES = int(os.environ.get("MAX_IMAGE_BYTES", 5 * 1024 * 1024))
# An import warns about an item near-identical to one published in this many days before.
NEWSROOM_DUPLICATE_DAYS = int(os.environ.get("DUPLICATE_DAYS", 7))

# Distribution (distribution/): subscriptions, the daily email, webhooks.
# The mailer (a MAILERS alias) the newsletter and notices go through.
NEWSROOM_NEWSLETTER_MAILER = os.environ.get("NEWSLETTER_MAILER", "default")
# A confirmation link is valid this long; an unconfirmed address gets nothing.
NEWSROOM_CONFIRM_LINK_DAYS = int(os.environ.get("CONFIRM_LINK_DAYS", "3"))
# A worker holds the deliveries it claimed this long; a dead worker's claims are taken over after.
NEWSROOM_DELIVERY_LEASE_SECONDS = int(os.environ.get("DELIVERY_LEASE_SECONDS", "120"))
NEWSROOM_DELIVERY_BATCH = int(os.environ.get("DELIVERY_BATCH", "100"))
# SMTP connections a worker sends on at once (one keeps the console output of `make run` tidy).
NEWSROOM_MAIL_CONNECTIONS = int(os.environ.get("MAIL_CONNECTIONS", "1" if DEBUG else "4"))
# Failed sends are retried after base·2^(attempt-1) seconds, then recorded as failed.
NEWSROOM_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("DELIVERY_MAX_ATTEMPTS", "5"))
NEWSROOM_DELIVERY_RETRY_SECONDS = int(os.environ.get("DELIVERY_RETRY_SECONDS", "60"))
# Subscribe form: at most this many requests per address and per client an hour.
NEWSROOM_SUBSCRIBE_PER_ADDRESS = int(os.environ.get("SUBSCRIBE_PER_ADDRESS", "3"))
NEWSROOM_SUBSCRIBE_PER_CLIENT = int(os.environ.get("SUBSCRIBE_PER_CLIENT", "20"))
# Behind a reverse proxy every request comes from the proxy: name the header it sets with the
# client's address (as a META key, e.g. HTTP_X_REAL_IP); unset, REMOTE_ADDR is used.
NEWSROOM_CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
# Webhook targets on private, loopback or link-local addresses (SSRF) and plain http are
# refused unless this is on (development and tests only).
NEWSROOM_WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", DEBUG)
NEWSROOM_WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
