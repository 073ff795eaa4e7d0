"""Espace Famille settings, read from environment variables.

Defaults run anywhere with nothing installed (SQLite, django-q2's ORM broker, emails written to
a local outbox, the local PayFiP simulator). Production parts are chosen by environment
variables: DATABASE_URL, REDIS_URL, EMAIL_BACKEND + ANYMAIL_*, PAYMENT_BACKEND, HTTPS,
AWS_STORAGE_BUCKET_NAME + AWS_S3_* (files on S3-compatible storage).
"""

import os
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


def s3_storage(environ):
    """The default storage on an S3-compatible bucket, configured from `environ`."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,  # None: Amazon S3 itself
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            # None: boto3 looks further (instance role, ~/.aws/credentials).
            "access_key": environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "location": environ.get("AWS_LOCATION", ""),  # a prefix, to share a bucket
            "addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": int(environ.get("AWS_QUERYSTRING_EXPIRE") or 300),
            # Two workers storing the same invoice must not write the same key: the second gets
            # its own name and deletes it (core.services.invoicing._store_once).
            "file_overwrite": False,
        },
    }


DEBUG = env_bool("DEBUG", False)

# Without SECRET_KEY in the environment a development key is used; `check --deploy` refuses it
# (core.checks), so a production deployment cannot start with it unnoticed.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-espace-famille-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


def local_site_url(host, port):
    """The address of a development server listening on host:port (`make run`, scripts/run-server).
    A wildcard address is reached through the loopback."""
    host = host.strip("[]") or "127.0.0.1"
    if host in {"0.0.0.0", "::"}:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


# Public address of the portal, used in emails and in the PayFiP notification/return URLs. Unset,
# it follows the development server's HOST and PORT, so `PORT=8001 make run` gets its own
# PayFiP return and notification.
SITE_URL = (
    os.environ.get("SITE_URL")
    or local_site_url(os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT") or "8000")
).rstrip("/")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "django_q",
    "anymail",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "core.payfip_simulator",
    "portail",
    "admin_ext",
    "fixtures",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "admin_ext.two_factor.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "admin_ext.middleware.AdminContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.csp",
                "portail.context_processors.portal",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'espacefamille.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the django-q2 worker and the web server write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Covering indexes (INCLUDE) speed up PostgreSQL; SQLite builds the same indexes without them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and background jobs --------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read from Redis and written through to the database: no query per request to
    # find the session, and nothing lost when Redis restarts. Without a cache shared by every web
    # process, sessions stay in the database alone (a per-process cache would outlive a logout).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_CLUSTER = {
    "name": "espacefamille",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 600,
    "retry": 720,
    "max_attempts": 5,
    "catch_up": False,
    "label": "Tâches de fond",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if env_bool("Q_SYNC", False):
    Q_CLUSTER["sync"] = True

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "core.auth.GuardianModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portail:login"
LOGIN_REDIRECT_URL = "/admin/"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours: a locked-out login may retry after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Both login forms (portal and admin) post the email in a field named "username".
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "portail.throttling.axes_username"
AXES_LOCKOUT_CALLABLE = "portail.throttling.lockout_response"


def axes_client_address_settings(proxy_count):
    """How django-axes (through django-ipware) finds the client's address. Without a proxy it is
    the connection's. Behind `proxy_count` reverse proxies that each append the address they
    received the request from to X-Forwarded-For (nginx's $proxy_add_x_forwarded_for), it is the
    entry the first proxy appended: python-ipware counts the proxies listed in the header, which
    the one connecting to gunicorn is not. Entries to its left were written by the client and are
    ignored, so that a client cannot choose its address (not strict: a client that sends its own
    header keeps its real address rather than falling back to the proxy's)."""
    if proxy_count <= 0:
        return {
            "AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",),
            "AXES_IPWARE_PROXY_COUNT": None,
            "AXES_IPWARE_PROXY_ORDER": "left-most",
            "IPWARE_STRICT": True,
        }
    return {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"),
        "AXES_IPWARE_PROXY_COUNT": proxy_count - 1,
        "AXES_IPWARE_PROXY_ORDER": "left-most",
        "IPWARE_STRICT": False,
    }


# The number of reverse proxies in front of gunicorn (1 with the nginx of docs/deploiement.md).
# 0 (default): the connection's address is the client's. Never set it where clients can reach
# gunicorn directly: they could then pick their address.
REVERSE_PROXY_COUNT = env_int("REVERSE_PROXY_COUNT", 0)
_client_address = axes_client_address_settings(REVERSE_PROXY_COUNT)
AXES_IPWARE_META_PRECEDENCE_ORDER = _client_address["AXES_IPWARE_META_PRECEDENCE_ORDER"]
AXES_IPWARE_PROXY_COUNT = _client_address["AXES_IPWARE_PROXY_COUNT"]
AXES_IPWARE_PROXY_ORDER = _client_address["AXES_IPWARE_PROXY_ORDER"]
IPWARE_STRICT = _client_address["IPWARE_STRICT"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "fr"
# French for the few strings of the admin's theme (django-unfold), its history pages and
# django-q2 that ship untranslated.
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# The history pages are for reading: a revert would save an old version past the services
# (admin_ext.admin.base.HistoryAdmin refuses the POST too).
SIMPLE_HISTORY_REVERT_DISABLED = True

# French public holidays come from the `holidays` package; "6AE" (Alsace) or "57" (Moselle)
# adds the local ones (Vendredi saint, Saint-Étienne).
PUBLIC_HOLIDAYS_SUBDIVISION = os.environ.get("PUBLIC_HOLIDAYS_SUBDIVISION", "") or None

TOWN_NAME = os.environ.get("TOWN_NAME", "Mairie de Valbourg")
# The town's identity printed on certificates (the tax certificate needs the SIRET).
TOWN_ADDRESS = os.environ.get("TOWN_ADDRESS", "1 place de la Mairie\n59270 Valbourg")
TOWN_SIRET = os.environ.get("TOWN_SIRET", "")
# The commune itself, where certificates are signed (« Fait à Valbourg »); TOWN_NAME is the mairie.
TOWN_CITY = os.environ.get("TOWN_CITY", "Valbourg")

# How long after a service day a parent may still declare the child absent (hours after midnight
# ending the day); before the cancellation deadline it is a plain cancellation.
ABSENCE_DECLARATION_HOURS = env_int("ABSENCE_DECLARATION_HOURS", 48)
# How many days after declaring an absence a parent may still send its medical certificate.
ABSENCE_CERTIFICATE_DAYS = env_int("ABSENCE_CERTIFICATE_DAYS", 7)
# Staff two-factor authentication (core.services.two_factor): the name authenticator apps show.
OTP_TOTP_ISSUER = f"Espace Famille {TOWN_NAME}".replace(":", "")

# Households that left the town more than this many years ago are anonymised (RGPD); their
# issued invoices are kept as accounting requires.
RGPD_RETENTION_YEARS = env_int("RGPD_RETENTION_YEARS", 5)
# The supporting documents (files and rows) of a household that left the town are deleted this
# many months after its departure, well before its anonymisation (checked at startup).
DOCUMENT_RETENTION_MONTHS = env_int("DOCUMENT_RETENTION_MONTHS", 12)
# « Créer mon compte famille » requests refused, or left unanswered, this many days ago are
# deleted: people who never got an account leave no personal data behind.
ACCOUNT_REQUEST_RETENTION_DAYS = env_int("ACCOUNT_REQUEST_RETENTION_DAYS", 90)
# Shown on the portal's « Données personnelles » and « Mentions légales » pages.
TOWN_CONTACT_EMAIL = os.environ.get("TOWN_CONTACT_EMAIL", "")
DPO_CONTACT = os.environ.get("DPO_CONTACT", "")
# RGAA status of the portal, shown in every page's footer and in the accessibility statement:
# "non conforme" until an audit, then "partiellement conforme" or "totalement conforme".
ACCESSIBILITY_STATUS = os.environ.get("ACCESSIBILITY_STATUS", "non conforme")

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Invoice and credit-note PDFs (and any upload) go to the default storage: MEDIA_ROOT on this
# machine, or, when AWS_STORAGE_BUCKET_NAME is set, an S3-compatible bucket (AWS, Scaleway, OVH,
# MinIO…) that every web node and worker shares. Objects are private: the application streams
# them to the people allowed to read them, and any URL it might build is signed and short-lived.
_default_storage = (
    s3_storage(os.environ)
    if os.environ.get("AWS_STORAGE_BUCKET_NAME")
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Email ------------------------------------------------------------------------------------
# Default: every email is written to var/outbox/ (one file per email) and logged. Production:
# EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend and its ANYMAIL_* variables.
EMAIL_OUTBOX_DIR = Path(os.environ.get("EMAIL_OUTBOX_DIR", VAR_DIR / "outbox"))
_email_backend = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
_email_options = {"file_path": str(EMAIL_OUTBOX_DIR)} if _email_backend.endswith("filebased.EmailBackend") else {}
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Espace Famille <ne-pas-repondre@espacefamille.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Payments ----------------------------------------------------------------------------------
# "simulator" (default): the local PayFiP stand-in; "payfip": the real DGFiP web service.
PAYMENT_BACKEND = os.environ.get("PAYMENT_BACKEND", "simulator")
# The real web service (PAYMENT_BACKEND=payfip). Each régie's numcli is stored on the régie.
PAYFIP_ENDPOINT = os.environ.get("PAYFIP_ENDPOINT", "https://www.payfip.gouv.fr/tpa/services/securite")
PAYFIP_PAYMENT_URL = os.environ.get("PAYFIP_PAYMENT_URL", "https://www.payfip.gouv.fr/tpa/paiementws.web")
# T test, X activation (the régie's first real payments), W production.
PAYFIP_SAISIE = os.environ.get("PAYFIP_SAISIE", "W")
PAYFIP_TIMEOUT = env_int("PAYFIP_TIMEOUT", 20)
# The simulator serves only with DEBUG on, or when explicitly allowed (the test suite does).
PAYFIP_SIMULATOR_ALLOWED = env_bool("PAYFIP_SIMULATOR_ALLOWED", False)
# What the simulator does with the notification by default: deliver | drop | delay | duplicate.
PAYFIP_SIMULATOR_NOTIFICATION = os.environ.get("PAYFIP_SIMULATOR_NOTIFICATION", "deliver")
PAYFIP_SIMULATOR_NOTIFICATION_DELAY = env_int("PAYFIP_SIMULATOR_NOTIFICATION_DELAY", 5)  # seconds

# --- Security -----------------------------------------------------------------------------------
# HTTPS=1 behind a TLS-terminating proxy: redirects, HSTS and proxy header.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS or not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS or not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 14 * 24 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: the portal is strict (no inline script or style, nothing from another
# origin); the unfold admin gets its own looser policy (admin_ext.middleware), since its Alpine.js
# needs 'unsafe-eval' and its templates use inline styles and handlers.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    # The payment form is answered by a redirect to PayFiP's payment page, which form-action covers.
    "form-action": [CSP.SELF]
    + ([f"{urlparse(PAYFIP_PAYMENT_URL).scheme}://{urlparse(PAYFIP_PAYMENT_URL).netloc}"] if PAYMENT_BACKEND == "payfip" else []),
    "frame-ancestors": [CSP.NONE],
}
ADMIN_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE, CSP.UNSAFE_EVAL],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "font-src": [CSP.SELF, "data:"],
    "base-uri": [CSP.SELF],
}

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "portail.api.schema.PortalAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Espace Famille — API du portail",
    "DESCRIPTION": "API utilisée par le portail des familles : foyer, inscriptions, semaine de réservations, panier, factures, paiement en ligne et attestations.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EnrolmentStatusEnum": "core.models.activities.Enrolment.Status",
        "InvoiceStatusEnum": "core.models.billing.Invoice.Status",
        "PaymentStatusEnum": "core.models.payments.Payment.Status",
    },
}

# The benchmarks' bare ceiling view (bench/portal_load.py); never on in production.
BENCH_CEILING_VIEW = env_bool("BENCH_CEILING_VIEW", False)

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Request paths are logged (runserver, 404s): the secret of an access link never is.
    "filters": {"mask_access_links": {"()": "config.log_masking.MaskAccessLinks"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_access_links"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (its console, runserver's request lines) would write before the
        # filter: everything goes through the root's console handler instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Spreadsheet import/export (django-import-export) ----------------------------------------
# Importing needs the "add" permission of the model, exporting its "view" permission; an import
# runs in one transaction, rolled back when any row is invalid.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True

# --- Admin (django-unfold) ---------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": "Espace Famille",
    "SITE_HEADER": "Espace Famille",
    "SITE_SUBHEADER": TOWN_NAME,
    "SITE_URL": "/",
    "SITE_SYMBOL": "family_restroom",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "admin_ext.site.environment_callback",
    "DASHBOARD_CALLBACK": "admin_ext.dashboard.dashboard_callback",
    "LOGIN": {"redirect_after": lambda request: reverse_lazy("admin:index")},
    "STYLES": [lambda request: static("admin_ext/admin.css")],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": "admin_ext.site.sidebar_navigation",
    },
}
