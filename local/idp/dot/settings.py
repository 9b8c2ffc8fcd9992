"""Django settings for django-oauth-toolkit as a local OpenID provider (see __init__.py).

Everything comes from the environment the launcher sets: DOT_DATA_DIR (sqlite database and
the RS256 signing key), DOT_ISSUER (the issuer, so that it does not follow the request's Host;
django-oauth-toolkit otherwise builds it from Host), DOT_SECRET_KEY.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR = Path(os.environ["DOT_DATA_DIR"])
ISSUER = os.environ["DOT_ISSUER"]

SECRET_KEY = os.environ.get("DOT_SECRET_KEY", "local-dot-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "local.idp.dot.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(Path(__file__).parent / "templates")],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "dot.sqlite3")}}
LOGIN_URL = "/accounts/login/"
SESSION_COOKIE_NAME = "dot_session"  # not "sessionid": the emulator's site may share 127.0.0.1
CSRF_COOKIE_NAME = "dot_csrf"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": (DATA_DIR / "rsa.pem").read_text() if (DATA_DIR / "rsa.pem").exists() else "",
    "OIDC_ISS_ENDPOINT": ISSUER,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "PKCE_REQUIRED": True,
    "SCOPES": {"openid": "OpenID Connect", "email": "Email", "profile": "Profile"},
    "ROTATE_REFRESH_TOKEN": True,
}
