"""Settings for smoove, read from environment variables.

Development and the embedded demo need no configuration: without
DATABASE_URL the database is SQLite, and without REDIS_URL Celery uses a
folder on disk as its broker. Production (DEBUG off) refuses to start
without SECRET_KEY.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-not-secret"  # noqa: S105 - refused above when DEBUG is off

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Absolute address of the site, used in links that leave the browser
# (password reset, invitations, later email tracking).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "smoove",
    "contacts",
    "lists",
    "forms",
    "campaigns",
    "automation",
    "coupons",
    "stores",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "smoove.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "smoove.middleware.AccountMiddleware",
]

ROOT_URLCONF = "smoove.urls"
WSGI_APPLICATION = "smoove.wsgi.application"

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
                "django.template.context_processors.i18n",
                "smoove.context_processors.account",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
EMBEDDED = not DATABASE_URL
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{BASE_DIR / 'var' / 'smoove.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if EMBEDDED:
    # SQLite waits for a lock instead of failing at once, because the demo's
    # web process and worker write to the same file.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "smoove.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "he"
LANGUAGES = [("he", _("Hebrew")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Israeli businesses read dates day first in either language.
FORMAT_MODULE_PATH = ["smoove.formats"]
DEFAULT_ACCOUNT_TIME_ZONE = "Asia/Jerusalem"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development static files come straight from the app folders; production
# serves what collectstatic gathered in STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"
# Uploaded imports can be large; the view streams them to MEDIA_ROOT.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email: SMTP when EMAIL_HOST is set, Amazon SES when EMAIL_BACKEND names it,
# and otherwise files in var/outbox that the demo can show.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
EMAIL_FILE_PATH = BASE_DIR / "var" / "outbox" / "email"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "smoove <no-reply@smoove.local>")
AWS_SES_REGION_NAME = env_str("AWS_SES_REGION_NAME", "eu-west-1")
AWS_SES_REGION_ENDPOINT = env_str("AWS_SES_REGION_ENDPOINT", "email.eu-west-1.amazonaws.com")

TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")

# Campaign channels. Empty means: email follows EMAIL_BACKEND (SMTP, SES or,
# by default, the local outbox); SMS and WhatsApp use Twilio when
# TWILIO_ACCOUNT_SID is set and the local outbox otherwise.
CAMPAIGNS_EMAIL_BACKEND = env_str("CAMPAIGNS_EMAIL_BACKEND")  # smtp, ses or outbox
CAMPAIGNS_TEXT_BACKEND = env_str("CAMPAIGNS_TEXT_BACKEND")  # twilio or outbox
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")  # empty: https://api.twilio.com
TWILIO_SMS_FROM = env_str("TWILIO_SMS_FROM")
TWILIO_WHATSAPP_FROM = env_str("TWILIO_WHATSAPP_FROM")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
# SNS topics whose SES notifications are accepted, and certificates trusted
# without download (PEM file paths keyed by SigningCertURL; tests only).
SES_SNS_TOPIC_ARNS = env_list("SES_SNS_TOPIC_ARNS")
SES_SNS_TRUSTED_CERTS: dict[str, str] = {}
SES_SNS_CONFIRM_BASE_URL = ""  # tests only: the address of a local fake SNS server
# A claimed delivery whose worker has not marked it within this many
# seconds is taken over by the reaper (unsent) or counted ambiguous.
CAMPAIGNS_CLAIM_LEASE_SECONDS = env_int("CAMPAIGNS_CLAIM_LEASE_SECONDS", 600)
# Messages one account may release per minute on each channel, across all of
# its sends (0 for no limit). The defaults stay under common provider limits:
# SES production accounts start at 14 emails a second, and a Twilio sender
# number takes about one SMS a second. Raise them with the provider's quota.
CAMPAIGNS_MAX_PER_MINUTE = {
    "email": env_int("CAMPAIGNS_EMAIL_PER_MINUTE", 600),
    "sms": env_int("CAMPAIGNS_SMS_PER_MINUTE", 60),
    "whatsapp": env_int("CAMPAIGNS_WHATSAPP_PER_MINUTE", 60),
}
# The share of those limits one smoove account may take per minute, so that
# one tenant's newsletter cannot use a shared provider account's whole quota.
# A channel left out here is capped by its provider limit alone.
CAMPAIGNS_ACCOUNT_MAX_PER_MINUTE = {
    channel: env_int(f"CAMPAIGNS_ACCOUNT_{channel.upper()}_PER_MINUTE", 0)
    for channel in CAMPAIGNS_MAX_PER_MINUTE
    if os.environ.get(f"CAMPAIGNS_ACCOUNT_{channel.upper()}_PER_MINUTE")
}

# Celery. Without REDIS_URL the broker is a folder on disk, so the demo runs
# a real worker and beat with no services installed.
REDIS_URL = env_str("REDIS_URL")
CELERY_FILESYSTEM_BROKER_DIR = BASE_DIR / "var" / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Redelivery of an unacknowledged task waits this long. Tasks here
        # never use long countdowns, so one hour is safe.
        "visibility_timeout": 3600,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each job family has its own queue (names in smoove.queues), so a big import
# or newsletter cannot starve real-time flow steps.
CELERY_TASK_ROUTES = {
    "contacts.tasks.*": {"queue": "imports"},
    "campaigns.tasks.*": {"queue": "sends"},
    "automation.tasks.*": {"queue": "engine"},
}
# Periodic tasks expire at about 1.5 times their interval, so a backlog of
# ticks after an outage runs once, not many times.
CELERY_BEAT_SCHEDULE = {
    "contacts-requeue-stalled-imports": {
        "task": "contacts.tasks.requeue_stalled_imports",
        "schedule": 300.0,
        "options": {"expires": 450},
    },
    # Flow steps and waits: a tick every 2 seconds keeps a form-to-email
    # latency of a few seconds.
    "automation-tick": {
        "task": "automation.tasks.tick",
        "schedule": 2.0,
        "options": {"expires": 3},
    },
    "campaigns-tick": {
        "task": "campaigns.tasks.tick",
        "schedule": 10.0,
        "options": {"expires": 15},
    },
    # Writes the open and click hits that requests buffer in Redis.
    "campaigns-drain-tracking": {
        "task": "campaigns.tasks.drain_tracking",
        "schedule": 2.0,
        "options": {"expires": 3, "queue": "tracking"},
    },
}
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "smoove.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["smoove.api_auth.HasAccount"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "smoove.api_auth.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "smoove API",
    "DESCRIPTION": "Contacts, lists, custom fields and contact events of one account.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models have a "status" field with different choices; name each
    # enum after its model so generated clients read well.
    "ENUM_NAME_OVERRIDES": {
        "ConsentStatusEnum": "contacts.models.ConsentStatus",
        "FormStatusEnum": "forms.models.FormStatus",
        "SubmissionStatusEnum": "forms.models.SubmissionStatus",
        "SendStatusEnum": "campaigns.models.SendStatus",
        "DeliveryStatusEnum": "campaigns.models.DeliveryStatus",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
