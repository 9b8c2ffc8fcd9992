"""django-oauth-toolkit under /o/ (the issuer's path), its RFC 8414 metadata also at the root
(`/.well-known/oauth-authorization-server/o`, the strict RFC 8414 form), and a login page."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import urls as dot_urls

urlpatterns = [
    path("o/", include(dot_urls, namespace="oauth2_provider")),
    path("", include((dot_urls.metadata_urlpatterns, "oauth2_provider"), namespace="metadata")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
]
