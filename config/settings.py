"""Settings for the site, read top to bottom; every knob that changes between machines is an env var."""

import ipaddress
from pathlib import Path

import environ
from botocore.config import Config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# --- Core -------------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# With debug off there is no fallback: a missing key stops the start-up (ImproperlyConfigured).
if DEBUG:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-dev-only-key-never-use-in-production")
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
# Earlier keys, still accepted while they are retired: sessions, reset links and the stored two-factor secrets
# (security/encryption.py, mail/outbox.py) signed or encrypted with them keep working.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Absolute links in emails sent outside a request (the welcome email).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The product's name in page titles, the navigation and emails.
SITE_NAME = env("SITE_NAME", default="Vitae")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
# The site speaks English and German (allauth ships German too); a person's language is saved on their account.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# Catalogs here win over every app's: locale_overrides (kept by hand) puts allauth's wording in the site's voice
# ("Log in", sentence case; "Sie" in German); locale holds the site's own strings (makemessages writes there only).
LOCALE_PATHS = [BASE_DIR / "locale_overrides", BASE_DIR / "locale"]
# Times are stored in UTC and shown in the person's own time zone (saved on their account: accounts/time_zones.py);
# UTC for visitors and for accounts that have none.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format per language ("7 December 2026, 14:49", "7. Dezember 2026, 14:49"): config/formats/<language>/.
FORMAT_MODULE_PATH = ["config.formats"]

# --- Apps -------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "config.apps.SiteStaticFilesConfig",  # django.contrib.staticfiles, collecting less
    "config.apps.SiteConfig",  # the site's wiring: deploy checks, the cache table
    "django.contrib.humanize",  # allauth.usersessions' session list uses naturaltime
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_tasks",
    "django_tasks_db",
    # The site's apps, one per lifecycle; each imports only those listed before it (profiles → accounts → security
    # → mail), as each app's apps.py says.
    "mail",
    "security",
    "accounts",
    "profiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "web.csp.CSPMiddleware",  # django-csp's, its policy built once
    "web.middleware.PrivateResponsesMiddleware",  # before the middleware whose cookies it looks at
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # after sessions, before CommonMiddleware (Django's order)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.language.AccountLanguageMiddleware",  # after authentication and locale: a person's saved language
    "accounts.time_zones.AccountTimeZoneMiddleware",  # after authentication: a person's saved time zone
    "security.session_activity.SessionActivityMiddleware",  # after sessions: "last active", written every few minutes
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.ScheduledDeletionMiddleware",  # after authentication: reads the signed-in user
]

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
                "config.context_processors.site",
            ],
        },
    },
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Database ---------------------------------------------------------------------------------

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Keep connections between requests, SQLite's too: opening one (with the pragmas below) costs ~1 ms, a
# third of a whole signed-in page (bench/README.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker and several gunicorn workers share one file without "database is locked".
    # A writer waits for the write lock at most `timeout` seconds (SQLite's busy timeout): far above the milliseconds a
    # transaction holds it, far below gunicorn's timeout, so a lock held for long is the 503 page, not a killed worker.
    # DATABASE_URL may say otherwise (`sqlite:////path/db.sqlite3?timeout=2`).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE"}
    )
    _options.setdefault("timeout", 5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # libpq waits for ever for a server that accepts the connection but never answers: a few seconds, then the 503
    # (DATABASE_URL may say otherwise: `?connect_timeout=2`).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

# --- Cache and sessions -------------------------------------------------------------------------

# Rate limits live in the cache, so every worker of every server must see the same one. The default is a
# table in the site's database (`migrate` creates it): shared by all workers on one machine, no extra
# service. Several machines share a cache server instead: CACHE_URL=redis://host:6379/0.
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://django_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # Django's, but a write that fails raises instead of answering False, which allauth's rate limiter would read as
    # a limit hit: a full disk or a held lock is then the 503 page, not "too many attempts" (web/caches.py).
    CACHES["default"]["BACKEND"] = "web.caches.DatabaseCache"
    # Past MAX_ENTRIES (300 by default) Django's database cache deletes its expired rows and then a third of the
    # live ones, the lowest keys first: allauth's log-in counters. Other visitors' attempts could then wipe an
    # account's failed log-ins. Room for every live counter; expired rows still go first. (`?max_entries=` sets it.)
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 100_000)
# Redis answers within a millisecond when well; one that is hung or unreachable must cost a request a second, not
# hold a gunicorn worker until it is killed (`?socket_timeout=` sets it; django-redis spells it in capitals).
_redis_timeouts = {
    "django_redis.cache.RedisCache": ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"),
    "django.core.cache.backends.redis.RedisCache": ("socket_connect_timeout", "socket_timeout"),
}
for _option in _redis_timeouts.get(CACHES["default"]["BACKEND"], ()):
    CACHES["default"].setdefault("OPTIONS", {}).setdefault(_option, 1)
# Each worker's own copy of the signed-out pages that are the same for every visitor but the CSRF token
# (web/page_cache.py): nothing in it is shared or secret, so a per-process cache is right.
CACHES["pages"] = {
    # With DEBUG on (`make run`) nothing is kept, so an edited template or catalogue shows at once.
    "BACKEND": "django.core.cache.backends.dummy.DummyCache"
    if DEBUG
    else "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "pages",
    "TIMEOUT": None,  # the markup changes only with a deploy, which restarts the workers
    "OPTIONS": {"MAX_ENTRIES": 500},  # a path per `next=`: bounded, the oldest culled
}
# Each worker's copy of a signed-in person's own pages, keyed by a digest of their row (web/page_cache.py): the page
# a person saw, served again until their row changes. Per process, so nothing of theirs leaves it; bounded (a profile
# form is ~60 KB: ~18 MB per worker at most), the oldest third culled when full.
CACHES["people"] = {**CACHES["pages"], "LOCATION": "people", "OPTIONS": {"MAX_ENTRIES": 300}}
# What /healthz/ writes to prove the database takes a write, whatever CACHE_URL is: one row of a table of its own,
# which `migrate` makes (config/apps.py), written as the database cache writes (web/views.py).
CACHES["health"] = {"BACKEND": "web.caches.DatabaseCache", "LOCATION": "site_health_check"}
# Sessions sit in the database; a cache goes in front of them only when it is a shared in-memory server.
# (A database cache in front would cost a second query, and a per-process cache would let a log-out in one
# worker leave the session alive in another.) Django's cached_db, but a cache that fails is a miss, so a signed-in
# person keeps their session while Redis is down (web/sessions.py).
SHARED_MEMORY_CACHES = ("django_redis.cache.RedisCache", "django.core.cache.backends.redis.RedisCache")
SESSION_ENGINE = (
    "web.sessions" if CACHES["default"]["BACKEND"] in SHARED_MEMORY_CACHES else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# --- Auth and allauth -------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "profile"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Every form that takes an address canonicalises it (accounts/email_addresses.py); sign-up and reset count only
# verified and signed-up-with addresses as an account's own.
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "login": "accounts.forms.LoginForm",
    "add_email": "accounts.forms.AddEmailForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "request_login_code": "accounts.forms.RequestLoginCodeForm",
    # Three wrong codes end the attempt even when the guesses arrive at once (allauth counts them in the session).
    "confirm_login_code": "accounts.forms.ConfirmLoginCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
# A reset for an unknown address is answered by an email without a link, as a known one is by an
# email with one: the page, the work done and so the response time are the same either way.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_RATE_LIMITS = {
    # allauth's limits are the site's (README, Security); an action set here replaces allauth's default for it.
    # Each request mails a code (or, for an unknown address, a note): at most 10 an hour reach one mailbox.
    "request_login_code": "20/m/ip,3/m/key,10/h/key",
    # Each reset request mails the address a link (or a note for an unknown one, at most one a day:
    # accounts/adapter.py): allauth's limits, plus at most 10 an hour to one mailbox.
    "reset_password": "20/m/ip,5/m/key,10/h/key",
    # allauth's failed log-ins ("10/m/ip,5/5m/key") in two actions: allauth clears all of "login_failed" when someone
    # proves who they are (a second factor, a reset), and the client address's count is not theirs to clear. The
    # account's count is the strangers' (a browser the account knows counts apart): security/login_limits.py.
    "login_failed": "5/5m/key",
    "login_failed_from_address": "10/m/ip",
}
# allauth's tracking writes each session's row on every request; security/session_activity.py writes it at most every
# five minutes, for the sessions page's "Last active".
USERSESSIONS_TRACK_ACTIVITY = False
# "Sign out other sessions" sends no signal: the adapter records it in the person's security activity.
USERSESSIONS_ADAPTER = "security.adapter.UserSessionsAdapter"

# Deleting one's account (/accounts/delete/, behind allauth's reauthentication) waits this many days, during
# which signing in offers only "Keep my account" or "Delete now"; 0 deletes at once, and so does a task backend
# that cannot wait (immediate).
ACCOUNT_DELETION_GRACE_DAYS = env.int("ACCOUNT_DELETION_GRACE_DAYS", default=7)

# Sensitive actions ask the person to confirm it is them (password, authenticator code or security key), even
# right after logging in: a log-in by emailed code proves only the mailbox, and a session left open proves
# nothing. The confirmation holds for five minutes. allauth.mfa's own pages ask by default; this adds adding,
# removing and choosing email addresses; the data export asks in accounts/views.py.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Log in with a code emailed to an address the account verified or signed up with (accounts.forms), instead of
# the password; two-factor still applies. Five minutes is time enough to open the mail on another device, and
# three wrong codes end the attempt.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 300
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3

# Two-factor authentication and passkeys (allauth.mfa): an authenticator app (TOTP) with recovery codes, and
# WebAuthn keys, which may be passkeys to log in with (no email, no password). Passkey *sign-up* stays off: it
# would make every email verification a typed code and create accounts with neither password nor recovery
# codes (README, Security).
MFA_ADAPTER = "security.adapter.MFAAdapter"  # SITE_NAME as the keys' site name; secrets encrypted at rest
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = SITE_NAME
# A code is also accepted in the windows just before and after its own (RFC 6238 §5.2 recommends allowing one step
# of delay): a person who types a code in its last second, or whose phone's clock is a little off, is not refused.
MFA_TOTP_TOLERANCE = 1
# Each code then works for 90 s, not 30; these forms keep it single-use for all of them (accounts/forms.py).
MFA_FORMS = {
    "authenticate": "security.forms.AuthenticateForm",
    "reauthenticate": "security.forms.ReauthenticateForm",
}
# allauth refuses a new address on an account with two-factor (and two-factor on an account with an unverified
# address) lest someone protect an account with an address that is not theirs and lock its owner out. Here an
# unverified address belongs to nobody (accounts/managers.py: no reset link or log-in code reaches the account
# through it, and its owner's sign-up takes it back), and a change takes effect only once the new address is
# verified by link. So people with two-factor can change their address like everyone else.
MFA_ALLOW_UNVERIFIED_EMAIL = True

# --- Email ------------------------------------------------------------------------------------

_email = env.email_url("EMAIL_URL", default="consolemail://")
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    # On the console (`make run`), each email as a person reads it: recipient, subject, the text with its links.
    _email["EMAIL_BACKEND"] = "mail.backends.ReadableConsoleBackend"
vars().update(_email)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Storage ----------------------------------------------------------------------------------

MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files are private: there is no MEDIA_URL and nothing serves MEDIA_ROOT.

# Downloads from object storage are redirects to a signed URL valid this long: the one value for the code
# (accounts/cv.py) and the bucket's own signing.
PRESIGNED_URL_SECONDS = 60
# What every bucket gets (tests/accounts use the same): private objects, signed URLs, no overwrites, and a
# client that gives up within seconds, so a person whose upload meets an unreachable bucket gets a message
# before gunicorn's timeout instead of a dropped connection.
S3_OPTIONS = {
    "file_overwrite": False,
    "default_acl": "private",
    "querystring_auth": True,
    "querystring_expire": PRESIGNED_URL_SECONDS,
    "client_config": Config(
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=10,
        retries={"mode": "standard", "total_max_attempts": 2},
    ),
}

STORAGE_BACKEND = env("DJANGO_STORAGE", default="filesystem")
if STORAGE_BACKEND == "s3":
    AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **S3_OPTIONS,
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
        },
    }
elif STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise environ.ImproperlyConfigured(f"DJANGO_STORAGE must be 'filesystem' or 's3', not {STORAGE_BACKEND!r}.")

STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# WhiteNoise gives the hashed names collectstatic makes a one-year, immutable Cache-Control by itself.

# Uploads: the CV is the only file a person sends. The handler keeps at most the limit of a request's files, all
# together; a request may carry one file part (the profile form and the admin's user form have one file field).
CV_MAX_UPLOAD_BYTES = env.int("CV_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = ["accounts.uploads.CappedUploadHandler"]
# Where a file is spooled while it arrives: a folder of the site's own, so that what a killed worker leaves behind
# (gunicorn's timeout, the OOM killer, the end of a restart's drain) is found and removed, when gunicorn starts and by
# the daily sweep (accounts/uploads.py). On the media folder's disk by default, so storing a CV is a rename.
FILE_UPLOAD_TEMP_DIR = env("DJANGO_FILE_UPLOAD_TEMP_DIR", default=str(MEDIA_ROOT / "partial-uploads"))
DATA_UPLOAD_MAX_NUMBER_FILES = 1
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Security ---------------------------------------------------------------------------------

HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "__Secure-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken" if HTTPS else "csrftoken"
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Behind a TLS-terminating proxy: the proxies' addresses or networks (DJANGO_TRUSTED_PROXIES, comma-separated; none by
# default). Forwarded headers are believed only from a peer among them: X-Forwarded-Proto by gunicorn, which reads the
# same variable (config/gunicorn.conf.py) and hands Django the scheme, and X-Forwarded-For by the site (the client is
# the rightmost address that is not a proxy: security/clients.py). No SECURE_PROXY_SSL_HEADER, on purpose: Django
# would believe X-Forwarded-Proto from any peer. A value that is no address or network stops the start-up.
_trusted_proxies = [value.strip() for value in env.list("DJANGO_TRUSTED_PROXIES", default=[])]
try:
    TRUSTED_PROXIES = [str(ipaddress.ip_network(value)) for value in _trusted_proxies if value]
except ValueError as error:
    raise environ.ImproperlyConfigured(f"DJANGO_TRUSTED_PROXIES: {error}") from None
# The count it replaces trusted X-Forwarded-For from any peer. Left set, it would now be ignored and every visitor
# would share the proxy's address (and its rate limits): stop and say what to set instead.
if env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0):
    raise environ.ImproperlyConfigured(
        "DJANGO_TRUSTED_PROXY_COUNT is no longer read: set DJANGO_TRUSTED_PROXIES to the proxies' addresses."
    )

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
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Tasks ------------------------------------------------------------------------------------

TASKS_BACKEND = env("DJANGO_TASKS_BACKEND", default="immediate")
_task_backends = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in _task_backends:
    raise environ.ImproperlyConfigured(f"DJANGO_TASKS_BACKEND must be one of {sorted(_task_backends)}.")
TASKS = {"default": {"BACKEND": _task_backends[TASKS_BACKEND]}}
# Delays between delivery attempts of one email; after the last, the task stays failed.
EMAIL_RETRY_DELAYS = [30, 120, 600, 1800]
# A worker's claim on a task is a lease it renews every third of this while it lives, however long the task takes
# (mail/worker.py): a task whose lease expired (its worker killed, machine gone) runs again within about 1.3 × this.
TASKS_LEASE_SECONDS = env.int("TASKS_LEASE_SECONDS", default=30)
# A task whose lease expired this many times keeps killing its workers: it ends FAILED rather than run again.
TASKS_MAX_INTERRUPTIONS = env.int("TASKS_MAX_INTERRUPTIONS", default=3)

# --- Logging ----------------------------------------------------------------------------------

LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One JSON object per line (config/logging.py): every value escaped, so no request can forge a line. With debug on
    # (`make run`) a person reads them on a terminal instead: one readable line each.
    "formatters": {
        "json": {"()": "config.logging.json_formatter"},
        "readable": {"()": "config.logging.ReadableFormatter"},
    },
    "filters": {
        "refused_requests": {"()": "config.logging.RefusedRequestFilter"},
        "logged_task_failures": {"()": "config.logging.LoggedTaskFailureFilter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "readable" if DEBUG else "json",
            "filters": ["refused_requests"],
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "mail": {"level": LOG_LEVEL},
        "security": {"level": LOG_LEVEL},
        "accounts": {"level": LOG_LEVEL},
        "profiles": {"level": LOG_LEVEL},
        "web": {"level": LOG_LEVEL},
        "django_tasks": {"level": LOG_LEVEL, "filters": ["logged_task_failures"]},
        "django.request": {"level": "ERROR"},
        # Scanners send foreign Host headers all day: they get 400 and a line in the access log, not a traceback.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
    },
}
