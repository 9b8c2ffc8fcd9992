"""The site's API paths ([[apis]]): the backend-for-frontend pattern at the edge.

On an API path the gate never redirects (a fetch() cannot follow a sign-in page), answers JSON
with a stable `reason`, refuses cross-site state-changing requests, and forwards the request
with `Authorization: Bearer <access token>` (or under the name `token_header` gives) taken from
its HttpOnly cookie, so page JavaScript never sees a token. The decisions (`same_origin_refusal`, `preflight`, `identity_values`) are
pure; `ApiPaths.handle` reads the session and builds the answer. Only imported when the config
has [[apis]] and a request reaches a protected path (see protected.py).

Reasons: 401 signed_out | session_expired | no_access_token | invalid_bearer_token;
403 cross_site | missing_request_header | missing_group | cors_not_allowed.
"""

from __future__ import annotations

from . import claims as claim_kinds
from . import responses
from .access import first_unmet
from .cookies import strip_gate_cookies
from .encoding import b64url_decode
from .errors import GateError, TokenInvalid
from .identity_headers import IDENTITY_HEADERS, normal_name, strip_identity_headers
from .outcome import Outcome
from .paths import NormalPath, Pattern
from .request import ViewerRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .access import AccessPolicy
    from .idp import Deadline
    from .provider import Provider
    from .session import SessionStore
    from .settings import Api, Config
    from .typing_aliases import CfResponse, Claims, Headers, Json
    from .verifier import TokenVerifier

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
REQUEST_HEADER = "x-gate-request"  # the custom header the site's module sends (value "1")
MAX_IDENTITY_HEADER = 4096
PREFLIGHT_MAX_AGE = "600"
_GROUP_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:@!$&'()*+=/ ")


def same_origin_refusal(
    request: ViewerRequest, site_origin: str, allowed: tuple[str, ...] = (), require_header: bool = False
) -> str | None:
    """None when the request shows it comes from the site's own pages (or an allowed origin),
    else the reason to refuse it. `Origin` must be the site's (or allowed); `Sec-Fetch-Site`
    must be same-origin or none (a person's own action); a request with neither (an old
    browser, a script) must carry `X-Gate-Request: 1`, which no cross-site form can send and
    no cross-site fetch can send without a preflight the gate refuses."""
    origin = request.header("origin")
    if origin is not None:
        if origin in allowed:
            return None if not require_header or request.header(REQUEST_HEADER) == "1" else "missing_request_header"
        if origin != site_origin:
            return "cross_site"
    fetch_site = request.header("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return "cross_site"
    needs_header = require_header or (origin is None and fetch_site is None)
    if needs_header and request.header(REQUEST_HEADER) != "1":
        return "missing_request_header"
    return None


def preflight(request: ViewerRequest, allowed: tuple[str, ...]) -> CfResponse:
    """The answer to OPTIONS on an API path. Same-origin requests never need a preflight, so
    only an origin listed in cors_origins gets one (204, credentials allowed); anything else
    is 403 JSON `cors_not_allowed`, and the browser then refuses the real request."""
    origin = request.header("origin")
    method = request.header("access-control-request-method")
    if origin is None or origin not in allowed or not method:
        return responses.json_response(403, {"error": "forbidden", "reason": "cors_not_allowed"})
    extra = {
        "access-control-allow-origin": responses.header("Access-Control-Allow-Origin", origin),
        "access-control-allow-credentials": responses.header("Access-Control-Allow-Credentials", "true"),
        "access-control-allow-methods": responses.header(
            "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE"
        ),
        "access-control-allow-headers": responses.header(
            "Access-Control-Allow-Headers", "Content-Type, X-Gate-Request"
        ),
        "access-control-max-age": responses.header("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
        "vary": responses.header("Vary", "Origin"),
    }
    resp = responses.response(204, "", "text/plain", (), extra)
    return resp


def identity_values(sub: str, groups: frozenset[str]) -> dict[str, str]:
    """X-Gate-Sub and X-Gate-Groups for the origin: groups sorted, comma-separated, each
    percent-encoded where it holds a comma or a byte a header cannot carry."""
    from .urls import quote

    def one(group: str) -> str:
        return group if _GROUP_SAFE.issuperset(group) and "," not in group else quote(group, "")

    values = {
        "x-gate-sub": quote(sub, "@:|-._~") if not _GROUP_SAFE.issuperset(sub) else sub,
        "x-gate-groups": ",".join(one(g) for g in sorted(groups)),
    }
    return {k: v for k, v in values.items() if len(v) <= MAX_IDENTITY_HEADER}


def check_bearer_purpose(claims: Claims, audiences: tuple[str, ...], scopes: tuple[str, ...]) -> None:
    """A client's own access token must be meant for this API: an `aud` among `audiences`, or
    every one of `scopes` granted (`scope`, space-separated, RFC 9068 2.2.3; or `scp`). Issuer,
    client and type alone would accept a token this client got for any other resource. With
    neither configured no bearer token passes (the build refuses that configuration)."""
    if not audiences and not scopes:
        raise TokenInvalid("bearer_purpose_not_configured")
    if audiences:
        aud = claims.get("aud")
        given = aud if isinstance(aud, list) else [aud]
        if not any(isinstance(a, str) and a in audiences for a in given):
            raise TokenInvalid("wrong_audience")
    if scopes:
        granted: set[str] = set()
        for name in ("scope", "scp"):
            value = claims.get(name)
            if isinstance(value, str):
                granted.update(value.split())
            elif isinstance(value, list):
                granted.update(v for v in value if isinstance(v, str))
        if not granted.issuperset(scopes):
            raise TokenInvalid("missing_scope")


def put_token(headers: Headers, name: str, token: str) -> None:
    """`<name>: Bearer <token>` for the API, and nothing else under that name or Authorization.
    With another name than Authorization (token_header), Authorization is left to the origin's
    own use: origin access control for a Lambda function URL signs the origin request with SigV4
    in it, overwriting whatever is there (CloudFront API reference, OriginAccessControlConfig,
    SigningBehavior "always"), and "no-override" would not sign at all when it is present."""
    key = name.lower()
    headers.pop("authorization", None)
    strip_identity_headers(headers, frozenset((normal_name(name),)))  # X_Api_Token is read as it too
    headers[key] = [{"key": name, "value": f"Bearer {token}"}]


class ApiPaths:
    def __init__(
        self,
        config: Config,
        store: SessionStore,
        provider: Provider,
        access: AccessPolicy,
        verifier: TokenVerifier,
        site_origin: Callable[[ViewerRequest], str],
    ):
        case_sensitive = config.paths.case_sensitive
        self._config = config
        self._apis: tuple[tuple[tuple[Pattern, ...], Api], ...] = tuple(
            (tuple(Pattern(p, case_sensitive) for p in api.paths), api) for api in config.apis
        )
        self._store = store
        self._provider = provider
        self._access = access
        self._verifier = verifier
        self._site_origin = site_origin
        self._leeway = config.tokens.leeway_seconds
        self._cookies_cross_site = config.cookies.same_site == "None"

    def match(self, path: NormalPath) -> Api | None:
        """The [[apis]] entry for a path when any reading of it matches one of its patterns."""
        for patterns, api in self._apis:
            for text in path.exacts:
                if any(p.exact(text) for p in patterns):
                    return api
            for text in path.looses:
                if any(p.loose(text) for p in patterns):
                    return api
        return None

    def handle(
        self, api: Api, request: ViewerRequest, now: float, deadline: Deadline, unauthenticated: Callable[..., Outcome]
    ) -> Outcome:
        method = request.method
        if method == "OPTIONS":
            page = preflight(request, api.cors_origins)
            return Outcome.respond(page, "preflight" if page["status"] == "204" else "deny", "cors_preflight")
        headers = request.raw["headers"]
        bearer = self._bearer(request)
        if (
            bearer is not None
            and api.accept_bearer
            and request.header("sec-fetch-site") is None
            and not self._has_session_cookie(request)
        ):
            return self._bearer_client(api, request, bearer, now, deadline)
        headers.pop("authorization", None)  # never a browser's own Authorization, unchecked
        if method not in SAFE_METHODS or self._cookies_cross_site:
            # SameSite=None: a cross-site fetch, <script> or <img> carries the session cookies,
            # so every method must prove it comes from the site's own pages (or cors_origins)
            refusal = same_origin_refusal(request, self._site_origin(request), api.cors_origins)
            if refusal is not None:
                body = {"error": "forbidden", "reason": refusal}
                return Outcome.respond(responses.json_response(403, body), "deny", refusal)
        session = self._store.read(request.jar, now, deadline)
        if session.claims is None:
            outcome: Outcome = unauthenticated(request, session, force_json=True)
            return outcome
        denied = self._missing_group(request, session.claims)
        if denied is not None:
            return denied
        token = self._store.access_token(request.jar)
        if not token:
            missing: Json = {"signedIn": True, "error": "unauthorized", "reason": "no_access_token"}
            page = responses.json_response(
                401, missing, (), {"x-gate-reason": responses.header("X-Gate-Reason", "no_access_token")}
            )
            return Outcome.respond(page, "deny", "no_access_token", session.sub)
        if session.access_expired(now, self._leeway):
            # the access token ran out before the ID token: a refresh brings a new one
            expired: Outcome = unauthenticated(request, session, force_json=True, reason="session_expired")
            return expired
        return self._forward(api, request, session.claims, "valid_session", token)

    @staticmethod
    def _bearer(request: ViewerRequest) -> str | None:
        value = request.header("authorization")
        if value is None or len(request.headers.get("authorization") or ()) != 1:
            return None
        scheme, _, token = value.partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def _has_session_cookie(self, request: ViewerRequest) -> bool:
        names = self._store.names
        return any(name in request.jar for name in names.session())

    def _bearer_client(self, api: Api, request: ViewerRequest, token: str, now: float, deadline: Deadline) -> Outcome:
        """accept_bearer: a non-browser client's own access token, accepted only when it
        verifies as an ACCESS token of this issuer and client (Cognito: token_use "access" and
        client_id; any other provider: RFC 9068 `typ: at+jwt` and client_id)."""
        try:
            claims = self._verifier.verify(token, claim_kinds.ACCESS_TOKEN, now, deadline=deadline)
            if not self._provider.checks_token_use:
                from .jws import parse_json_object

                typ = parse_json_object(b64url_decode(token.split(".")[0])).get("typ")
                if not isinstance(typ, str) or typ.lower() not in claim_kinds.ACCESS_TOKEN_TYPES:
                    raise TokenInvalid("not_access_token")
            check_bearer_purpose(claims, api.bearer_audiences, api.bearer_scopes)
        except (GateError, ValueError) as exc:
            reason = getattr(exc, "reason", "malformed_token")
            body = {"error": "invalid_token", "reason": "invalid_bearer_token", "detail": reason}
            extra = {
                "www-authenticate": responses.header("WWW-Authenticate", 'Bearer error="invalid_token"'),
                "x-gate-reason": responses.header("X-Gate-Reason", "invalid_bearer_token"),
            }
            return Outcome.respond(responses.json_response(401, body, (), extra), "deny", f"bearer_{reason}")
        denied = self._missing_group(request, claims)
        if denied is not None:
            return denied
        return self._forward(api, request, claims, "bearer_token", token)

    def _missing_group(self, request: ViewerRequest, claims: Claims) -> Outcome | None:
        """403 JSON when [entry] or the matching rules refuse the person (access.py). Like the
        pages, it says which kind of requirement failed, never the groups or addresses."""
        required = self._access.required(request.path)
        if not required:
            return None
        reason = first_unmet(self._provider.person(claims), required)
        if reason is None:
            return None
        body = {"error": "forbidden", "reason": reason}
        return Outcome.respond(responses.json_response(403, body), "deny", reason, claims.get("sub"))

    def _forward(self, api: Api, request: ViewerRequest, claims: Claims, reason: str, token: str) -> Outcome:
        cf_request = request.raw
        headers = cf_request["headers"]
        put_token(headers, api.token_header, token)
        strip_gate_cookies(headers, self._store.names.all_prefix)
        strip_identity_headers(headers)
        if api.identity_headers:
            for name, value in identity_values(str(claims.get("sub")), self._provider.groups(claims)).items():
                key = dict(IDENTITY_HEADERS)[name]
                headers[name] = [{"key": key, "value": value}]
        if cf_request["uri"] != request.path.encoded:
            cf_request["uri"] = request.path.encoded
        return Outcome.forward(cf_request, "allow", reason, claims.get("sub"))
