"""A test university's sign-on server: CAS (django-mama-cas) and OpenID Connect (django-oidc-provider).

Run as its own process (gunicorn) by tests/identity/servers.py, with its own SQLite database; like
Apereo CAS, one server speaks both protocols. Environment: IDP_DB (database file), IDP_SITE_URL
(its own base URL, the OIDC issuer's prefix), IDP_TICKET_EXPIRE (CAS ticket lifetime, seconds).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "test-idp-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "mama_cas",
    "oidc_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tests.identity.idp.hooks.ForgedSignatureMiddleware",
]
ROOT_URLCONF = "tests.identity.idp.urls"
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
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("IDP_DB", ":memory:")}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
SITE_URL = os.environ.get("IDP_SITE_URL", "http://127.0.0.1:8800")

# CAS: any platform URL on this machine may ask for tickets; it gets the directory's attributes
# and single log-out requests when the person logs out here.
MAMA_CAS_SERVICES = [
    {
        "SERVICE": r"^https?://(testserver|localhost|127\.0\.0\.1)(:\d+)?/",
        "CALLBACKS": ["tests.identity.idp.hooks.cas_attributes"],
        "LOGOUT_ALLOW": True,
    }
]
MAMA_CAS_ENABLE_SINGLE_SIGN_OUT = True
MAMA_CAS_TICKET_EXPIRE = int(os.environ.get("IDP_TICKET_EXPIRE", "90"))

# OpenID Connect: subjects are usernames; the ID token carries the profile claims; some test
# people get tokens with a wrong audience, issuer or nonce (hooks.py).
OIDC_IDTOKEN_SUB_GENERATOR = "tests.identity.idp.hooks.oidc_sub"
OIDC_USERINFO = "tests.identity.idp.hooks.oidc_userinfo"
OIDC_IDTOKEN_INCLUDE_CLAIMS = True
OIDC_IDTOKEN_PROCESSING_HOOK = "tests.identity.idp.hooks.oidc_mis_issue"
OIDC_SKIP_CONSENT_EXPIRE = 0
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
