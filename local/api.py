"""The demo API behind the gate: verifies the bearer access token the gate forwards, then
serves per-person figures and one Admin-only endpoint.

    python -m local.api --port 8788 --issuer URL --jwks-url URL --client-id ID
                        [--audience AUD] [--groups-claim cognito:groups] [--host 127.0.0.1]

GET /api/reports      figures derived from the caller's `sub` (each person sees their own)
GET /api/admin/stats  403 JSON unless the token's groups include Admin
GET /api/health       no token needed (for the launcher)

What it checks, and why (this is what any API behind the gate must check itself; the gate's
check does not travel with the request):
- signature: RS256 only, with the JWKS key whose `kid` the token names (python-jose's decode
  given a whole JWKS would try every key and ignore `kid`); the JWKS is fetched once and
  again only for an unknown `kid`, at most once a minute;
- `iss` equals the configured issuer exactly; `exp` present and in the future (python-jose
  passes a token with no `exp` unless told to require it);
- it is an ACCESS token: Cognito marks its tokens with `token_use` ("access" vs "id"); a
  generic provider's JWT access token has header `typ: at+jwt` (RFC 9068 section 2.1). An ID
  token is refused even though it is signed by the same key;
- the client: Cognito access tokens carry `client_id` and no `aud`; RFC 9068 tokens carry
  `client_id` and an `aud` naming the resource. So `client_id` must equal --client-id, and
  when --audience is given `aud` must contain it (python-jose passes a token without `aud`
  even when an audience is given, so the check is done here).
  Cognito access token claims: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
  Cognito's verification steps: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html
- groups: Cognito puts them in `cognito:groups` (in the access token too); oidc-provider and
  Okta use `groups` when configured; --groups-claim picks the claim (default: both).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADMIN_GROUP = "Admin"
DEFAULT_GROUP_CLAIMS = ("cognito:groups", "groups")
ALGORITHMS = ("RS256",)
REGIONS = ("North", "Coast", "Valley", "City")
MAX_TOKEN_LENGTH = 16 * 1024


class TokenError(Exception):
    """A token we refuse; `reason` is a stable code sent back in the JSON."""

    def __init__(self, reason: str, status: int = 401):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def fetch_json(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # a configured URL
        return json.loads(response.read(256 * 1024).decode())


class JwksCache:
    """Keys by kid, fetched once; refetched for an unknown kid at most every `min_refetch` s."""

    def __init__(self, url: str, fetch=fetch_json, min_refetch: float = 60.0):
        if not url.startswith(("https://", "http://")):
            raise ValueError("--jwks-url must be an http(s) URL")
        self.url = url
        self._fetch = fetch
        self._min_refetch = min_refetch
        self._keys: dict[str, object] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        from jose import jwk

        try:
            document = self._fetch(self.url)
        except Exception as exc:  # any fetch failure is the same to the caller
            raise TokenError("jwks_unavailable", 503) from exc
        keys = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") not in ALGORITHMS:
                continue
            try:
                keys[entry["kid"]] = jwk.construct(entry, algorithm="RS256")
            except Exception:  # skip a key we cannot use
                continue
        self._keys = keys
        self._fetched_at = time.monotonic()

    def key(self, kid: str):
        with self._lock:
            if self._fetched_at is None:
                self._load()
            elif kid not in self._keys and time.monotonic() - self._fetched_at >= self._min_refetch:
                self._load()  # the IdP may have rotated its keys
            found = self._keys.get(kid)
        if found is None:
            raise TokenError("unknown_kid")
        return found


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks: JwksCache,
        audience: str | None = None,
        group_claims: tuple[str, ...] = DEFAULT_GROUP_CLAIMS,
        leeway: int = 5,
    ):
        if not issuer or not client_id:
            raise ValueError("issuer and client id are required")
        self.issuer = issuer
        self.client_id = client_id
        self.audience = audience
        self.jwks = jwks
        self.group_claims = tuple(group_claims)
        self.leeway = leeway

    def verify(self, token: str) -> dict:
        from jose import jwt
        from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

        if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise TokenError("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as exc:
            raise TokenError("malformed") from exc
        if header.get("alg") not in ALGORITHMS:
            raise TokenError("bad_algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenError("unknown_kid")
        key = self.jwks.key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                issuer=self.issuer,
                options={
                    "verify_aud": False,
                    "verify_at_hash": False,
                    "require_exp": True,
                    "require_iss": True,
                    "leeway": self.leeway,
                },
            )
        except ExpiredSignatureError as exc:
            raise TokenError("expired") from exc
        except JWTClaimsError as exc:
            raise TokenError("wrong_issuer" if "issuer" in str(exc).lower() else "bad_claims") from exc
        except JOSEError as exc:
            # python-jose raises JWTError for a bad signature and for a missing required claim
            raise TokenError("bad_signature" if "signature" in str(exc).lower() else "bad_claims") from exc
        if claims.get("iss") != self.issuer:  # exact, not python-jose's own comparison
            raise TokenError("wrong_issuer")
        self._check_access_token(header, claims)
        return claims

    def _check_access_token(self, header: dict, claims: dict) -> None:
        token_use = claims.get("token_use")
        typ = str(header.get("typ", "")).lower()
        if token_use is not None:
            if token_use != "access":
                raise TokenError("not_access_token")
        elif typ not in ("at+jwt", "application/at+jwt"):
            raise TokenError("not_access_token")
        if claims.get("client_id") != self.client_id:
            raise TokenError("wrong_client")
        if self.audience is not None:
            aud = claims.get("aud")
            auds = aud if isinstance(aud, list) else [aud]
            if self.audience not in auds:
                raise TokenError("wrong_audience")

    def groups(self, claims: dict) -> list[str]:
        for name in self.group_claims:
            value = claims.get(name)
            if isinstance(value, list):
                return [g for g in value if isinstance(g, str)]
            if isinstance(value, str) and value:
                return [value]
        return []


def person(claims: dict) -> dict:
    username = (
        claims.get("username")
        or claims.get("cognito:username")
        or claims.get("preferred_username")
        or claims.get("sub")
    )
    return {"sub": claims.get("sub"), "username": username}


def reports_for(sub: str) -> list[dict]:
    """Figures that depend only on the person's `sub`: the same person always sees the same."""
    digest = hashlib.sha256(f"reports:{sub}".encode()).digest()
    rows = []
    for i, region in enumerate(REGIONS):
        visits = 20 + digest[3 * i] % 40
        findings = 5 + digest[3 * i + 1] % 20
        closed = digest[3 * i + 2] % (findings + 1)
        rows.append({"region": region, "visits": visits, "findings": findings, "closed": closed})
    return rows


def make_handler(verifier: TokenVerifier, stats: dict):
    class Handler(BaseHTTPRequestHandler):
        server_version = "demo-api"
        sys_version = ""

        def log_message(self, fmt, *args):  # never log the Authorization header
            sys.stderr.write(f"[api] {self.command} {self.path.split('?')[0]} {args[1] if len(args) > 1 else ''}\n")

        def _json(self, status: int, body: dict, extra: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _claims(self) -> dict | None:
            auth = self.headers.get_all("Authorization") or []
            if len(auth) != 1 or not auth[0].startswith("Bearer ") or not auth[0][7:].strip():
                self._json(
                    401,
                    {"error": "unauthorized", "reason": "missing_token"},
                    {"WWW-Authenticate": 'Bearer realm="api"'},
                )
                return None
            try:
                return verifier.verify(auth[0][7:].strip())
            except TokenError as exc:
                if exc.status == 503:
                    self._json(503, {"error": "unavailable", "reason": exc.reason})
                else:
                    self._json(
                        401,
                        {"error": "invalid_token", "reason": exc.reason},
                        {
                            "WWW-Authenticate": f'Bearer realm="api", error="invalid_token", error_description="{exc.reason}"'
                        },
                    )
                return None

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/api/health":
                return self._json(200, {"ok": True})
            if path not in ("/api/reports", "/api/admin/stats"):
                return self._json(404, {"error": "not_found"})
            claims = self._claims()
            if claims is None:
                return None
            who = person(claims)
            groups = verifier.groups(claims)
            if path == "/api/reports":
                with stats["lock"]:
                    stats["reports"] += 1
                    stats["people"].add(who["sub"])
                return self._json(200, {"person": who, "month": "2025-10", "regions": reports_for(str(who["sub"]))})
            if ADMIN_GROUP not in groups:
                return self._json(403, {"error": "forbidden", "reason": "missing_group", "required": [ADMIN_GROUP]})
            with stats["lock"]:
                body = {
                    "requestedBy": who,
                    "groups": groups,
                    "reportsServed": stats["reports"],
                    "distinctPeople": len(stats["people"]),
                    "startedAt": stats["started"],
                }
            return self._json(200, body)

        do_HEAD = do_GET

        def _refuse_method(self):
            self._json(405, {"error": "method_not_allowed"}, {"Allow": "GET, HEAD"})

        do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _refuse_method

    return Handler


def make_server(verifier: TokenVerifier, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    stats = {
        "lock": threading.Lock(),
        "reports": 0,
        "people": set(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    server = ThreadingHTTPServer((host, port), make_handler(verifier, stats))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8788)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--jwks-url", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--audience", default=None, help="also require this value in `aud` (RFC 9068 tokens)")
    parser.add_argument(
        "--groups-claim",
        action="append",
        default=None,
        help="claim holding the groups (repeatable; default: cognito:groups, then groups)",
    )
    args = parser.parse_args(argv)
    verifier = TokenVerifier(
        issuer=args.issuer,
        client_id=args.client_id,
        audience=args.audience,
        jwks=JwksCache(args.jwks_url),
        group_claims=tuple(args.groups_claim or DEFAULT_GROUP_CLAIMS),
    )
    server = make_server(verifier, args.host, args.port)
    print(f"[api] listening on http://{args.host}:{server.server_address[1]}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
