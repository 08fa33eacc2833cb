"""The one settings module. Every value comes from a MEJORA_* variable or a safe demo default.

Production (MEJORA_PRODUCTION=true) refuses to start without a secret key and allowed hosts.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.environment import env_bool, env_int, env_list, env_str, local_secret_key

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("MEJORA_DATA_DIR", str(Path.cwd() / "mejora-data"))).resolve()

PRODUCTION = env_bool("MEJORA_PRODUCTION", False)
# Off by default, the demo too: a person who meets an error gets our page in their language,
# never a stack trace. A developer sets MEJORA_DEBUG=true for Django's debug pages.
DEBUG = env_bool("MEJORA_DEBUG", False)
SECRET_KEY = env_str("MEJORA_SECRET_KEY")
ALLOWED_HOSTS = env_list("MEJORA_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("Modo de producción: falta MEJORA_SECRET_KEY.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Modo de producción: falta MEJORA_ALLOWED_HOSTS.")
elif not SECRET_KEY:
    # Outside production a key made once for this data folder signs the demo's sessions.
    SECRET_KEY = local_secret_key(DATA_DIR)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "mejora.accounts",
    "mejora.followup",
    "mejora.web",
    "mejora.tasks",
    "mejora.notices",
    "mejora.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: a view answers an htmx request with the fragment it swaps in.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mejora.urls"
WSGI_APPLICATION = "mejora.wsgi.application"

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
                "mejora.web.context_processors.pending",
            ],
        },
    },
]

_database_url = env_str("MEJORA_DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # No just-in-time compiling: PostgreSQL compiles a query it estimates costly (a
        # cycle's balance over 3,300 ASM), which took 23 of its 66 ms; the queries here are a
        # page's, too short for compiling ever to pay. Options in the address come after, so
        # theirs win.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"-c jit=off {options.get('options', '')}".strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "mejora.sqlite3",
            # Imports are one long transaction; wait for it rather than fail at once (and
            # past this wait, services/conflicts.py runs the write again).
            "OPTIONS": {
                "timeout": env_int("MEJORA_SQLITE_BUSY_SECONDS", 20),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

# An index's INCLUDE columns are PostgreSQL's (followup.Aspect's `aspect_balance` includes the
# id, which SQLite's indexes hold anyway): the warning that SQLite leaves them out says nothing.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Background work (mejora/tasks/): the queue and each job's progress under the alias
# `tasks`, committed apart from the long transaction of an import. On SQLite a second file,
# since a second connection cannot write to a file while an import holds it; on a server
# database the same database through a connection of its own.
if _database_url:
    DATABASES["tasks"] = {
        **DATABASES["default"],
        "TEST": dict(DATABASES["default"].get("TEST", {})),
    }
else:
    DATABASES["tasks"] = {
        **DATABASES["default"],
        "NAME": DATA_DIR / "tareas.sqlite3",
        "OPTIONS": dict(DATABASES["default"]["OPTIONS"]),
    }
MEJORA_TASKS_DATABASE_SEPARATE = not _database_url
# Each process's own memory: what it keeps (the navigation's counts) is keyed by the record's
# generation read from the database, so processes need not share it; room for everyone
# signed in at once, where the default 300 would drop counts still good.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}
DATABASE_ROUTERS = ["mejora.tasks.router.TasksRouter"]
TASKS = {
    "default": {
        "BACKEND": env_str("MEJORA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A task that failed for a passing reason runs again after MEJORA_TASK_BACKOFF_SECONDS,
# doubling each time, up to MEJORA_TASK_ATTEMPTS runs; a running task whose worker has not
# been heard of for MEJORA_TASK_LEASE_MINUTES is handed to another (mejora/tasks/retries.py).
MEJORA_TASK_ATTEMPTS = env_int("MEJORA_TASK_ATTEMPTS", 5)
MEJORA_TASK_BACKOFF_SECONDS = env_int("MEJORA_TASK_BACKOFF_SECONDS", 30)
MEJORA_TASK_LEASE_MINUTES = env_int("MEJORA_TASK_LEASE_MINUTES", 30)
# What `mejora remind` runs: dotted paths of functions called as function(now=...), each
# sending what is due and nothing twice (mejora/tasks/reminders.py).
MEJORA_REMINDERS: list[str] = [
    "mejora.notices.reminders.overdue_remind",
    "mejora.notices.reminders.deadline_remind",
]
# Days before a cut's deadline when whoever still has something to capture is reminded.
MEJORA_REMINDER_DAYS = env_list("MEJORA_REMINDER_DAYS", ["7", "2"])
if not all(days.isdecimal() for days in MEJORA_REMINDER_DAYS):
    raise ImproperlyConfigured(
        f"MEJORA_REMINDER_DAYS={','.join(MEJORA_REMINDER_DAYS)!r}: se esperaban días, p. ej. 7,2."
    )
# Where people open the pages a notice links to.
MEJORA_BASE_URL = env_str("MEJORA_BASE_URL", "http://127.0.0.1:8000")
# How often the demo's worker runs the reminders.
MEJORA_REMIND_EVERY_HOURS = env_int("MEJORA_REMIND_EVERY_HOURS", 24)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# AxesStandaloneBackend counts failures and refuses a locked-out login before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Answers has_perm("followup.<action>", record) from memberships: the services' check.
    "mejora.accounts.backends.ScopeBackend",
]
# Argon2 hashes new passwords; the PBKDF2 hashers stay to read (and upgrade) older ones.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "es-mx"
LANGUAGES = [("es-mx", "Español (México)"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("MEJORA_TIME_ZONE", "America/Mexico_City")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Outside production whitenoise serves the apps' static files where they are, so the demo
# needs no collectstatic; `mejora serve` collects them once at start.
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploads and prints; app servers that share no data folder share this one (or object storage).
MEDIA_ROOT = Path(env_str("MEJORA_MEDIA_ROOT", str(DATA_DIR / "uploads"))).resolve()
MEDIA_URL = "uploads/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# Production speaks HTTPS only. Behind a proxy that ends TLS (MEJORA_BEHIND_PROXY=true) the
# proxy's X-Forwarded-Proto says whether the visitor used HTTPS, and its X-Forwarded-For who
# the visitor is; without a proxy those headers are the visitor's to forge, so they are ignored.
BEHIND_PROXY = env_bool("MEJORA_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env_bool("MEJORA_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("MEJORA_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MEJORA_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("MEJORA_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# One policy everywhere, so the demo and the tests see what production sends: scripts only
# from our own static files, no inline script or handler; the one <style> an annex page
# writes for its columns carries the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Invitations and password resets go by e-mail: SMTP in production, printed on the console
# (the demo's terminal) elsewhere unless MEJORA_EMAIL_BACKEND says otherwise.
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
_email_backend = env_str("MEJORA_EMAIL_BACKEND", "smtp" if PRODUCTION else "console")
if _email_backend not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"MEJORA_EMAIL_BACKEND={_email_backend!r}: se esperaba smtp o console."
    )
EMAIL_BACKEND = _EMAIL_BACKENDS[_email_backend]
EMAIL_HOST = env_str("MEJORA_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("MEJORA_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("MEJORA_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("MEJORA_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("MEJORA_EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("MEJORA_EMAIL_TIMEOUT_SECONDS", 20)
DEFAULT_FROM_EMAIL = env_str("MEJORA_DEFAULT_FROM_EMAIL", "Mejora <mejora@localhost>")
# How long an invitation or password-reset link stays good.
PASSWORD_RESET_TIMEOUT = env_int("MEJORA_PASSWORD_LINK_HOURS", 72) * 3600

# Login throttling (django-axes), on /entrar/ and /admin/login/ alike. An account is locked
# after MEJORA_LOGIN_FAILURE_LIMIT failures from any address, and an address after as many
# failures on any accounts: the first stops guessing one password from many machines, the
# second trying one password on many accounts. Both end after MEJORA_LOGIN_COOLOFF_MINUTES,
# and each failure during a lockout starts the wait again.
AXES_FAILURE_LIMIT = env_int("MEJORA_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MEJORA_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "mejora.web.lockout.locked_out"
# A success keeps the failures (django-axes would clear the address's too, on every account,
# so an attacker with one account could spray the others); they age out after the cool-off.
AXES_RESET_ON_SUCCESS = False
if BEHIND_PROXY:
    # The address the nearest proxy saw, the last one it appended to X-Forwarded-For.
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "right-most"
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
# The import review sends one tick and one correction box per finding, and a large legacy
# annex has thousands of findings. The limit is Django's guard against posts of many fields
# and holds for every form, the login page too; parsing 100,000 short fields takes tens of
# milliseconds, while the upload size (DATA_UPLOAD_MAX_MEMORY_SIZE) still bounds the body.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 100_000

# What one uploaded or imported file may cost to read (mejora/annex/limits.py): each limit
# from MEJORA_IMPORT_MAX_<NAME>, e.g. MEJORA_IMPORT_MAX_ROWS=400000.
MEJORA_READING_LIMITS = ReadingLimits(
    **{
        name: env_int(f"MEJORA_IMPORT_MAX_{name.upper()}", getattr(DEFAULT_LIMITS, name))
        for name in ReadingLimits.__dataclass_fields__
    }
)
# How long an import waits for another write to the record before it is told to try again.
MEJORA_WRITE_WAIT_SECONDS = env_int("MEJORA_WRITE_WAIT_SECONDS", 300)
# The largest documento probatorio taken, in MB; a larger upload is refused before it is stored.
MEJORA_EVIDENCE_MAX_MB = env_int("MEJORA_EVIDENCE_MAX_MB", 25)
