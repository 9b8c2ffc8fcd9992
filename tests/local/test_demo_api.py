"""The demo API (local/api.py) verifies the gate-forwarded bearer token itself.

Token shapes follow the providers' documentation: Cognito access tokens carry `client_id`,
`token_use: "access"` and no `aud`
(https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html);
generic JWT access tokens are `typ: at+jwt` with `client_id` and an `aud` naming the resource
(RFC 9068 section 2). The JWKS comes from a real HTTP endpoint on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from local.api import JwksCache, TokenError, TokenVerifier, make_server, reports_for
from tests.support.idp_server import LocalIdp
from tests.support.tokens import Keys

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Demo1"
CLIENT = "demo-client-id"


@pytest.fixture
def keys():
    return Keys(ISSUER, CLIENT)


@pytest.fixture
def idp(keys):
    with LocalIdp(keys, CLIENT) as server:
        yield server


def start_api(idp, **verifier_args):
    verifier = TokenVerifier(
        issuer=verifier_args.pop("issuer", ISSUER),
        client_id=CLIENT,
        jwks=JwksCache(idp.base + "/jwks"),
        **verifier_args,
    )
    server = make_server(verifier)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server


@pytest.fixture
def api(idp):
    server = start_api(idp)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def call(url: str, token: str | None = None, method: str = "GET"):
    request = urllib.request.Request(url, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def test_valid_access_token_gets_that_persons_figures(api, keys):
    status, headers, body = call(api + "/api/reports", keys.access_token(sub="sub-ada", username="ada"))
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body["person"] == {"sub": "sub-ada", "username": "ada"}
    assert body["regions"] == reports_for("sub-ada")
    # another person sees other figures
    _, _, other = call(api + "/api/reports", keys.access_token(sub="sub-bob", username="bob"))
    assert other["person"]["username"] == "bob"
    assert other["regions"] != body["regions"]


def test_figures_are_stable_and_plausible_per_person():
    rows = reports_for("sub-x")
    assert rows == reports_for("sub-x")
    assert [r["region"] for r in rows] == ["North", "Coast", "Valley", "City"]
    assert all(0 <= r["closed"] <= r["findings"] for r in rows)


def invalid(status, headers, body, reason):
    assert status == 401
    assert body == {"error": "invalid_token", "reason": reason}
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert headers["WWW-Authenticate"].startswith("Bearer ")


def test_expired_token_is_refused(api, keys):
    token = keys.access_token(now=time.time() - 7200, lifetime=3600)
    invalid(*call(api + "/api/reports", token), "expired")


def test_token_without_exp_is_refused(api, keys):
    token = keys.access_token(exp=None)
    invalid(*call(api + "/api/reports", token), "bad_claims")


def test_wrong_issuer_is_refused(api, keys):
    invalid(*call(api + "/api/reports", keys.access_token(iss=ISSUER + "x")), "wrong_issuer")


def test_wrong_client_is_refused(api, keys):
    # Keys.access_token always sets our client_id: build another client's token by hand
    claims = {**keys.id_claims(aud=None), "client_id": "someone-elses-client", "token_use": "access"}
    invalid(*call(api + "/api/reports", keys.sign(claims)), "wrong_client")
    missing = {**keys.id_claims(aud=None), "token_use": "access"}
    invalid(*call(api + "/api/reports", keys.sign(missing)), "wrong_client")


def test_id_token_is_not_an_access_token(api, keys):
    # same key, same issuer, aud = our client: still refused
    invalid(*call(api + "/api/reports", keys.id_token()), "not_access_token")


def test_token_signed_by_another_key_is_refused(api):
    stranger = Keys(ISSUER, CLIENT)  # same kid "key-1", different key
    invalid(*call(api + "/api/reports", stranger.access_token()), "bad_signature")


def test_unknown_kid_is_refused(api, keys):
    other = Keys(ISSUER, CLIENT, kid="key-unknown")
    invalid(*call(api + "/api/reports", other.access_token()), "unknown_kid")


def test_alg_none_and_hs256_are_refused(api, keys):
    import base64

    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    claims = keys.id_claims()
    none_token = f"{b64({'alg': 'none', 'kid': 'key-1'})}.{b64(claims)}."
    invalid(*call(api + "/api/reports", none_token), "bad_algorithm")
    # HS256 keyed with the public key (the classic algorithm confusion): refused by alg
    import hashlib
    import hmac

    signing_input = f"{b64({'alg': 'HS256', 'kid': 'key-1'})}.{b64(claims)}"
    mac = hmac.new(keys.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    hs_token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    invalid(*call(api + "/api/reports", hs_token), "bad_algorithm")


def test_no_token_gets_401_without_error_code(api):
    status, headers, body = call(api + "/api/reports")
    assert status == 401
    assert body == {"error": "unauthorized", "reason": "missing_token"}
    assert headers["WWW-Authenticate"] == 'Bearer realm="api"'  # RFC 6750 3.1: no error code


def test_garbage_token_is_malformed(api):
    invalid(*call(api + "/api/reports", "not-a-jwt"), "malformed")


def test_viewer_on_admin_gets_403_json(api, keys):
    status, _, body = call(api + "/api/admin/stats", keys.access_token(**{"cognito:groups": ["Viewer"]}))
    assert status == 403
    assert body == {"error": "forbidden", "reason": "missing_group", "required": ["Admin"]}


def test_admin_gets_stats(api, keys):
    call(api + "/api/reports", keys.access_token(sub="s1"))
    status, _, body = call(api + "/api/admin/stats", keys.access_token(sub="s2", **{"cognito:groups": ["Admin"]}))
    assert status == 200
    assert body["groups"] == ["Admin"]
    assert body["reportsServed"] == 1
    assert body["requestedBy"]["sub"] == "s2"


def test_generic_provider_at_jwt_with_groups_claim(idp):
    # oidc-provider-style: typ at+jwt, client_id, aud = the resource, groups in "groups"
    generic = Keys("https://idp.example", CLIENT, provider="oidc")
    idp.keys = generic
    server = start_api(idp, issuer="https://idp.example", audience="https://api.example", group_claims=("groups",))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:

        def at(**extra):
            claims = {
                **generic.id_claims(),
                "client_id": CLIENT,
                "aud": "https://api.example",
                "groups": ["Admin"],
                **extra,
            }
            claims.pop("cognito:groups", None)
            return generic.sign(claims, header={"typ": "at+jwt"})

        assert call(base + "/api/admin/stats", at())[0] == 200
        # the same claims without typ at+jwt look like an ID token: refused
        plain = {**generic.id_claims(), "client_id": CLIENT, "aud": "https://api.example"}
        invalid(*call(base + "/api/reports", generic.sign(plain)), "not_access_token")
        invalid(*call(base + "/api/reports", at(aud="https://other.example")), "wrong_audience")
        # cognito:groups is not read when the configured claim is "groups"
        assert call(base + "/api/admin/stats", at(groups=None, **{"cognito:groups": ["Admin"]}))[0] == 403
    finally:
        server.shutdown()
        server.server_close()


def test_jwks_is_fetched_once(api, keys, idp):
    for _ in range(3):
        assert call(api + "/api/reports", keys.access_token())[0] == 200
    assert len([r for r in idp.requests if r["path"].startswith("/jwks")]) == 1


def test_jwks_down_is_503_not_401(idp, keys):
    idp.fault = "500"
    server = start_api(idp)
    try:
        status, _, body = call(f"http://127.0.0.1:{server.server_address[1]}/api/reports", keys.access_token())
        assert status == 503
        assert body["reason"] == "jwks_unavailable"
    finally:
        server.shutdown()
        server.server_close()


def test_other_methods_and_paths(api, keys):
    assert call(api + "/api/reports", keys.access_token(), method="POST")[0] == 405
    assert call(api + "/api/nope", keys.access_token())[0] == 404
    assert call(api + "/api/health")[0] == 200


# -- the access-token decision, against an oracle written from the rules above ------------------
_maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731


@settings(max_examples=300, deadline=None)
@given(
    token_use=_maybe(st.sampled_from(["access", "id", "refresh", ""])),
    typ=_maybe(st.sampled_from(["at+jwt", "AT+JWT", "application/at+jwt", "JWT", ""])),
    client_id=_maybe(st.sampled_from([CLIENT, "other", ""])),
    aud=_maybe(
        st.one_of(st.sampled_from(["api", "other", CLIENT]), st.lists(st.sampled_from(["api", "other"]), max_size=2))
    ),
    audience=_maybe(st.just("api")),
)
def test_access_token_decision_matches_the_rules(token_use, typ, client_id, aud, audience):
    verifier = TokenVerifier(
        issuer=ISSUER, client_id=CLIENT, jwks=JwksCache("http://127.0.0.1:9/jwks"), audience=audience
    )
    header = {} if typ is None else {"typ": typ}
    claims = {k: v for k, v in {"token_use": token_use, "client_id": client_id, "aud": aud}.items() if v is not None}
    is_access = (
        token_use == "access" if token_use is not None else (typ or "").lower() in ("at+jwt", "application/at+jwt")
    )
    auds = aud if isinstance(aud, list) else [aud]
    expected = is_access and client_id == CLIENT and (audience is None or audience in auds)
    try:
        verifier._check_access_token(header, claims)
        accepted = True
    except TokenError:
        accepted = False
    assert accepted == expected
