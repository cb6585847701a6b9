"""Connector Workbench settings: one module, driven by the environment.

Every setting that differs between a laptop and production is read from an
environment variable with a default that runs with nothing but Python: a SQLite
file and a file-system Celery broker.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# From the source tree the templates and static files are at its top; an installed wheel
# carries them inside this package (setup.py copies them to config/site/).
SOURCE_TREE = (BASE_DIR / "manage.py").is_file()
SITE_DIR = BASE_DIR if SOURCE_TREE else Path(__file__).resolve().parent / "site"


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable: true/false, 1/0, yes/no, on/off; anything else is refused."""
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a boolean: "
        "use true or false (also 1/0, yes/no, on/off)."
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("WORKBENCH_VAR_DIR", str((BASE_DIR if SOURCE_TREE else Path.cwd()) / "var")))

DEBUG = env_bool("DEBUG", False)
# The web server refuses to start with this key while DEBUG is off (config/startup.py).
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me-in-production"
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")


def env_proxy_header(name: str) -> tuple[str, str] | None:
    """``X-Forwarded-Proto: https`` -> ("HTTP_X_FORWARDED_PROTO", "https"); unset: None."""
    value = env_str(name, "").strip()
    if not value:
        return None
    header, separator, expected = value.partition(":")
    if not separator or not header.strip() or not expected.strip():
        raise ImproperlyConfigured(
            f"{name}={value!r} is not 'Header-Name: value' (e.g. 'X-Forwarded-Proto: https')."
        )
    return "HTTP_" + header.strip().upper().replace("-", "_"), expected.strip()


# --- Behind TLS (see the README's "Production" section) ----------------------------------------
# Only a proxy that sets this header itself (and drops a client's copy) may be trusted with it.
SECURE_PROXY_SSL_HEADER = env_proxy_header("SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "connectors",
    "connectors.notifications",
    "certification",
]

MIDDLEWARE = [
    "connectors.monitoring.RequestMetricsMiddleware",
    "connectors.middleware.CorrelationIdMiddleware",
    # /healthz and /metrics, ahead of host validation and the HTTPS redirect (probes).
    "connectors.monitoring.ProbeMiddleware",
    "connectors.middleware.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'workbench.sqlite3'}"),
        # Under ASGI each request's sync code runs in a thread that ends with it: a
        # connection kept for reuse (CONN_MAX_AGE > 0) would stay open with the dead thread.
        # Connections are given back after every request instead (to the pool, below).
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if env_str("TEST_DATABASE_NAME", ""):
    # Lets several test runs share one PostgreSQL server without colliding.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding lets psycopg prepare the statements every request repeats, so
    # PostgreSQL plans them once per connection instead of on every request.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 2}
    )
    # psycopg's pool: each process holds at most DATABASE_POOL_MAX_SIZE connections, however
    # many requests or threads it runs; one more waits for a free connection (up to
    # DATABASE_POOL_TIMEOUT_SECONDS). 0 turns the pool off (one connection per request).
    _pool_max_size = env_int("DATABASE_POOL_MAX_SIZE", 10)
    if _pool_max_size > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections, not Django
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(2, _pool_max_size),
            "max_size": _pool_max_size,
            "timeout": env_int("DATABASE_POOL_TIMEOUT_SECONDS", 10),
            "max_idle": 300,  # idle connections above min_size close after five minutes
        }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [SITE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# WhiteNoise serves the static files from the app server itself (no CDN, no extra server);
# in production from STATIC_ROOT after collectstatic, in development straight from the apps.
WHITENOISE_USE_FINDERS = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"

CACHES = {
    "default": (
        {
            # Django's Redis cache, answering as an empty cache while Redis is unreachable:
            # everything cached can be recomputed from the database.
            "BACKEND": "config.cache.OutageTolerantRedisCache",
            "LOCATION": env_str("REDIS_URL", ""),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if env_str("REDIS_URL", "")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["connectors.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "connectors.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Connector Workbench API",
    "DESCRIPTION": (
        "The commercetools Connect ConnectorStaged and Connector API, served by Connector "
        "Workbench. Authenticate with POST /oauth/token (client credentials)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, within the CSP;
    # no outside validator badge.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- OAuth 2 (client credentials) -----------------------------------------------------------
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("ACCESS_TOKEN_EXPIRE_SECONDS", 48 * 3600),
    "SCOPES_BACKEND_CLASS": "connectors.oauth.ProjectScopes",
    "OAUTH2_VALIDATOR_CLASS": "connectors.oauth.ClientCredentialsValidator",
    "ALLOWED_GRANT_TYPES": ["client_credentials"],
    # No authorization-code grant is served; were one added, it would need PKCE and https.
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Access tokens at rest: only their SHA-256 checksum (the lookup key), never the token.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Only client credentials are served; the OAuth security BCP's behaviour for the other
    # grants too, so that `check --deploy` has nothing to say about them.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}

OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

# How long a process trusts a token it has just looked up (revocation reaches the other
# processes within this time; the revoking process refuses the token at once).
CONNECTORS_TOKEN_CACHE_SECONDS = env_int("CONNECTORS_TOKEN_CACHE_SECONDS", 5)
# Failed client authentications (POST /oauth/token, /oauth/introspect) allowed per client id
# and per address within the window; past them the caller gets 429 until the window ends.
CONNECTORS_AUTH_FAILURES_PER_CLIENT = env_int("CONNECTORS_AUTH_FAILURES_PER_CLIENT", 10)
CONNECTORS_AUTH_FAILURES_PER_ADDRESS = env_int("CONNECTORS_AUTH_FAILURES_PER_ADDRESS", 50)
CONNECTORS_AUTH_FAILURE_WINDOW_SECONDS = env_int("CONNECTORS_AUTH_FAILURE_WINDOW_SECONDS", 300)

# --- Request limits -------------------------------------------------------------------------
# Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MiB) are refused with a 413.
CONNECTORS_MAX_QUERY_PARAMETERS = env_int("CONNECTORS_MAX_QUERY_PARAMETERS", 100)

# --- Repositories and pipelines -------------------------------------------------------------
CONNECTORS_ALLOW_LOCAL_REPOSITORIES = env_bool("CONNECTORS_ALLOW_LOCAL_REPOSITORIES", False)
CONNECTORS_GIT_TIMEOUT_SECONDS = env_int("CONNECTORS_GIT_TIMEOUT_SECONDS", 60)
# Create and setRepository read connect.yaml while the caller waits: all of it within this.
CONNECTORS_REQUEST_GIT_TIMEOUT_SECONDS = env_int("CONNECTORS_REQUEST_GIT_TIMEOUT_SECONDS", 10)
CONNECTORS_REPOSITORY_MAX_BYTES = env_int("CONNECTORS_REPOSITORY_MAX_BYTES", 200 * 1024 * 1024)
CONNECTORS_REPOSITORY_MAX_FILES = env_int("CONNECTORS_REPOSITORY_MAX_FILES", 20_000)
CONNECTORS_SPEC_MAX_BYTES = env_int("CONNECTORS_SPEC_MAX_BYTES", 256 * 1024)
# What changed since a certifier's last review (connectors/diffs.py): each file's unified diff
# and all of them together are cut past these sizes, and the comparison's git commands share
# this many seconds.
CONNECTORS_DIFF_MAX_FILE_BYTES = env_int("CONNECTORS_DIFF_MAX_FILE_BYTES", 64 * 1024)
CONNECTORS_DIFF_MAX_TOTAL_BYTES = env_int("CONNECTORS_DIFF_MAX_TOTAL_BYTES", 1024 * 1024)
CONNECTORS_DIFF_SECONDS = env_int("CONNECTORS_DIFF_SECONDS", 120)
# Secret scanning: larger files are not read (an Information entry names them), and the whole
# scan stops after this many seconds with a Warning counting the files it did not reach.
CONNECTORS_SECRET_MAX_FILE_BYTES = env_int("CONNECTORS_SECRET_MAX_FILE_BYTES", 2 * 1024 * 1024)
CONNECTORS_SECRET_SCAN_SECONDS = env_int("CONNECTORS_SECRET_SCAN_SECONDS", 60)
# A check whose outside service fails for now is tried again, with backoff, for this long;
# then it ends with an Error entry naming what could not be reached.
CONNECTORS_CHECK_RETRY_SECONDS = env_int("CONNECTORS_CHECK_RETRY_SECONDS", 60)
# Bounds on what a repository can make a run write: findings past these are counted in one
# summary entry instead.
CONNECTORS_MAX_ENTRIES_PER_CHECK = env_int("CONNECTORS_MAX_ENTRIES_PER_CHECK", 100)
CONNECTORS_MAX_ENTRIES_PER_RUN = env_int("CONNECTORS_MAX_ENTRIES_PER_RUN", 500)
# OSV advisory data, imported by `manage.py sync_advisories` (daily by Celery beat): URLs or
# paths of OSV export zips, or folders of OSV JSON files (air-gapped), separated by spaces or
# commas. Dependency analysis reads only the imported copy and warns when it is older than
# CONNECTORS_ADVISORY_MAX_AGE_DAYS.
CONNECTORS_ADVISORY_SOURCE = env_str("CONNECTORS_ADVISORY_SOURCE", "") or (
    "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip "
    "https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip"
)
CONNECTORS_ADVISORY_MAX_AGE_DAYS = env_int("CONNECTORS_ADVISORY_MAX_AGE_DAYS", 7)
CONNECTORS_ADVISORY_SYNC_HOUR = env_int("CONNECTORS_ADVISORY_SYNC_HOUR", 3)  # UTC, daily
# Runs whose heartbeat stopped this long ago are failed by the periodic sweep
# (pipelines beat every 5 s, so a minute of silence means the worker is gone).
CONNECTORS_STALE_RUN_SECONDS = env_int("CONNECTORS_STALE_RUN_SECONDS", 60)
# A queued run whose task never reached the broker, or that no worker took this long after
# it was sent (the broker may have lost it), is sent again by the sweep...
CONNECTORS_RESEND_RUN_SECONDS = env_int("CONNECTORS_RESEND_RUN_SECONDS", 120)
# ...and failed when still unclaimed this long after it was requested.
CONNECTORS_UNCLAIMED_RUN_SECONDS = env_int("CONNECTORS_UNCLAIMED_RUN_SECONDS", 30 * 60)
# Where runs check repositories out ("run-<run id>-…"); a worker clears, when it starts,
# the checkouts no live run owns (left by a worker that was killed).
CONNECTORS_CHECKOUT_DIR = env_str(
    "CONNECTORS_CHECKOUT_DIR", str(Path(tempfile.gettempdir()) / "connector-workbench-checkouts")
)

# --- Build and unit-test checks (connectors/sandbox.py, connectors/checks/build.py) ------
# Whether previews and publishes run them. Off by default: on real published connectors they
# still fail for reasons of this server's build environment (Node and npm versions, installs
# through the sandbox), which would make a good connector's preview "false".
CONNECTORS_BUILD_CHECKS = env_bool("CONNECTORS_BUILD_CHECKS", False)
# "bubblewrap" runs a connector's install, build and tests in bwrap; "none" runs them
# unisolated and is for development machines only. Without bubblewrap the checks refuse.
CONNECTORS_SANDBOX = env_str("CONNECTORS_SANDBOX", "bubblewrap")
# A worker running as root runs its sandboxes as this unprivileged user (default: nobody).
CONNECTORS_SANDBOX_UID = env_int("CONNECTORS_SANDBOX_UID", 65534)
# Dependency installs by lockfile, Node and package manager, and fetched Node versions and
# package managers; shared by the runs of every worker of this machine. The sandbox's user must
# be able to reach it (every parent folder searchable), so it is not under var/ by default.
CONNECTORS_BUILD_CACHE_DIR = Path(
    env_str(
        "CONNECTORS_BUILD_CACHE_DIR",
        str(Path(os.environ.get("TMPDIR") or "/tmp") / "connector-workbench-build"),
    )
)
CONNECTORS_BUILD_CACHE_ENTRIES = env_int("CONNECTORS_BUILD_CACHE_ENTRIES", 40)
# Applications built side by side in one run.
CONNECTORS_BUILD_CONCURRENCY = env_int("CONNECTORS_BUILD_CONCURRENCY", 2)
# Limits of each step (install, build, test) of each application.
CONNECTORS_BUILD_STEP_SECONDS = env_int("CONNECTORS_BUILD_STEP_SECONDS", 300)
CONNECTORS_BUILD_MEMORY_BYTES = env_int("CONNECTORS_BUILD_MEMORY_BYTES", 4 * 1024**3)
CONNECTORS_BUILD_PROCESSES = env_int("CONNECTORS_BUILD_PROCESSES", 512)
CONNECTORS_BUILD_FILE_BYTES = env_int("CONNECTORS_BUILD_FILE_BYTES", 1024**3)
CONNECTORS_BUILD_OUTPUT_BYTES = env_int("CONNECTORS_BUILD_OUTPUT_BYTES", 512 * 1024)
# Dependencies whose own install scripts run (in the sandbox without network, after the
# install): package names, comma-separated. The application's own install scripts always run.
CONNECTORS_BUILD_INSTALL_SCRIPTS = env_list("CONNECTORS_BUILD_INSTALL_SCRIPTS", "")
# A folder in Maven repository layout (e.g. a pre-filled ~/.m2/repository, readable by
# others) that Maven builds read before Maven Central; empty for none.
CONNECTORS_BUILD_MAVEN_REPOSITORY = env_str("CONNECTORS_BUILD_MAVEN_REPOSITORY", "")

# --- Certification (certification/) -----------------------------------------------------------
# A submission is due this many working days (Monday to Friday) after it entered the queue.
CERTIFICATION_DUE_WORKING_DAYS = env_int("CERTIFICATION_DUE_WORKING_DAYS", 3)
# A claim older than this is given back to the queue by Celery beat (every 5 minutes).
CERTIFICATION_CLAIM_HOURS = env_int("CERTIFICATION_CLAIM_HOURS", 24)

# --- Notifications and webhooks (connectors/notifications/) ------------------------------------
# Emails go through SMTP when EMAIL_HOST is set, else to the console (the process's output).
_email_host = env_str("EMAIL_HOST", "")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            },
        }
        if _email_host
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Connector Workbench <workbench@localhost>")
# The dashboard's address as people reach it: the links in emails start with it.
WORKBENCH_BASE_URL = env_str("WORKBENCH_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Webhook targets on loopback, private, link-local or reserved networks are refused (at
# registration and at each delivery) unless this is on.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
# A delivery is tried this many times, waiting base × 2^(n-1) seconds after the n-th failure.
WEBHOOKS_MAX_ATTEMPTS = env_int("WEBHOOKS_MAX_ATTEMPTS", 8)
WEBHOOKS_RETRY_BASE_SECONDS = env_int("WEBHOOKS_RETRY_BASE_SECONDS", 30)
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)
# Sent events and their delivery logs are kept this many days.
WEBHOOKS_LOG_DAYS = env_int("WEBHOOKS_LOG_DAYS", 30)
# How often Celery beat fans out events whose request never reached the broker and sends
# again deliveries whose task was lost.
NOTIFICATIONS_SWEEP_INTERVAL_SECONDS = env_int("NOTIFICATIONS_SWEEP_INTERVAL_SECONDS", 30)

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # No acknowledgement bookkeeping in Redis: kombu's emulation makes the worker
        # restore unacknowledged messages when its connection drops, through a transport
        # it has already detached, and the worker dies ("'NoneType' object has no attribute
        # 'hostname'"). Runs do not need it: a run's state is in the database, a redelivered
        # task finds its run claimed, the sweep sends QUEUED runs again and fails runs whose
        # heartbeat stopped.
        "ack_emulation": False,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
        "socket_keepalive": True,
        "retry_on_timeout": True,
        "health_check_interval": 10,
    }
# The worker and beat wait for the broker as long as it takes, at start-up and after a loss.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Sending a task waits little for an unreachable broker (a request is waiting on it); a run
# whose task was not sent stays QUEUED and the sweep sends it again.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# A running run does not need the broker: it goes on through an outage and ends normally.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "connectors")
CELERY_BEAT_SCHEDULE = {
    "sweep-interrupted-runs": {
        "task": "connectors.sweep_interrupted_runs",
        "schedule": env_int("CONNECTORS_SWEEP_INTERVAL_SECONDS", 30),
    },
    "sync-advisories": {
        "task": "connectors.sync_advisories",
        "schedule": crontab(hour=CONNECTORS_ADVISORY_SYNC_HOUR, minute=0),
    },
    "notifications-sweep": {
        "task": "notifications.sweep",
        "schedule": NOTIFICATIONS_SWEEP_INTERVAL_SECONDS,
    },
    "release-expired-claims": {
        "task": "certification.release_expired_claims",
        "schedule": 5 * 60,
    },
}
# Live report events: Redis pub/sub when a Redis URL is configured, else the database.
CONNECTORS_EVENTS_REDIS_URL = env_str("CONNECTORS_EVENTS_REDIS_URL", env_str("REDIS_URL", ""))

# --- Logs, health and metrics ------------------------------------------------------------------
# One line per record on stderr, text or JSON, each with the request's correlation id and the
# run's id (config/logs.py). The worker and beat log the same way (Celery leaves them alone).
LOGGING = logging_config(
    log_format=env_choice("LOG_FORMAT", "text", ("text", "json")),
    level=env_choice(
        "LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")
    ).upper(),
)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# /metrics answers these addresses (IPs or networks, comma-separated) and, from anywhere, a
# request with "Authorization: Bearer <METRICS_TOKEN>"; everyone else gets a 404.
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1")
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Workers record a heartbeat this often; /healthz answers 503 when the newest is older than
# HEALTH_WORKER_MAX_AGE_SECONDS (no worker is taking runs).
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10)
HEALTH_WORKER_MAX_AGE_SECONDS = env_int("HEALTH_WORKER_MAX_AGE_SECONDS", 60)
