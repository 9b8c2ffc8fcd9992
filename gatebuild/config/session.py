"""[site], [tokens], [cookies] and [state]: how a session is kept, and for which site."""

from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

from edge.provider import Provider
from edge.settings import ALLOWED_ALGORITHMS, SAME_SITE_VALUES, Cookies, Tokens

from .mistakes import ConfigFileError
from .readers import in_range, is_loopback, nonempty, one_of, str_list, url

MAX_CLAIM_NAME = 200
MIN_SECRET_BYTES = 32
COOKIE_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,20}\Z")


def check_site_url(site: dict) -> str:
    site_url = site["url"]
    if site_url:
        url("site.url", site_url)
        site_url = site_url.rstrip("/")
        if urlsplit(site_url).path:
            raise ConfigFileError('site.url: give only scheme and host, e.g. "https://example.com"')
    return site_url


def check_state_secrets(state: dict) -> tuple[bytes, tuple[bytes, ...]]:
    secret = _state_secret(state["secret"])
    # after a rotation: still accepted for logins that started before it (deploy.py drops them
    # after one login lifetime)
    previous = tuple(_state_secret(s, "state.previous_secrets") for s in state["previous_secrets"])
    if previous and not secret:
        raise ConfigFileError("state.previous_secrets: only with state.secret (the secret that signs now)")
    return secret, previous


def _claim_name(key: str, value: str) -> str:
    if len(value) > MAX_CLAIM_NAME or value.count(".") >= 8 or value != value.strip():
        raise ConfigFileError(
            f'{key}: {value!r} is not a claim name or a short dotted path such as "realm_access.roles"'
        )
    return value


def check_tokens(section: dict, profile: type[Provider] = Provider, client_id: str = "") -> Tokens:
    algorithms = tuple(str_list("tokens.algorithms", section["algorithms"]))
    for alg in algorithms:
        if alg not in ALLOWED_ALGORITHMS:
            raise ConfigFileError(
                f"tokens.algorithms: {alg!r} is not allowed; choose from {', '.join(ALLOWED_ALGORITHMS)} "
                "(none and HMAC are never accepted)"
            )
    leeway = in_range("tokens.leeway_seconds", section["leeway_seconds"])
    window = in_range("tokens.refresh_window_seconds", section["refresh_window_seconds"])
    groups_claim = section["groups_claim"]
    groups_claim = (
        profile.default_groups_claim
        if groups_claim is None
        else _claim_name("tokens.groups_claim", nonempty("tokens.groups_claim", groups_claim))
    )
    roles_claim = section["roles_claim"]
    roles_claim = (
        profile.roles_claim_for(client_id)
        if roles_claim is None
        else _claim_name("tokens.roles_claim", nonempty("tokens.roles_claim", roles_claim))
    )
    return Tokens(
        algorithms=algorithms,
        leeway_seconds=leeway,
        groups_claim=groups_claim,
        roles_claim=roles_claim,
        refresh_window_seconds=window,
        store_access_token=section["store_access_token"],
        require_nonce=section["require_nonce"],
    )


def check_cookies(section: dict, site_url: str) -> Cookies:
    prefix = section["prefix"]
    if not COOKIE_PREFIX.match(prefix):
        raise ConfigFileError("cookies.prefix: use 1-20 letters, digits, '-' or '_'")
    same_site = one_of("cookies.same_site", section["same_site"], SAME_SITE_VALUES)
    secure = section["secure"]
    if not secure:
        host = urlsplit(site_url).hostname if site_url else None
        if not host or not is_loopback(host):
            raise ConfigFileError(
                "cookies.secure: false is only for a local site.url on localhost; remove it for a real site"
            )
    if same_site == "None" and not secure:
        raise ConfigFileError('cookies.same_site: "None" requires cookies.secure = true')
    domain = section["domain"]
    if domain and not re.match(r"^\.?[A-Za-z0-9.-]+\Z", domain):
        raise ConfigFileError(f'cookies.domain: {domain!r} is not a host name such as "example.com"')
    session = in_range("cookies.session_max_age_seconds", section["session_max_age_seconds"])
    login = in_range("cookies.login_max_age_seconds", section["login_max_age_seconds"])
    return Cookies(
        prefix=prefix,
        domain=domain.lstrip("."),
        same_site=same_site,
        secure=secure,
        session_max_age_seconds=session,
        login_max_age_seconds=login,
    )


def _state_secret(given: str, key: str = "state.secret") -> bytes:
    """The configured secret, or b"" for build.py to take from its local secret store."""
    if not given and key == "state.secret":
        return b""
    try:
        raw = base64.urlsafe_b64decode(given + "=" * (-len(given) % 4)) if isinstance(given, str) else b""
    except ValueError:
        raw = b""
    if len(raw) < MIN_SECRET_BYTES:
        raise ConfigFileError(
            f"{key}: must be at least 32 random bytes, base64url-encoded; leave it out and build.py generates one"
        )
    return raw
