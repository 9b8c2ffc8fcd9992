"""The pure parts of the gate, without the handler: the access policy, the session rules, the
login flow (issue 12: each seam unit-testable on its own)."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.access import AccessPolicy
from edge.errors import BadRequest, LoginFailed
from edge.idp import Deadline, IdpClient
from edge.jwks import KeyStore
from edge.login import LoginFlow
from edge.paths import normalise
from edge.request import ViewerRequest
from edge.session import Session, SessionStore, in_refresh_window
from edge.settings import Paths, Rule
from edge.verifier import TokenVerifier
from tests.support.cloudfront import event

# -- access policy ---------------------------------------------------------------------------------


def policy(public=(), rules=(), case_sensitive=True) -> AccessPolicy:
    return AccessPolicy(
        Paths(public=tuple(public), case_sensitive=case_sensitive),
        tuple(Rule(paths=tuple(p), groups=tuple(g)) for p, g in rules),
    )


def test_public_only_in_the_canonical_spelling_and_the_root_as_the_index_object():
    access = policy(public=["/", "/index.html", "/assets/*"])
    assert access.public_uri(normalise("/assets/app.js"), "/assets/app.js") == "/assets/app.js"
    assert access.public_uri(normalise("/assets//app.js"), "/assets//app.js") is None
    assert access.public_uri(normalise("/x/../assets/app.js"), "/x/../assets/app.js") is None
    assert access.public_uri(normalise("/"), "/") == "/index.html"
    assert access.public_uri(normalise("/docs"), "/docs") is None


def test_first_matching_rule_of_every_reading_is_required():
    access = policy(rules=[(["/admin/*"], ["Admin"]), (["/*"], ["Viewer"])])
    assert groups_required(access, "/admin/x") == [frozenset({"Admin"})]
    assert groups_required(access, "/docs") == [frozenset({"Viewer"})]
    # a case-insensitive origin reads /ADMIN/x as /admin/x: the loose reading brings Admin in
    assert frozenset({"Admin"}) in groups_required(access, "/ADMIN/x")


def groups_required(access: AccessPolicy, path: str) -> list[frozenset[str]]:
    return [needed.groups for needed in access.required(normalise(path))]


def _oracle(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


segment = st.text(alphabet=st.sampled_from("ab"), min_size=1, max_size=3)
plain_path = st.lists(segment, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
pattern = st.lists(st.one_of(segment, st.just("*"), st.just("?")), min_size=1, max_size=4).map(
    lambda s: "/" + "/".join(s)
)


@given(
    st.lists(st.tuples(st.lists(pattern, min_size=1, max_size=2), st.sampled_from(["A", "B", "C"])), max_size=4),
    plain_path,
)
@settings(max_examples=300, deadline=None)
def test_required_groups_is_the_first_matching_rule_by_an_independent_oracle(rules, path):
    access = policy(rules=[(patterns, [group]) for patterns, group in rules])
    first = next(
        (frozenset({group}) for patterns, group in rules if any(_oracle(p).fullmatch(path) for p in patterns)), None
    )
    # lower-case ASCII paths: every reading is the path itself
    assert groups_required(access, path) == ([first] if first else [])


# -- session rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lifetime, left, window, due",
    [
        (3600, 301, 300, False),
        (3600, 300, 300, True),  # the configured window
        (300, 151, 300, False),
        (300, 150, 300, True),  # never in the first half of a short token's life
        (60, 31, 300, False),
        (60, 30, 300, True),
    ],
)
def test_refresh_window(lifetime, left, window, due):
    now = 1_000_000
    claims = {"iat": now + left - lifetime, "exp": now + left}
    assert in_refresh_window(claims, now, window) is due


def test_without_iat_the_window_is_at_most_a_minute():
    assert not in_refresh_window({"exp": 1061}, 1000, 300)
    assert in_refresh_window({"exp": 1060}, 1000, 300)


def test_session_states():
    claims = {"sub": "a", "iat": 0, "exp": 3600}
    assert Session(None, "no_session", "rt").refreshable
    assert not Session(None, "no_session", None).refreshable
    assert Session(None, "token_expired", "rt", "id", expired_claims=claims).refreshable
    assert not Session(None, "bad_signature", "rt", "id").refreshable  # a forged token is no session
    valid = Session(claims, "valid_session", "rt", "id")
    assert valid.signed_in and not valid.refreshable
    assert valid.wants_early_refresh(3500, 300) and not valid.wants_early_refresh(3000, 300)
    tried = Session(claims, "valid_session", "rt", "id", early_refresh_tried=True)
    assert not tried.wants_early_refresh(3500, 300)  # one hop, never a loop
    assert not Session(claims, "valid_session", None, "id").wants_early_refresh(3500, 300)


@pytest.fixture
def store(make_config, keys):
    config = make_config()
    return SessionStore(config, TokenVerifier(config, KeyStore(keys.jwks(), config.tokens.algorithms)))


def names_of(lines):
    return {line.split("=", 1)[0]: ("Max-Age=0" in line) for line in lines}


def test_a_login_without_refresh_token_clears_the_old_one_a_refresh_keeps_it(store):
    jar = {store.names.refresh_token: "old-rt"}
    claims = {"iat": 0, "exp": 3600}
    login = names_of(store.write(jar, {"id_token": "a.b.c"}, claims, 10, from_login=True))
    assert login[store.names.refresh_token] is True  # cleared
    refresh = names_of(store.write(jar, {"id_token": "a.b.c"}, claims, 10, from_login=False))
    assert store.names.refresh_token not in refresh  # kept as it is


def test_the_access_token_goes_first_when_the_session_would_not_fit(store):
    tokens = {"id_token": "i" * 6000, "access_token": "a" * 6000, "refresh_token": "r" * 1000}
    lines = store.write({}, tokens, {"iat": 0, "exp": 3600}, 10, from_login=True)
    assert lines is not None and not any(line.startswith(store.names.access_token + "=") for line in lines)
    assert store.write({}, {"id_token": "i" * 13000}, {"iat": 0, "exp": 3600}, 10, from_login=True) is None


def test_clearing_writes_only_names_the_gate_could_have_set(store):
    jar = {
        store.names.id_token: "x",
        store.names.login_prefix + "A" * 16: "v",
        store.names.login_prefix + "x\r\nInjected: 1": "v",
        store.names.id_token + ".\u0663": "v",
    }
    cleared = set(names_of(store.clear(jar)))
    assert cleared == {*store.names.session(), store.names.login_prefix + "A" * 16}


# -- login flow ---------------------------------------------------------------------------------------


@pytest.fixture
def flow(make_config, keys, idp):
    config = make_config()
    verifier = TokenVerifier(config, KeyStore(keys.jwks(), config.tokens.algorithms))
    store = SessionStore(config, verifier)
    return LoginFlow(config, IdpClient(config), verifier, store, clock=time.time), store


def start(flow, target="/docs?x=1"):
    login, _store = flow
    request = ViewerRequest(event("/docs")["Records"][0]["cf"]["request"])
    response = login.start(request, time.time(), target)
    query = {k: v[0] for k, v in parse_qs(urlsplit(response["headers"]["location"][0]["value"]).query).items()}
    cookie = response["headers"]["set-cookie"][-1]["value"]
    name, verifier = cookie.split(";", 1)[0].split("=", 1)
    return query, name, verifier


def test_start_binds_pkce_nonce_and_state_to_this_browser(flow):
    login, _ = flow
    query, name, verifier = start(flow)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == challenge and query["code_challenge_method"] == "S256"
    assert query["response_type"] == "code" and query["nonce"] and query["nonce"] != challenge
    assert login.return_path_of(query["state"]) == "/docs?x=1"
    assert name.endswith(login.signer.unsign(query["state"], time.time(), 600).split("\n")[0])


def callback(flow, query, cookies, method="GET"):
    login, _ = flow
    request = ViewerRequest(
        event("/_gate/callback", f"code=c&state={query['state']}", method=method, cookies=cookies)["Records"][0]["cf"][
            "request"
        ]
    )
    return login.finish(request, time.time(), Deadline(2))


def test_finish_needs_get_the_state_and_this_browsers_verifier(flow, idp):
    query, name, verifier = start(flow)
    with pytest.raises(BadRequest, match="callback_needs_get"):
        callback(flow, query, [f"{name}={verifier}"], method="POST")
    with pytest.raises(LoginFailed, match="state_not_for_this_browser"):
        callback(flow, query, [])
    with pytest.raises(LoginFailed, match="state_forged"):
        callback(flow, {"state": query["state"][:-2] + "AA"}, [f"{name}={verifier}"])
    assert idp.token_calls() == []  # no code was spent on any of them


def test_finish_completes_a_login_with_the_idp(flow, idp, keys):
    query, name, verifier = start(flow)
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    login, store = flow
    request = ViewerRequest(
        event("/_gate/callback", f"code={code}&state={query['state']}", cookies=[f"{name}={verifier}"])["Records"][0][
            "cf"
        ]["request"]
    )
    claims, set_cookies, target = login.finish(request, time.time(), Deadline(2))
    assert target == "/docs?x=1" and claims["sub"]
    written = names_of(set_cookies)
    assert written[name] is True and written[store.names.id_token] is False
