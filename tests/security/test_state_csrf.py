"""Login CSRF and state: what reaches /_gate/callback that the gate did not start in this browser.

tests/gate/test_login_flow.py has one of each: forged body, expired, other browser, replay,
code twice, nonce mismatch. Here each is pushed further (every way to bend the state, clock
edges, replay after a failure, codes bound to another PKCE verifier, a login cookie with the
wrong verifier), and every refusal is checked the same way: 400 page with a way on, no session
cookie, no redirect, and the IdP asked only when the state and browser binding already held.
"""

from __future__ import annotations

import base64
import time
from urllib.parse import quote

import pytest
from freezegun import freeze_time

from tests.security.conftest import ID, LOGIN_PREFIX, assert_location_same_site, assert_response
from tests.support.cloudfront import Browser, header, location_query, set_cookies

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

OTHER_SECRET = base64.urlsafe_b64encode(b"another-deployment-secret-0123456789").decode().rstrip("=")


def start(browser: Browser, target="/docs"):
    result = browser.get(target)
    assert result["status"] == "302"
    return location_query(result)


def code_for(idp, keys, query, **claims):
    return idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(**claims),
    )


def assert_login_refused(result, reason: str | None = None):
    assert_response(result)
    assert result["status"] == "400", (result["status"], result["body"][-200:])
    assert header(result, "location") is None
    assert "/_gate/sign-in" in result["body"]  # a way on
    if reason:
        assert reason in result["body"]
    for line in set_cookies(result):
        assert not line.startswith(("__Host-gate-id=", "__Host-gate-rt=", "__Host-gate-at=")), line


def login_cookie(browser):
    (name,) = [n for n in browser.jar if n.startswith(LOGIN_PREFIX)]
    return name


# -- missing or malformed state ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "code=abc",
        "code=abc&state=",
        "state=&code=",
        "code=&state=x.y.z",
        "code=abc&state=a&state=b",
        "code=abc&code=abc&state=x",
        "code=abc&STATE=x",
        "code=abc&state%00=x",
        "code=abc;state=x",
    ],
)
def test_missing_or_ambiguous_state_is_refused_without_asking_the_idp(browser, idp, query):
    start(browser)
    assert_login_refused(browser.request("/_gate/callback", query))
    assert idp.token_calls() == []


def _flip(text: str, index: int) -> str:
    ch = text[index]
    return text[:index] + ("B" if ch != "B" else "C") + text[index + 1 :]


STATE_FORGERIES = {
    "mac_flipped": lambda s, other: ".".join([*s.split(".")[:2], _flip(s.split(".")[2], 5)]),
    "mac_truncated": lambda s, other: s[:-4],
    "mac_empty": lambda s, other: s.rsplit(".", 1)[0] + ".",
    "mac_from_another_state": lambda s, other: ".".join([*s.split(".")[:2], other.split(".")[2]]),
    "body_from_another_state": lambda s, other: ".".join([other.split(".")[0], *s.split(".")[1:]]),
    "stamp_moved_forward": lambda s, other: ".".join([s.split(".")[0], _flip(s.split(".")[1], 9), s.split(".")[2]]),
    "two_parts": lambda s, other: s.split(".", 1)[1],
    "four_parts": lambda s, other: s + ".AAAA",
    "padded": lambda s, other: s + "==",
    "standard_base64": lambda s, other: s.replace("-", "+").replace("_", "/") + ("+" if "-" not in s else ""),
    "whitespace": lambda s, other: " " + s,
    "huge": lambda s, other: s + "A" * 4000,
    "non_ascii_body": lambda s, other: "\u00e9" + s,
    "non_ascii_mac": lambda s, other: s[:-1] + "\u00e9",
    "only_dots": lambda s, other: "..",
    "json_in_body": lambda s, other: "eyJpIjoieCIsInIiOiIvL2V2aWwifQ." + ".".join(s.split(".")[1:]),
}


@pytest.mark.parametrize("name", sorted(STATE_FORGERIES))
def test_forged_state_is_refused_and_never_exchanged(handler, idp, keys, name):
    browser = Browser(handler)
    query = start(browser)
    other = start(Browser(handler))["state"]
    code = code_for(idp, keys, query)
    forged = STATE_FORGERIES[name](query["state"], other)
    result = browser.request("/_gate/callback", f"code={code}&state={quote(forged, safe='')}")
    assert_login_refused(result)
    assert idp.token_calls() == []
    assert ID not in browser.jar


@pytest.mark.parametrize("state", ["%C3%A9.AAAAAAAAAAA.AAAA", "%E2%80%AE.AAAAAAAAAAA.AAAA"])
def test_non_ascii_state_is_a_400_not_a_crash(browser, idp, state):
    """Was a 502 internal_error (UnicodeEncodeError in Signer.unsign) until the state was
    checked to be ASCII first."""
    start(browser)
    assert_login_refused(browser.request("/_gate/callback", f"code=x&state={state}"))


def test_state_signed_by_another_deployment_is_refused(make_config, make_handler, idp, keys):
    other_gate = Browser(make_handler(make_config(state={"secret": OTHER_SECRET})))
    query = start(other_gate)
    browser = Browser(make_handler(make_config()))
    browser.jar.update(other_gate.jar)  # even with that deployment's login cookie in hand
    result = browser.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={query['state']}")
    assert_login_refused(result, "state_forged")
    assert idp.token_calls() == []


# -- time ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("later,accepted", [(599, True), (600, True), (601, False), (86_400, False)])
def test_state_lifetime_edges(browser, idp, keys, later, accepted):
    with freeze_time("2026-05-01 08:00:00") as frozen:
        query = start(browser)
        frozen.tick(later)
        result = browser.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={query['state']}")
    if accepted:
        assert result["status"] == "302" and ID in browser.jar
    else:
        assert_login_refused(result, "state_expired")
        assert idp.token_calls() == []


def test_state_from_the_future_is_refused(browser, idp, keys):
    with freeze_time("2026-05-01 08:05:00"):
        query = start(browser)
    with freeze_time("2026-05-01 08:00:00"):  # the gate's clock is 5 minutes behind the state
        result = browser.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={query['state']}")
    assert_login_refused(result, "state_from_future")


# -- replay and browser binding ------------------------------------------------------------------------


def test_replay_after_a_failed_exchange_is_refused(browser, idp, keys):
    """The IdP failed once; the login cookie is gone, so the same (unused) code cannot be replayed."""
    query = start(browser)
    code = code_for(idp, keys, query)
    idp.fault = "500"
    assert browser.request("/_gate/callback", f"code={code}&state={query['state']}")["status"] == "502"
    idp.fault = None
    assert not any(n.startswith(LOGIN_PREFIX) for n in browser.jar)
    assert_login_refused(
        browser.request("/_gate/callback", f"code={code}&state={query['state']}"), "state_not_for_this_browser"
    )
    assert len(idp.token_calls()) == 1


def test_login_csrf_into_a_signed_in_browser_changes_nothing(handler, idp, keys, signed_in):
    """The attacker's own state and code, fed to a victim who is signed in, are refused and the
    victim's session is untouched (no forced login as the attacker)."""
    victim = signed_in("Viewer", sub="victim")
    before = dict(victim.jar)
    attacker = Browser(handler)
    query = start(attacker)
    code = code_for(idp, keys, query, sub="attacker")
    result = victim.request("/_gate/callback", f"code={code}&state={query['state']}")
    assert_login_refused(result, "state_not_for_this_browser")
    assert victim.jar == before
    assert idp.codes.get(code) is not None  # never spent: the IdP was not asked


def test_attacker_state_with_the_victims_own_pending_login(handler, idp, keys):
    """Victim and attacker both have a login in progress; the attacker's pair still does not fit."""
    victim, attacker = Browser(handler), Browser(handler)
    start(victim)
    query = start(attacker)
    result = victim.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={query['state']}")
    assert_login_refused(result, "state_not_for_this_browser")


def test_a_code_issued_for_another_logins_pkce_challenge_is_refused_by_the_idp(browser, idp, keys, handler):
    """Code injection: a real code, bound to someone else's PKCE challenge, with this browser's state."""
    mine = start(browser)
    theirs = start(Browser(handler))
    code = code_for(idp, keys, theirs)
    result = browser.request("/_gate/callback", f"code={code}&state={mine['state']}")
    assert_login_refused(result, "invalid_grant")
    assert len(idp.token_calls()) == 1
    assert ID not in browser.jar


@pytest.mark.parametrize("verifier", ["wrong43", "short", "long", "empty", "non_b64", "padded"])
def test_login_cookie_with_a_wrong_verifier(browser, idp, keys, verifier):
    query = start(browser)
    name = login_cookie(browser)
    browser.jar[name] = {
        "wrong43": "A" * 43,
        "short": "A" * 42,
        "long": "A" * 44,
        "empty": "",
        "non_b64": "!" * 43,
        "padded": browser.jar[name][:41] + "==",
    }[verifier]
    result = browser.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={query['state']}")
    assert_login_refused(result)
    assert ID not in browser.jar
    # a verifier of the right length goes to the IdP once, which refuses it (PKCE); others never do
    assert len(idp.token_calls()) == (1 if verifier in ("wrong43", "non_b64", "padded") else 0)


def test_login_cookie_under_another_login_id_does_not_match(browser, idp, keys):
    query = start(browser)
    name = login_cookie(browser)
    browser.jar[LOGIN_PREFIX + "someone-else"] = browser.jar.pop(name)
    assert_login_refused(
        browser.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={query['state']}"),
        "state_not_for_this_browser",
    )


def test_id_token_for_another_client_from_the_idp_is_refused_at_the_callback(browser, idp, keys):
    query = start(browser)
    code = code_for(idp, keys, query, aud="another-client")
    assert_login_refused(browser.request("/_gate/callback", f"code={code}&state={query['state']}"), "wrong_audience")
    assert ID not in browser.jar


def test_id_token_with_the_nonce_of_another_login_is_refused(browser, handler, idp, keys):
    mine = start(browser)
    theirs = start(Browser(handler))
    code = idp.issue_code(
        challenge=mine["code_challenge"],
        nonce=theirs["nonce"],
        redirect_uri=mine["redirect_uri"],
        claims=keys.id_claims(),
    )
    assert_login_refused(browser.request("/_gate/callback", f"code={code}&state={mine['state']}"), "nonce_mismatch")


# -- the state's return path is checked again at the callback ------------------------------------------


def _signed_state(gate, login_id: str, return_path: str) -> str:
    """A state the gate itself would sign, with any return path (an insider's or a bug's)."""
    now = time.time()
    try:
        state = gate.state_signer.sign(f"{login_id}\n{return_path}", now)
        if isinstance(gate.state_signer.unsign(state, now, 600), str):
            return state
    except (TypeError, AttributeError):
        pass
    return gate.state_signer.sign({"i": login_id, "r": return_path}, now)  # the older JSON payload


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "/\t/evil.example",
        "",
    ],
)
def test_a_signed_state_with_a_hostile_return_path_still_lands_on_the_site(browser, idp, keys, evil):
    import edge.handler as edge_handler

    query = start(browser)
    name = login_cookie(browser)
    login_id = name[len(LOGIN_PREFIX) :]
    state = _signed_state(edge_handler._gate, login_id, evil)
    result = browser.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={state}")
    assert_response(result)
    assert result["status"] in {"302", "400"}
    if result["status"] == "302":
        assert header(result, "location") == "/"
        assert_location_same_site(header(result, "location"))


@pytest.mark.parametrize("length", [1500, 2000])
def test_a_long_deep_link_still_completes_the_login(browser, idp, keys, length):
    """Was a FINDING: a return path of ~1450-2048 characters made a state longer than the signer
    accepted; the person signed in at the IdP, then the callback said 400 state_malformed."""
    target = "/docs?q=" + "a" * length
    query = start(browser, target)
    result = browser.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={query['state']}")
    assert result["status"] == "302", result["body"][-120:]
    assert header(result, "location") in (target, "/")


def test_a_deep_link_under_the_limit_comes_back_exactly(browser, idp, keys):
    target = "/docs?q=" + "a" * 1000
    query = start(browser, target)
    result = browser.request("/_gate/callback", f"code={code_for(idp, keys, query)}&state={query['state']}")
    assert header(result, "location") == target
