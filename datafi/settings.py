"""Settings for datafi, fed by environment variables.

A checkout runs with nothing else: SQLite, an in-memory channel layer and the
in-process EVM. ``DATABASE_URL``, ``REDIS_URL`` and ``CHAIN_RPC_URL`` switch to the
real components.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Runtime files (SQLite database, generated secret) live here, never in git.
DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    # A checkout must run without configuration, yet a shared default key would
    # make every installation's sessions forgeable: generate one per data dir.
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# A key generated on this host differs on the next one: deploy checks refuse it.
SECRET_KEY_GENERATED = not env("SECRET_KEY")
# Rotation: the previous keys, comma-separated. Sessions, password-reset links and
# other signatures made with them stay valid until they are dropped from here.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000"
)
SITE_NAME = env("SITE_NAME", "datafi")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # intcomma: counts and points grouped as the reader's language writes them.
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "axes",
    "django_prometheus",
    "datafi.accounts",
    "datafi.ops",
    "datafi.market",
    "evals",
    "ratings",
    "rewards",
]

MIDDLEWARE = [
    # Request counts and latencies per view (first and last: it times the whole chain).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (below): django-csp's, its text built once.
    "datafi.csp_middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The interface's language: the header switcher's cookie, else the browser's
    # Accept-Language, else English (datafi/locale holds the catalogues); at
    # log-in, the account's last choice on a device that has none.
    "datafi.accounts.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses bodies, forms and query strings that break the input rules
    # (depth, size, NUL, surrogates) before any view reads them.
    "datafi.input.InputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "datafi.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "datafi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "datafi.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "datafi.wsgi.application"
ASGI_APPLICATION = "datafi.asgi.application"

# Database: SQLite file by default, PostgreSQL (or anything dj-database-url
# knows) when DATABASE_URL is set.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    # How a process holds its connections to PostgreSQL: "pool" (psycopg's
    # pool), or "thread" (one persistent connection per thread, Django's
    # CONN_MAX_AGE). Under ASGI a request's sync code may run on a fresh
    # thread, so per-thread connections would pile up: the pool. gunicorn's
    # worker threads live as long as their process, so datafi/wsgi.py picks
    # "thread": no pool check-out and return on every request
    # (bench/vote_path.py: about 0.3 ms less of web CPU per voter round).
    DB_CONNECTIONS = env("DB_CONNECTIONS", "pool")
    if DB_CONNECTIONS not in ("pool", "thread"):
        raise ImproperlyConfigured(f"DB_CONNECTIONS must be pool or thread, not {DB_CONNECTIONS!r}")
    if (
        DATABASES["default"]["ENGINE"].endswith("postgresql")
        and DB_CONNECTIONS == "pool"
        and env_int("DB_POOL_MAX", 8)
    ):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 8),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool(
        "DB_PREPARED_STATEMENTS", True
    ):
        # Parameters bound by the server, and a statement a connection has run
        # DB_PREPARE_THRESHOLD times kept prepared (psycopg's prepare_threshold;
        # Django's OPTIONS): PostgreSQL then no longer parses and plans the vote
        # path's statements each time (bench/vote_path.py: its CPU per voter
        # round 1.9 -> 1.2 ms). Prepared statements live in one connection, so
        # behind PgBouncer in transaction mode set DB_PREPARED_STATEMENTS=0.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=env_int("DB_PREPARE_THRESHOLD", 2)
        )
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Django's backend, plus: integers too large for the type Django infers
        # are bound whole, and a prepared statement a migration changed the
        # result of is prepared afresh instead of failing (datafi/db/postgresql).
        DATABASES["default"]["ENGINE"] = "datafi.db.postgresql"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            # Concurrent writers queue on SQLite's lock instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # Tests too use a file, not Django's shared-cache in-memory database:
            # there a writer meets another thread's table lock with an immediate
            # "database table is locked" (the timeout does not apply), which
            # failed the payout worker inside a browser test's server thread.
            "TEST": {"NAME": str(DATA_DIR / "test_db.sqlite3")},
        }
    }
DB_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# Channel layer: in-memory by default (one process), Redis when REDIS_URL is set.
REDIS_URL = env("REDIS_URL")


def redis_channel_layer(url: str, **config) -> dict:
    """The Redis channel layer settings for ``url`` (tests build theirs here too).

    channels_redis waits for messages in a blocking pop of ``brpop_timeout``
    (5 s) seconds, and redis-py 8 times a socket read out at 5 s as well: on a
    busy host the pop's empty reply came a moment late and killed the consumer
    (it failed CI that way). The sockets here wait longer than the pop.
    tests/test_redis_layer.py fails if channels_redis's pop outgrows it.
    """
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": 15}], **config},
    }


if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "arena"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# One catalogue for the whole product (templates, Python, page scripts).
LOCALE_PATHS = [BASE_DIR / "datafi" / "locale"]


def interface_languages(locale_dir: Path) -> list[tuple[str, str]]:
    """English, then every language with a catalogue in ``locale_dir``.

    Adding French is dropping ``fr/LC_MESSAGES/django.po`` (and ``djangojs.po``)
    there: ``make install`` compiles it and the header's switcher offers it.
    """
    found = sorted(
        po.parent.parent.name
        for po in locale_dir.glob("*/LC_MESSAGES/django.po")
        if po.parent.parent.name in LANG_INFO and po.parent.parent.name != "en"
    )
    return [(code, LANG_INFO[code]["name_local"]) for code in ["en", *found]]


LANGUAGES = interface_languages(LOCALE_PATHS[0])
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The first only refuses locked-out log-ins (django-axes) and never logs anyone
# in; logins use the second; the third keeps sessions made before it valid.
AUTHENTICATION_BACKENDS = [
    "datafi.accounts.backends.LoginThrottleBackend",
    "datafi.accounts.backends.UserBackend",
    "django.contrib.auth.backends.ModelBackend",
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind HTTPS (see the README's production settings): redirect plain HTTP, send
# HSTS, and believe the proxy's X-Forwarded-Proto (only with a proxy that sets it
# on every request; otherwise a client could claim HTTPS).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# E-mail (password reset). The console backend prints mails to the server log,
# which is fine on a checkout; deploy checks refuse it in production.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where the file backend (`make run` uses it) writes each mail as a .log file.
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "datafi <noreply@localhost>")

# Failed log-ins (django-axes): LOGIN_FAILURE_LIMIT failures for one account, or
# from one address, lock it for LOGIN_LOCKOUT_MINUTES; every further LIMIT
# failures double that, up to LOGIN_LOCKOUT_MAX_MINUTES; a failure during a
# lock-out restarts it. Failed attempts are kept only for the lock-out's length,
# and successful log-ins are not logged (no address history).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
LOGIN_LOCKOUT_MAX_MINUTES = env_int("LOGIN_LOCKOUT_MAX_MINUTES", 24 * 60)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "datafi.accounts.throttle.login_cool_off"
AXES_HANDLER = "datafi.accounts.throttle.LoginAttemptHandler"
AXES_CLIENT_IP_CALLABLE = "evals.quality.limits.client_ip"
AXES_LOCKOUT_CALLABLE = "datafi.accounts.views.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# The other anonymous entry points, per client address (and per e-mail for
# password reset): "count/period" pairs, period in s, m, h or d; each request
# counts. Two windows per scope: a burst waits minutes, a sustained run a day.
THROTTLE_SIGNUP = env("THROTTLE_SIGNUP", "10/10m,50/1d")
THROTTLE_PASSWORD_RESET = env("THROTTLE_PASSWORD_RESET", "5/10m,20/1d")
THROTTLE_PASSWORD_RESET_EMAIL = env("THROTTLE_PASSWORD_RESET_EMAIL", "3/1h,10/1d")
THROTTLE_WALLET_NONCE = env("THROTTLE_WALLET_NONCE", "30/1m,500/1d")
THROTTLE_WALLET_LOGIN = env("THROTTLE_WALLET_LOGIN", "10/1m,100/1d")
THROTTLE_ACCOUNT_DELETE = env("THROTTLE_ACCOUNT_DELETE", "5/10m,20/1d")
# Per account, every post of the password change (it checks the current
# password); a little looser, as the new password's rules refuse some tries.
THROTTLE_PASSWORD_CHANGE = env("THROTTLE_PASSWORD_CHANGE", "10/10m,30/1d")
# Per organization: every probe calls the provider's endpoint and holds a web
# thread for up to PROVIDER_PROBE_TIMEOUT_S (registration, on-demand probe, key rotation).
THROTTLE_ENDPOINT_PROBE = env("THROTTLE_ENDPOINT_PROBE", "10/10m,100/1d")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The input layer's JSON parser (datafi.input): the same rules as every other endpoint.
    "DEFAULT_PARSER_CLASSES": [
        "datafi.input.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "datafi.api.exception_handler",
}
# Input rules (datafi.input): the deepest JSON nesting any endpoint accepts.
INPUT_MAX_JSON_DEPTH = env_int("INPUT_MAX_JSON_DEPTH", 64)
# JSON endpoints answer a CSRF failure in the API's error shape; pages keep a page.
CSRF_FAILURE_VIEW = "datafi.api.csrf_failure"
SPECTACULAR_SETTINGS = {
    "TITLE": "datafi API",
    "DESCRIPTION": "Crowdsourced model evaluation: battles, votes, leaderboards, datasets.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# "json": one JSON object a line (datafi.logs), the format every process of the
# topology writes (deploy/); "text": Python's plain lines, for a terminal.
LOG_FORMAT = env("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "datafi.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# --- content security policy -----------------------------------------------------
# Every page loads scripts, styles, images, fonts and connections from the site
# itself and nowhere else, so nothing shown before a vote (an answer's image, a
# library) can make the browser tell another server that a battle is on screen.
# Inline scripts and styles run only with the response's nonce
# (``request.csp_nonce``, django-csp). ``data:`` images are inline, fetched from
# nowhere (Swagger UI's icons). CSP_REPORT_ONLY=1 reports instead of blocking.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

# Redoc (the /api/redoc/ page) creates two style elements as it loads, before it
# can be given the nonce: an empty one that it then fills through the CSSOM, and
# a fixed one. Their hashes (of "" and of that fixed CSS) let only those in.
REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE, *REDOC_STYLE_HASHES],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # Redoc's search runs in a worker it builds from its own (allowed) script.
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None

# --- arena ---------------------------------------------------------------------
# How many unseen prompts the sampler considers per pick.
ARENA_SAMPLER_PROMPT_POOL = env_int("ARENA_SAMPLER_PROMPT_POOL", 24)
# Each process keeps a copy of what can be served (evals.catalogue), reloaded when a
# write replaces the shared version token, or after this many seconds at most.
ARENA_CATALOGUE_TTL = env_float("ARENA_CATALOGUE_TTL", 60.0)
# ... and it reads that shared token at most this often (seconds): another
# process's change reaches the copy up to this much later (the serve still
# re-reads its two answers' conditions in the database).
ARENA_CATALOGUE_CHECK_S = env_float("ARENA_CATALOGUE_CHECK_S", 1.0)
# The sampler's per-pair vote counts (new-model boost, staleness of the fit) are
# read at most this often per process (seconds; 0: on every serve).
ARENA_SAMPLER_STATS_TTL = env_float("ARENA_SAMPLER_STATS_TTL", 5.0)

# --- rewards -------------------------------------------------------------------
# Chain: empty CHAIN_RPC_URL means the in-process EVM (eth-tester), which lives
# and dies with the server process. With a URL, CHAIN_PRIVATE_KEY signs every
# transaction (deployment, epoch publication, gasless claims).
CHAIN_RPC_URL = env("CHAIN_RPC_URL")
CHAIN_PRIVATE_KEY = env("CHAIN_PRIVATE_KEY")
# 0 = whatever the node reports (the in-process EVM reports 131277322940537).
CHAIN_ID = env_int("CHAIN_ID", 0)
CHAIN_CONFIRMATIONS = env_int("CHAIN_CONFIRMATIONS", 1)
# Blocks behind the head in which settled claims and published roots are checked
# against the chain again each worker pass (a reorg, or a node restored from an
# older state): what the chain lost is reopened and sent again. 0 turns it off.
CHAIN_REORG_WINDOW = env_int("CHAIN_REORG_WINDOW", 64)
CHAIN_TIMEOUT = env_float("CHAIN_TIMEOUT", 10.0)
# Existing contracts to use instead of deploying on first use (optional).
CHAIN_TOKEN_ADDRESS = env("CHAIN_TOKEN_ADDRESS")
CHAIN_DISTRIBUTOR_ADDRESS = env("CHAIN_DISTRIBUTOR_ADDRESS")
# The DatasetRegistry of the data market; empty: deployed on first use (and recorded).
CHAIN_REGISTRY_ADDRESS = env("CHAIN_REGISTRY_ADDRESS")
# The data market: the platform's share of each dataset sale, in percent; the rest goes
# to the contributors in the version (the figure sign-up and the consent page state).
MARKET_PLATFORM_FEE_PERCENT = env_int("MARKET_PLATFORM_FEE_PERCENT", 30)
# Buying: the ERC-20 buyers pay in (a USD stablecoin in production; empty: the test
# dollar tUSD, deployed on first use with the market contract) and the DataMarket
# contract (empty: deployed on first use); where payments go (empty: the signer).
CHAIN_PAYMENT_TOKEN_ADDRESS = env("CHAIN_PAYMENT_TOKEN_ADDRESS")
CHAIN_MARKET_ADDRESS = env("CHAIN_MARKET_ADDRESS")
CHAIN_MARKET_TREASURY = env("CHAIN_MARKET_TREASURY")
# Contributors' shares are paid in points at this published rate (points per USD).
MARKET_POINTS_PER_USD = env_int("MARKET_POINTS_PER_USD", 1000)
# How long a signed purchase quote can be paid (minutes).
MARKET_QUOTE_MINUTES = env_int("MARKET_QUOTE_MINUTES", 60)
# Above this many matching votes the admin does not freeze a version in its request
# (minutes of work): it names `manage.py freeze_dataset_version`, which shows progress.
MARKET_ADMIN_FREEZE_MAX_VOTES = env_int("MARKET_ADMIN_FREEZE_MAX_VOTES", 50_000)
# Points: per vote, per UTC day at most, and the smallest redemption.
REWARD_POINTS_PER_VOTE = env_int("REWARD_POINTS_PER_VOTE", 10)
REWARD_DAILY_CAP = env_int("REWARD_DAILY_CAP", 500)
REDEMPTION_MINIMUM = env_int("REDEMPTION_MINIMUM", 10)
# At least this many seconds between two epoch publications (they batch redemptions).
REWARD_EPOCH_INTERVAL = env_int("REWARD_EPOCH_INTERVAL", 0)
# Run the payout worker's step on demand inside the rewards POSTs that act
# (redeem, claim; never a GET) instead of only in `manage.py rewards_worker`.
# Defaults to on for the in-process EVM, whose state only the server process can reach.
REWARD_WORKER_ON_DEMAND = env_bool("REWARD_WORKER_ON_DEMAND", not CHAIN_RPC_URL)
# The ASGI server's own payout pass (make run on the embedded chain, which only the
# server's process can reach); off under pytest, where tests tick explicitly.
REWARD_WORKER_IN_PROCESS = env_bool(
    "REWARD_WORKER_IN_PROCESS", not CHAIN_RPC_URL and "pytest" not in __import__("sys").modules
)
REWARD_WORKER_SECONDS = env_float("REWARD_WORKER_SECONDS", 5.0)
# Sign-In With Ethereum: the domain messages must name (default: the request's
# host) and how long a nonce and a message stay valid.
SIWE_DOMAIN = env("SIWE_DOMAIN")
SIWE_NONCE_TTL = env_int("SIWE_NONCE_TTL", 600)
SIWE_CLOCK_SKEW = env_int("SIWE_CLOCK_SKEW", 60)

# --- ratings -------------------------------------------------------------------
# Bootstrap rounds for Bradley-Terry intervals, and for style control (each
# style round refits every battle, so it gets fewer).
RATINGS_BOOTSTRAP_ROUNDS = env_int("RATINGS_BOOTSTRAP_ROUNDS", 1000)
RATINGS_STYLE_ROUNDS = env_int("RATINGS_STYLE_ROUNDS", 100)
# Seconds a model's standing (GET /api/v1/models/<slug>/standing, a fit of its
# own) is served from the cache before it is fitted again.
RATINGS_STANDING_MAX_AGE = env_int("RATINGS_STANDING_MAX_AGE", 30)
# A model name held at 1000 so scores compare across snapshots; empty: each
# leaderboard is centred at a mean of 1000.
RATINGS_ANCHOR = env("RATINGS_ANCHOR", "")
RATINGS_ELO_K = env_float("RATINGS_ELO_K", 4.0)
# Weak Gaussian prior on model strengths, in rating points (0: plain maximum likelihood).
RATINGS_PRIOR_SD = env_float("RATINGS_PRIOR_SD", 400.0)
# Leaderboard intervals: "bootstrap" (percentile) or "sandwich" (closed form, robust).
RATINGS_INTERVAL = env("RATINGS_INTERVAL", "bootstrap")
# Weight battles inversely to their pair's frequency (as LMArena does).
RATINGS_REWEIGHT = env_bool("RATINGS_REWEIGHT", False)
# A live-typed prompt (same text, case and spacing aside) counts at most this many
# votes per leaderboard; 0 = no cap.
RATINGS_PROMPT_CAP = env_int("RATINGS_PROMPT_CAP", 20)
# Rows with fewer votes than this carry a "preliminary" badge.
RATINGS_PRELIMINARY_VOTES = env_int("RATINGS_PRELIMINARY_VOTES", 30)
# Dirty leaderboards are refreshed at most this often per worker.
RATINGS_REFRESH_SECONDS = env_float("RATINGS_REFRESH_SECONDS", 5.0)
# A worker that holds a slice longer than this is presumed dead.
RATINGS_REFRESH_LEASE_SECONDS = env_int("RATINGS_REFRESH_LEASE_SECONDS", 300)
# The robustness figure (fewest votes that change the top model) tries this many
# challengers, closest first; each costs a few refits.
RATINGS_ROBUSTNESS_CHALLENGERS = env_int("RATINGS_ROBUSTNESS_CHALLENGERS", 5)
# manage.py prune: every snapshot of the last KEEP days stays; older ones keep one
# per board and day (score histories) up to HISTORY days, then only each board's newest.
RATINGS_SNAPSHOT_KEEP_DAYS = env_int("RATINGS_SNAPSHOT_KEEP_DAYS", 7)
RATINGS_SNAPSHOT_HISTORY_DAYS = env_int("RATINGS_SNAPSHOT_HISTORY_DAYS", 730)

# /healthz reports "degraded" past these ages (seconds).
HEALTH_FOLD_MAX_AGE_S = env_int("HEALTH_FOLD_MAX_AGE_S", 60)
HEALTH_CHAIN_TX_MAX_AGE_S = env_int("HEALTH_CHAIN_TX_MAX_AGE_S", 900)
HEALTH_SNAPSHOT_MAX_AGE_S = env_int("HEALTH_SNAPSHOT_MAX_AGE_S", 3600)
# ... and recounts user balances that disagree with the ledger at most this often
# (a scan of every entry; 0: on every request).
HEALTH_LEDGER_CHECK_EVERY_S = env_int("HEALTH_LEDGER_CHECK_EVERY_S", 300)
# Run the refresher inside the ASGI server (one daphne for `make run`); off
# under pytest, where tests refresh explicitly.
RATINGS_REFRESH_IN_PROCESS = env_bool(
    "RATINGS_REFRESH_IN_PROCESS", "pytest" not in __import__("sys").modules
)
# --- the vote's fold ---------------------------------------------------------------
# A vote request stores the vote and reveals the models; the vote's consequences
# (pair counts, reliability, points) are folded in after it commits, in batches
# (datafi.flows.fold.votes_fold). "inline": the request folds right after its vote
# commits, so the voter's points show at once (one server, the embedded default).
# "deferred": the request returns at once and fold workers (manage.py
# vote_worker, or this server's background pass) fold in batches: the
# scaled-out vote path.
VOTE_FOLD = env("VOTE_FOLD", "inline")
if VOTE_FOLD not in ("inline", "deferred"):
    raise ImproperlyConfigured("VOTE_FOLD must be 'inline' or 'deferred'.")
VOTE_FOLD_BATCH = env_int("VOTE_FOLD_BATCH", 500)
# Battles a voter may skip in 24 hours (skipping until a favourite model comes
# up would let a voter pick what they judge).
ARENA_SKIPS_PER_DAY = env_int("ARENA_SKIPS_PER_DAY", 20)
# The ASGI server's own background fold pass, every VOTE_FOLD_SECONDS: it picks
# up votes whose inline fold failed, and does all the folding in deferred mode
# when no vote_worker runs. Off under pytest, where tests fold explicitly.
VOTE_FOLD_IN_PROCESS = env_bool("VOTE_FOLD_IN_PROCESS", "pytest" not in __import__("sys").modules)
VOTE_FOLD_SECONDS = env_float("VOTE_FOLD_SECONDS", 1.0)
# --- live battles ----------------------------------------------------------------
# Fernet key(s) that encrypt model endpoint API keys at rest. Comma-separated: the
# first encrypts, all decrypt (rotation). Generated once per data dir otherwise,
# like SECRET_KEY, so that a checkout runs without configuration.


def _model_key_encryption_keys() -> list[str]:
    if env("MODEL_KEY_ENCRYPTION_KEY"):
        return env_list("MODEL_KEY_ENCRYPTION_KEY", "")
    path = DATA_DIR / "model_key_encryption_key"
    if not path.exists():
        from cryptography.fernet import Fernet

        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return [path.read_text().strip()]


MODEL_KEY_ENCRYPTION_KEYS = _model_key_encryption_keys()
MODEL_KEY_ENCRYPTION_KEY_GENERATED = not env("MODEL_KEY_ENCRYPTION_KEY")
LIVE_PROMPT_MAX_CHARS = env_int("LIVE_PROMPT_MAX_CHARS", 4000)
LIVE_MAX_TURNS = env_int("LIVE_MAX_TURNS", 6)
# Per-user generation rate limit: this many prompts (turns) per window.
# Languages a voter can say they read (ISO 639-1); stored and gold battles are
# served only in the voter's languages (evals/languages.py).
VOTER_LANGUAGES = env_list("VOTER_LANGUAGES", "en,fr,es,id,de,pt,it,nl")
LIVE_RATE_LIMIT = env_int("LIVE_RATE_LIMIT", 30)
LIVE_RATE_WINDOW_S = env_int("LIVE_RATE_WINDOW_S", 3600)
# A model whose endpoint fails this many times in a row is paused.
LIVE_PAUSE_AFTER_FAILURES = env_int("LIVE_PAUSE_AFTER_FAILURES", 3)
# Hard cap on one answer, on top of the endpoint's own (per-read) timeout.
LIVE_GENERATION_MAX_S = env_float("LIVE_GENERATION_MAX_S", 180.0)
# How long to wait for a free concurrency slot on an endpoint.
LIVE_SLOT_WAIT_S = env_float("LIVE_SLOT_WAIT_S", 10.0)
# Words that identify a vendor or model family, on top of the registered models,
# providers and provider model ids. An answer naming one is masked in the
# stream and its battle excluded.
LIVE_KNOWN_VENDORS = env_list(
    "LIVE_KNOWN_VENDORS",
    "OpenAI,ChatGPT,GPT-3.5,GPT-4,GPT-4o,GPT-5,Anthropic,Claude,Google DeepMind,DeepMind,"
    "Gemini,Gemma,Bard,Meta AI,Llama,Mistral,Mixtral,DeepSeek,Qwen,Alibaba Cloud,Cohere,"
    "Grok,xAI,Phi-3,Phi-4,Yi-34B,Moonshot,Kimi,Zhipu,GLM-4",
)
# Optional moderation hook: POSTed {"input": prompt} in OpenAI's moderation
# format; a flagged prompt is refused. Unreachable = refused (fail closed).
MODERATION_URL = env("MODERATION_URL")
MODERATION_API_KEY = env("MODERATION_API_KEY")
MODERATION_TIMEOUT_S = env_float("MODERATION_TIMEOUT_S", 5.0)
# Live frames fan out through the channel layer (one group per battle): leave
# room for a fast stream; a full channel drops messages.
CHANNEL_LAYERS["default"].setdefault("CONFIG", {})["capacity"] = env_int("CHANNEL_CAPACITY", 1000)
# --- provider API ----------------------------------------------------------------
INSTALLED_APPS += ["drf_spectacular_sidecar"]  # Swagger UI / Redoc assets, served offline

# Throttles count in Django's cache: Redis when REDIS_URL is set, so that every
# worker shares one count per key; in-process memory otherwise (one process).
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis, not Django's own RedisCache: that one builds a new
            # redis client object on every call (~0.15 ms of CPU each, three
            # per voter round); django-redis keeps one per process.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "datafi"),
        }
    }
    # Sessions live in the database; with Redis shared by every worker, they
    # are also read through it, which takes a query off every request. (Not
    # with the per-process memory cache below: a log-out in one process would
    # not reach another.)
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PROVIDER_API_THROTTLE_RATES = {
    "api_key": env("PROVIDER_API_RATE", "600/min"),
    "export": env("PROVIDER_EXPORT_RATE", "60/hour"),
}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = dict(PROVIDER_API_THROTTLE_RATES)
PROVIDER_UPLOAD_MAX_BYTES = env_int("PROVIDER_UPLOAD_MAX_BYTES", 32 * 1024 * 1024)
PROVIDER_UPLOAD_MAX_LINES = env_int("PROVIDER_UPLOAD_MAX_LINES", 20_000)
PROVIDER_ANSWER_MAX_CHARS = env_int("PROVIDER_ANSWER_MAX_CHARS", 100_000)
# Live models registered by providers (evals.provider.live): their base URLs may
# not reach loopback, private, link-local or metadata addresses unless this is
# on (a local demo with the stub server; never on a shared deployment).
PROVIDER_ENDPOINTS_ALLOW_PRIVATE = env_bool("PROVIDER_ENDPOINTS_ALLOW_PRIVATE", False)
PROVIDER_DNS_TIMEOUT_S = env_float("PROVIDER_DNS_TIMEOUT_S", 2.0)
# A probe is one short streamed completion; it runs in the request, so it is short.
PROVIDER_PROBE_TIMEOUT_S = env_float("PROVIDER_PROBE_TIMEOUT_S", 10.0)
PROVIDER_PROBE_MAX_TOKENS = env_int("PROVIDER_PROBE_MAX_TOKENS", 16)
# Provider-requested answer generation jobs: run by `manage.py generation_worker`
# and by the ASGI server's own pass (one server: `make run`).
GENERATION_JOBS_IN_PROCESS = env_bool(
    "GENERATION_JOBS_IN_PROCESS", "pytest" not in __import__("sys").modules
)
GENERATION_JOBS_SECONDS = env_float("GENERATION_JOBS_SECONDS", 2.0)
GENERATION_JOB_CONCURRENCY = env_int("GENERATION_JOB_CONCURRENCY", 4)
GENERATION_JOB_RETRIES = env_int("GENERATION_JOB_RETRIES", 3)
# A running job renews its lease as it goes; one whose worker died is taken
# over once the lease has run out.
GENERATION_JOB_LEASE_S = env_int("GENERATION_JOB_LEASE_S", 300)


def _pseudonym_salt() -> str:
    # Derived from SECRET_KEY by default, so pseudonyms are stable per
    # installation without another secret to manage; set it explicitly to keep
    # pseudonyms stable across a SECRET_KEY rotation.
    import hashlib

    return hashlib.sha256(f"datafi-export-pseudonym:{SECRET_KEY}".encode()).hexdigest()


EXPORT_PSEUDONYM_SALT = env("EXPORT_PSEUDONYM_SALT") or _pseudonym_salt()

SPECTACULAR_SETTINGS.update(
    {
        "SCHEMA_PATH_PREFIX": "/api/v1",
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "evals.provider.schema.postprocess_strict_bodies",
        ],
    }
)
# --- quality -------------------------------------------------------------------
# Gold battles: share of served battles that are operator-marked gold pairs.
QUALITY_GOLD_RATE = env_float("QUALITY_GOLD_RATE", 0.05)
# Sampler: each active model's least share of battle seats, as a fraction of the
# share uniform pairs would give it (1: uniform pairs; 0: no floor),
# pair weight = QUALITY_SAMPLER_BASE + the pair's share of the next PLAN_VOTES
# votes as the greedy design plans them (ratings/active.py design_allocation:
# each planned vote goes where it settles the table's order most; targets are
# each model and the next NEIGHBOURS below it, a target's importance is
# 1 / (1 + rank / TOP_SCALE)), relative to the mean share,
# times QUALITY_SAMPLER_NEW_MODEL_BOOST for models with fewer than NEW_MODEL_VOTES;
# then mixed with uniform pairs until each model holds FLOOR x its uniform share.
# BASE and TOP_SCALE were chosen on bench/sampling.py runs (seeds 100-109 and 0-4),
# PLAN_VOTES on seeds 0-9 (2026-11-30).
QUALITY_SAMPLER_FLOOR = env_float("QUALITY_SAMPLER_FLOOR", 0.6)
QUALITY_SAMPLER_BASE = env_float("QUALITY_SAMPLER_BASE", 0.05)
QUALITY_SAMPLER_NEIGHBOURS = env_int("QUALITY_SAMPLER_NEIGHBOURS", 3)
QUALITY_SAMPLER_TOP_SCALE = env_float("QUALITY_SAMPLER_TOP_SCALE", 0.5)
QUALITY_SAMPLER_PLAN_VOTES = env_int("QUALITY_SAMPLER_PLAN_VOTES", 60)
QUALITY_SAMPLER_NEW_MODEL_VOTES = env_int("QUALITY_SAMPLER_NEW_MODEL_VOTES", 100)
QUALITY_SAMPLER_NEW_MODEL_BOOST = env_float("QUALITY_SAMPLER_NEW_MODEL_BOOST", 2.0)
# Reliability: votes of voters whose score falls below the threshold are excluded
# (kept, marked) and earn nothing; at or above FULL_POINTS a vote earns in full.
QUALITY_DEFENCES = env_bool("QUALITY_DEFENCES", True)
QUALITY_RELIABILITY_THRESHOLD = env_float("QUALITY_RELIABILITY_THRESHOLD", 0.5)
QUALITY_FULL_POINTS_RELIABILITY = env_float("QUALITY_FULL_POINTS_RELIABILITY", 0.7)
QUALITY_CONFIDENCE = env_float("QUALITY_CONFIDENCE", 0.95)
QUALITY_GOLD_PRIOR = (
    env_float("QUALITY_GOLD_PRIOR_A", 2.0),
    env_float("QUALITY_GOLD_PRIOR_B", 1.0),
)
QUALITY_GOLD_MIN_ACCURACY = env_float("QUALITY_GOLD_MIN_ACCURACY", 0.6)
# The gold rule checks after every gold vote, so it asks for more than CONFIDENCE:
# at 0.95 four misses in a row flag a voter, and a noisy honest voter (gold
# accuracy 0.55 on close pairs) does that now and then; at 0.99 it takes six.
QUALITY_GOLD_CONFIDENCE = env_float("QUALITY_GOLD_CONFIDENCE", 0.99)
QUALITY_AGREE_MIN = env_float("QUALITY_AGREE_MIN", 0.4)
# The outlier test's level is exact only for a voter who follows the pair's
# pooled outcome distribution; honest voters differ from it (noisier, more
# "both bad"), so its real false-alarm rate on them is several times this.
QUALITY_OUTLIER_ALPHA = env_float("QUALITY_OUTLIER_ALPHA", 0.0001)
QUALITY_OUTLIER_PRIOR_VOTES = env_float("QUALITY_OUTLIER_PRIOR_VOTES", 10.0)
QUALITY_FAVOURITISM_Z = env_float("QUALITY_FAVOURITISM_Z", 4.0)
QUALITY_FAVOURITISM_MIN_VOTES = env_int("QUALITY_FAVOURITISM_MIN_VOTES", 5)
# Rings (manage.py quality_sweep): per model, accounts younger than YOUNG_DAYS
# (0 = all) favouring it past RING_Z, tested against NULL_RATE of them at level
# RING_ALPHA; when significant, those accounts are suspects (see ALONE_Z).
QUALITY_RING_Z = env_float("QUALITY_RING_Z", 2.5)
QUALITY_RING_MIN_BATTLES = env_int("QUALITY_RING_MIN_BATTLES", 4)
QUALITY_RING_NULL_RATE = env_float("QUALITY_RING_NULL_RATE", 0.02)
QUALITY_RING_ALPHA = env_float("QUALITY_RING_ALPHA", 0.001)
QUALITY_RING_MIN_ACCOUNTS = env_int("QUALITY_RING_MIN_ACCOUNTS", 5)
QUALITY_RING_YOUNG_DAYS = env_int("QUALITY_RING_YOUNG_DAYS", 30)
# Of the accounts past RING_Z on a confirmed ring's model, only those past
# ALONE_Z, or sharing a network address with another of them, are flagged.
QUALITY_RING_ALONE_Z = env_float("QUALITY_RING_ALONE_Z", 3.0)
# Once a ring is confirmed, young accounts that share a network address with its
# members and favour the same model past LINK_Z over at least LINK_MIN_BATTLES
# battles are flagged with it (too few battles to clear RING_Z on their own).
QUALITY_RING_LINK_Z = env_float("QUALITY_RING_LINK_Z", 1.0)
QUALITY_RING_LINK_MIN_BATTLES = env_int("QUALITY_RING_LINK_MIN_BATTLES", 2)
# Once a ring is confirmed, young accounts whose first vote came within
# COHORT_HOURS of other accounts' are weighed together: the share of ring
# accounts among those that started with it is fitted from their records on the
# model, and an account with at least COHORT_MIN_BATTLES battles with it is
# flagged when its posterior probability of being a ring account passes
# COHORT_POSTERIOR (1 = never).
QUALITY_RING_COHORT_HOURS = env_float("QUALITY_RING_COHORT_HOURS", 4.0)
QUALITY_RING_COHORT_MIN_BATTLES = env_int("QUALITY_RING_COHORT_MIN_BATTLES", 2)
QUALITY_RING_COHORT_POSTERIOR = env_float("QUALITY_RING_COHORT_POSTERIOR", 0.95)
# How many distinct recent network addresses (hashed) each voter keeps.
QUALITY_NETWORKS_KEPT = env_int("QUALITY_NETWORKS_KEPT", 8)
# Reading speed: a vote faster than the two answers' words at this rate (at least
# MIN_VOTE_MS) keeps a smoothly smaller share of its points, down to SPEED_FLOOR;
# only a vote under IMPOSSIBLE_VOTE_MS is excluded, and a voter with more than
# FAST_MAX_RATE of those (confidently) is flagged too_fast.
QUALITY_READ_WPM = env_float("QUALITY_READ_WPM", 1500.0)
QUALITY_MIN_VOTE_MS = env_int("QUALITY_MIN_VOTE_MS", 1500)
QUALITY_IMPOSSIBLE_VOTE_MS = env_int("QUALITY_IMPOSSIBLE_VOTE_MS", 1000)
QUALITY_SPEED_FLOOR = env_float("QUALITY_SPEED_FLOOR", 0.5)
QUALITY_FAST_MAX_RATE = env_float("QUALITY_FAST_MAX_RATE", 0.25)
# Predicted outcomes come from a Bradley-Terry fit refreshed at most this often.
QUALITY_SCORES_TTL = env_int("QUALITY_SCORES_TTL", 60)
# Vote limits per user and per client IP (0 = no limit).
QUALITY_VOTES_PER_MINUTE_USER = env_int("QUALITY_VOTES_PER_MINUTE_USER", 20)
QUALITY_VOTES_PER_DAY_USER = env_int("QUALITY_VOTES_PER_DAY_USER", 1000)
QUALITY_VOTES_PER_MINUTE_IP = env_int("QUALITY_VOTES_PER_MINUTE_IP", 60)
QUALITY_VOTES_PER_DAY_IP = env_int("QUALITY_VOTES_PER_DAY_IP", 5000)
# Reverse proxies in front of the app that append to X-Forwarded-For; 0 = use
# REMOTE_ADDR only (a client can write any X-Forwarded-For it likes).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# DRF's throttles take X-Forwarded-For whole as the client unless told how many
# proxies write it: the same count, so the whole app agrees on the client.
# (Servers are started with their own proxy-header handling off: Makefile.)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
