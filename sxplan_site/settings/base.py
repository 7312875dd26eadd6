"""Settings shared by every environment; everything that varies comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "sxplan_site.admin_site.SxplanAdminConfig",  # django.contrib.admin, its site (sxplan_site.admin_site)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "common",
    "regions",
    "plans",
    "projects",
    "monitoring",
    "evaluations",
    "seeds",
    "jobs",
    "notices",
    "transfers",
    "pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Decides whether this request's reads may go to the replica (common.routers).
    "common.routers.ReplicaReadMiddleware",
    # Before anything reads the body: a body above the upload limit is refused from its Content-Length.
    "common.middleware.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its answer (common.auth.lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sxplan_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own overrides of other apps' templates (the admin in the site's colours).
        "DIRS": [BASE_DIR / "sxplan_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notices.context_processors.inbox",
            ],
        },
    },
]

WSGI_APPLICATION = "sxplan_site.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A PostgreSQL streaming replica of the same data: reads that tolerate lag go there (common.routers).
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    # Tests run against the primary's test database; the replica mirrors it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# PostgreSQL compiles a query with JIT when its estimated cost is high, which the dashboard's GROUP BY over
# a plan's projects is: 0.9 s of compiling for 80 ms of work at 100,000 projects. The site's queries are short.
for _database in DATABASES.values():
    if _database["ENGINE"].endswith("postgresql"):
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DATABASE_ROUTERS = ["common.routers.ReplicaRouter"]
# After a write, its client reads the primary for this many seconds (its own writes, never a stale copy).
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)
# /healthz answers 503 when the replica is further behind than this.
HEALTHZ_MAX_REPLICA_LAG_SECONDS = env.float("HEALTHZ_MAX_REPLICA_LAG_SECONDS", default=30.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The project list's covering index (INCLUDE columns) is a PostgreSQL speed-up; SQLite, the
# zero-set-up default, builds the same index without them, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# The project's corrections of Django's Chinese (compiled by scripts/setup.sh): read before Django's own.
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Content-Security-Policy (django-csp). Scripts only from this site: the pages carry their data as
# <script type="application/json"> (json_script), which is not executed. Inline *styles* are
# allowed: ECharts writes its tooltips as HTML with style attributes, the progress bars and the
# admin use style attributes, and ReDoc inserts <style> elements; a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        # ReDoc builds its search index in a worker made from a blob: URL.
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

AUTHENTICATION_BACKENDS = [
    "common.auth.LoginAttemptBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sign-in protection on every sign-in path (pages, admin, API token), see common/auth.py:
# after AXES_FAILURE_LIMIT failures for one user name from one address, that pair is locked out
# for AXES_COOLOFF_MINUTES (each further failure during the lockout starts the cool-off again).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "common.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "common.auth.client_ip"
# Behind a reverse proxy (nginx): how many proxies append to X-Forwarded-For. 0 = use REMOTE_ADDR.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# API tokens expire this many days after they were issued; asking for a token again rotates it.
API_TOKEN_TTL = timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    # The token scheme first, so that a missing or bad token answers 401 with ``WWW-Authenticate: Token``.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["common.permissions.RolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "common.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "common.api.schema.AutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.api.negotiation.StrictFormatNegotiation",
    "EXCEPTION_HANDLER": "common.api.exceptions.exception_handler",
    # Per signed-in user and per anonymous client address; counted in CACHES["default"] (use Redis
    # with several workers, or each worker counts alone).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="2000/minute"),
    },
    "NUM_PROXIES": PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "sxplan API",
    "DESCRIPTION": "山西省战略性新兴产业规划管理系统 REST API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "transfers.api.schema.document_export_filters",
        "common.api.schema.document_error_responses",
    ],
    # Several choice sets share a field name ("status", "qualifier"): name each once.
    "ENUM_NAME_OVERRIDES": {
        "ProgressStatusEnum": "plans.choices.ProgressStatusChoices",
        "ObservationStatusEnum": "plans.choices.ObservationStatusChoices",
        "QualifierEnum": "plans.choices.QualifierChoices",
        "SubmissionStateEnum": "monitoring.choices.SubmissionStateChoices",
        "EvaluationStatusEnum": "evaluations.choices.EvaluationStatusChoices",
        "JobStatusEnum": "jobs.choices.JobStatusChoices",
    },
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
# Without a broker the tasks run in-process, so a bare machine needs nothing more.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# visibility_timeout: an unacknowledged task (its worker died) goes back to the queue after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = env.json(
    "CELERY_BROKER_TRANSPORT_OPTIONS",
    default={"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5},
)
CELERY_TASK_TRACK_STARTED = True
# Queueing a job fails at once when the broker is down (the job is marked failed and the API answers
# 503) instead of keeping the request waiting: a short connection timeout and a single quick retry.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Background jobs (jobs.services.job_expire_stale): a running job whose heartbeat is older than the
# lease, or a job still pending after the timeout, lost its process and is marked failed.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=300)
JOB_PENDING_TIMEOUT_SECONDS = env.int("JOB_PENDING_TIMEOUT_SECONDS", default=3600)

# Bulk import and export (transfers): refuse larger files; run larger ones on a worker.
TRANSFER_MAX_UPLOAD_BYTES = env.int("TRANSFER_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
TRANSFER_MAX_ROWS = env.int("TRANSFER_MAX_ROWS", default=50_000)
# Columns a row may reach (the templates have at most 16); a cell further right refuses the file.
TRANSFER_MAX_COLUMNS = env.int("TRANSFER_MAX_COLUMNS", default=64)
# Other request bodies (JSON, form fields) are held in memory up to this size (Django's default,
# stated); uploaded files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
TRANSFER_ASYNC_ROWS = env.int("TRANSFER_ASYNC_ROWS", default=1_000)
# An API list's ?format=xlsx is built whole in the request: above this many records it is refused
# with the way to the background export job (written in constant memory); ?format=csv streams any size.
EXPORT_XLSX_MAX_ROWS = env.int("EXPORT_XLSX_MAX_ROWS", default=50_000)
# Projects without a progress report for this many days are listed in the cities' reminders.
STALE_PROJECT_DAYS = env.int("STALE_PROJECT_DAYS", default=90)
# Key-project warnings (projects.warnings; README “Warnings”). A milestone (or a stage) is yellow
# this many days after its planned date and red after RED_DAYS; investment is yellow when the
# year's completed share lags 序时进度 (months elapsed / 12) by more than YELLOW_POINTS percentage
# points and red beyond RED_POINTS; a month's report is missing NO_REPORT_DAYS after the month ends.
WARNING_MILESTONE_YELLOW_DAYS = env.int("WARNING_MILESTONE_YELLOW_DAYS", default=30)
WARNING_MILESTONE_RED_DAYS = env.int("WARNING_MILESTONE_RED_DAYS", default=90)
WARNING_INVESTMENT_YELLOW_POINTS = env.int("WARNING_INVESTMENT_YELLOW_POINTS", default=10)
WARNING_INVESTMENT_RED_POINTS = env.int("WARNING_INVESTMENT_RED_POINTS", default=20)
WARNING_NO_REPORT_DAYS = env.int("WARNING_NO_REPORT_DAYS", default=10)
# Monitoring rounds (monitoring/): a value more than this factor above or below last period's asks the
# clerk for a comment (it is not refused); cities are reminded this many days before a round's due date.
MONITORING_OUTLIER_FACTOR = env.float("MONITORING_OUTLIER_FACTOR", default=2.0)
MONITORING_REMIND_DAYS = env.int("MONITORING_REMIND_DAYS", default=3)

# Target progress as of a date (plans.progress; README “Progress”). progress / 序时进度 at or above
# FASTER is 快于预期, at or above ON_TRACK 符合序时进度, at or above BEHIND 滞后, below it 严重滞后.
PROGRESS_FASTER_RATIO = env.float("PROGRESS_FASTER_RATIO", default=1.10)
PROGRESS_ON_TRACK_RATIO = env.float("PROGRESS_ON_TRACK_RATIO", default=0.95)
PROGRESS_BEHIND_RATIO = env.float("PROGRESS_BEHIND_RATIO", default=0.70)
# The Open SDG progress ratio (observed ÷ needed compound growth): on track at or above
# SDG_ON_TRACK, acceleration needed at or above SDG_ACCELERATION, limited at or above 0.
PROGRESS_SDG_ON_TRACK = env.float("PROGRESS_SDG_ON_TRACK", default=0.95)
PROGRESS_SDG_ACCELERATION = env.float("PROGRESS_SDG_ACCELERATION", default=0.60)
# A latest value whose period ended more than this many days before the as-of date is stale
# (548: an annual figure, published in the spring after its year, stays fresh through the next year).
PROGRESS_STALE_DAYS = env.int("PROGRESS_STALE_DAYS", default=548)
# The Word template of evaluation reports (a .docx whose styles and page setup the report takes);
# empty: evaluations/reports/default_template.docx. A template uploaded on an evaluation wins.
EVALUATION_DOCX_TEMPLATE = env("EVALUATION_DOCX_TEMPLATE", default="")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="sxplan@localhost")

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
