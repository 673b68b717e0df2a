"""Settings for Thoughtflow, read from the environment.

With no variable set, everything runs on embedded defaults: SQLite, Channels'
in-memory layer, django-q2's ORM broker, the offline LLM provider and the
local carrier. The README's variables table lists every variable read here.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from thoughtflow.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("THOUGHTFLOW_VAR_DIR") or BASE_DIR / "var")

# litellm reads these at import time; without them it fetches a price map
# from the internet on first import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")

PRODUCTION = env_bool("PRODUCTION", default=False)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env_secret(
    "SECRET_KEY", required=PRODUCTION, fallback_file=VAR_DIR / "secret_key"
)

# The address Twilio and browsers use to reach this installation. Webhook
# signatures are computed over it, so it must match what the sender sees,
# proxies included.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_public = urlsplit(PUBLIC_BASE_URL)
if not _public.scheme or not _public.hostname:
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be an absolute URL such as https://sms.example.com; "
        f"got {PUBLIC_BASE_URL!r}."
    )
# Keys for secrets stored in the database; see thoughtflow/crypto.py.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    [_public.hostname] + ([] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]),
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", [f"{_public.scheme}://{_public.netloc}"]
)

INSTALLED_APPS = [
    "daphne",
    "thoughtflow.apps.ThoughtflowAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_q",
    "thoughtflow",
    "integrations.crm",
    "integrations.twilio",
    "conversations",
    "workflows",
]

MIDDLEWARE = [
    "thoughtflow.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "thoughtflow.urls"
WSGI_APPLICATION = "thoughtflow.wsgi.application"
ASGI_APPLICATION = "thoughtflow.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "thoughtflow.context_processors.workspace",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default, PostgreSQL through DATABASE_URL.
# Persistent connections matter beyond speed: django-q2's ORM broker closes
# non-persistent connections on every enqueue.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "thoughtflow.sqlite3"),
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two
        # writers queue for it instead of one failing halfway through.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when configured, carries the channel layer and the cache. Without
# it the cache lives in the database so that every process (web server,
# worker) sees the same values, such as the worker heartbeat.
REDIS_URL = env_str("REDIS_URL")
REDIS_PREFIX = env_str("REDIS_PREFIX", "thoughtflow")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # redis-py 8 gives up on a read after 5 s by default:
                        # the moment channels-redis's blocking pop on an idle
                        # channel ends. When the timeout wins, the consumer
                        # dies and its websocket closes, so reads wait longer
                        # than the pop.
                        "socket_timeout": 15,
                        # redis-py 8 refuses a 101st connection rather than
                        # wait for one. Each websocket joining or leaving its
                        # groups holds one, so 200 agents reconnecting to one
                        # server at once saw some handshakes fail with 500.
                        "max_connections": 1000,
                    }
                ],
                "prefix": f"{REDIS_PREFIX}:ws",
                # The default of 100 drops messages silently during bursts.
                "capacity": 1000,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "thoughtflow_cache",
        }
    }

# How often each open inbox reads the events its pushes may have missed.
# With Redis pushes rarely go missing, so this is a safety net; the
# in-memory layer never carries the worker's pushes to the web server.
INBOX_CATCH_UP_SECONDS = 20.0 if REDIS_URL else 1.0

# django-q2 keeps its queue in the same database as everything else, so a
# task enqueued inside a transaction commits or rolls back with it. The
# queue is only a wake-up signal: every task re-reads the database and is
# safe to run twice.
Q_CLUSTER = {
    "name": "thoughtflow",
    "orm": "default",
    "workers": env_int("WORKER_PROCESSES", 2),
    "timeout": 60,
    "retry": 90,
    "poll": 0.2,
    # Take up to ten queued tasks per broker round trip.
    "bulk": 10,
    "catch_up": False,
    # Successful results are not kept: the rows a task changed are the
    # record. Failures are, for the admin's task list.
    "save_limit": -1,
    "sync": env_bool("TASKS_RUN_INLINE", default=False),
}

# Functions the worker's claimer loop calls to wake due work; see
# thoughtflow/claimer.py.
CLAIMERS = [
    "conversations.delivery.claim_due_messages",
    "workflows.engine.executor.claim_due_steps",
    "workflows.engine.campaigns.claim_due_campaigns",
]
CLAIMER_POLL_S = 0.2
# A step's node is leased while it executes; past this, another worker may
# take it over (its side effects are keyed by step, so none repeats).
STEP_LEASE_S = env_int("STEP_LEASE_S", 120)
STEP_CLAIM_LEASE_S = env_int("STEP_CLAIM_LEASE_S", 30)

# Messaging. The Twilio base URL is a setting so the real SDK can be pointed
# at a Twilio-compatible server.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "https://api.twilio.com")
TWILIO_HTTP_TIMEOUT_S = env_int("TWILIO_HTTP_TIMEOUT_S", 15)
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
if bool(TWILIO_ACCOUNT_SID) != bool(TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured(
        "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together: set both, or unset "
        "both to use the local carrier."
    )
if TWILIO_ACCOUNT_SID and not (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID):
    raise ImproperlyConfigured(
        "TWILIO_ACCOUNT_SID is set but neither TWILIO_FROM_NUMBER nor "
        "TWILIO_MESSAGING_SERVICE_SID is: set the number or service to send from."
    )
# A message being submitted is leased for this long; the HTTP timeout must
# stay below it, so a live worker's message is never taken over.
SMS_SEND_LEASE_S = env_int("SMS_SEND_LEASE_S", TWILIO_HTTP_TIMEOUT_S * 2 + 5)
if SMS_SEND_LEASE_S <= TWILIO_HTTP_TIMEOUT_S:
    raise ImproperlyConfigured(
        "SMS_SEND_LEASE_S must be longer than TWILIO_HTTP_TIMEOUT_S, or a slow send "
        "could be taken over and sent twice."
    )
SMS_CLAIM_LEASE_S = env_int("SMS_CLAIM_LEASE_S", 30)

# The SMS agent's language model: any litellm model string. The offline
# provider is deterministic and needs no network; vendors read their keys
# (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) from the environment themselves.
LLM_MODEL = env_str("LLM_MODEL", "thoughtflow/offline")
LLM_FALLBACK_MODELS = [
    model.strip()
    for model in env_str("LLM_FALLBACK_MODELS").split(",")
    if model.strip()
]
LLM_API_BASE = env_str("LLM_API_BASE")
# Every model call has this timeout; litellm's own default is ten minutes.
LLM_TIMEOUT_S = env_int("LLM_TIMEOUT_S", 20)
LLM_RETRIES = env_int("LLM_RETRIES", 1)
# A waiting agent step is leased while its turn is thought out: long enough
# for every model and retry to time out once.
AGENT_TURN_LEASE_S = env_int(
    "AGENT_TURN_LEASE_S", LLM_TIMEOUT_S * (LLM_RETRIES + 1) * 3 + 30
)
WEBHOOK_MAX_BYTES = 64 * 1024

AUTH_USER_MODEL = "thoughtflow.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns on every request when the folder is missing, as it is
# until the first collectstatic.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Vite's build output (`npm run build` in frontend/), served as static/frontend/.
STATICFILES_DIRS = [("frontend", BASE_DIR / "frontend" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads larger than this are refused before a view sees them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "thoughtflow.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["thoughtflow.api.permissions.IsWorkspaceMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "thoughtflow.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Thoughtflow API",
    "DESCRIPTION": (
        "Contacts, workflows and conversations of one workspace. Authenticate "
        "with an API key (`Authorization: Bearer tf_...`) or a browser session."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {"type": "http", "scheme": "bearer"},
        }
    },
    "SECURITY": [{"ApiKeyAuth": []}],
    # Several models have a `status`; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "WorkflowStatusEnum": "workflows.models.Workflow.Status",
        "RunStatusEnum": "workflows.models.Run.Status",
        "StepStatusEnum": "workflows.models.Step.Status",
        "HandoffStatusEnum": "workflows.models.Handoff.Status",
        "CampaignStatusEnum": "workflows.models.Campaign.Status",
    },
}

CONTACT_IMPORT_MAX_ROWS = env_int("CONTACT_IMPORT_MAX_ROWS", 10_000)

# Production hardening; `manage.py check --deploy` passes with PRODUCTION on.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "thoughtflow.logs.ContextFilter"}},
    "formatters": {"keyvalue": {"()": "thoughtflow.logs.KeyValueFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "keyvalue",
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "thoughtflow": {"level": LOG_LEVEL},
        "integrations": {"level": LOG_LEVEL},
        "conversations": {"level": LOG_LEVEL},
        "workflows": {"level": LOG_LEVEL},
        "django_q": {"level": "WARNING"},
    },
}
