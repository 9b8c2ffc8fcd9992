"""Issue 21: Cognito refresh-token rotation with a 0 s grace period, through the built zip.

The IdP double (local/doubles/idp_server.py) models rotation from AWS's documentation (cited
there): with rotation on, the refresh_token grant returns a new refresh token, and with
RetryGracePeriodSeconds = 0 "a successful request immediately invalidates the submitted refresh
token"; within a grace period the old one still works. Several tabs (or parallel requests) of
one browser that find the session due for refresh at once send the same refresh token: one
wins, the others are refused.

Here the race is real: several copies of the built zip (Lambda runs one instance per concurrent
request) each get one of the browser's parallel requests, and the token endpoint holds each
answer briefly so that they overlap. The browser may then receive the answers in any order, so
every order is checked: the session must survive all of them (no answer may clear what the
winner set), and the browser must need no second refresh afterwards. This is the built zip with
parallel requests, not Chromium: the site's gateSession module (Web Locks) is what makes it one
refresh per browser for its own timer; parallel navigations reach the gate as separate requests,
and one of them wins.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from local.doubles.idp_server import LocalIdp
from tests.conftest import CLIENT_ID, ISSUER, STATE_SECRET
from tests.security.conftest import ID, RT
from tests.support.cloudfront import FETCH_JSON, HOST, NAVIGATE, event, header, set_cookies
from tests.support.tokens import Keys

pytestmark = [pytest.mark.zip, pytest.mark.slow]

PARALLEL = 4
SITE = f"https://{HOST}"


@pytest.fixture(scope="module")
def rkeys():
    return Keys(ISSUER, CLIENT_ID)


@pytest.fixture(scope="module")
def ridp(rkeys):
    with LocalIdp(rkeys, CLIENT_ID) as server:
        server.rotate_refresh_tokens = True
        server.refresh_grace_seconds = 0
        server.refresh_delay_seconds = 0.4
        yield server


@pytest.fixture(scope="module")
def instances(ridp, rkeys, tmp_path_factory):
    from tests.build.test_build_zip import ShippedZip, build

    work = tmp_path_factory.mktemp("rotation")
    text = f'''[idp]
provider = "cognito"
client_id = "{CLIENT_ID}"
token_endpoint = "{ridp.base}/token"
revocation_endpoint = "{ridp.base}/revoke"
jwks_uri = "{ridp.base}/jwks"
[cognito]
region = "us-east-1"
user_pool_id = "us-east-1_Test12345"
domain = "auth.example.com"
[state]
secret = "{STATE_SECRET}"
'''
    result, out = build(work, text, rkeys.jwks())
    assert result.returncode == 0, result.stderr
    running = []
    for i in range(PARALLEL):
        copy = work / f"instance{i}"
        copy.mkdir()
        running.append(ShippedZip(out, copy))
    yield running
    for shipped in running:
        assert "Traceback" not in shipped.close()


def apply(jar: dict, result: dict) -> dict:
    jar = dict(jar)
    for line in set_cookies(result):
        pair, *attributes = line.split("; ")
        name, _, value = pair.partition("=")
        if "Max-Age=0" in attributes:
            jar.pop(name, None)
        else:
            jar[name] = value
    return jar


def cookie(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def in_parallel(instances, events: list[dict]) -> list[dict]:
    results: list = [None] * len(events)

    def one(i):
        results[i] = instances[i].send(events[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def _navigation(uri, jar):
    return event(uri, headers=NAVIGATE, cookies=[cookie(jar)])


def _post_refresh(_uri, jar):
    headers = {**FETCH_JSON, "Sec-Fetch-Site": "same-origin", "Origin": SITE, "X-Gate-Request": "1"}
    return event("/_gate/refresh", method="POST", headers=headers, cookies=[cookie(jar)])


@pytest.mark.parametrize("state", ["expired", "early"])
@pytest.mark.parametrize("mix", ["navigations", "navigations_and_post_refresh"])
def test_zip_parallel_refreshes_with_rotation_and_no_grace_lose_no_session(instances, ridp, rkeys, state, mix):
    """Was: every request that lost the race cleared the session cookies (refresh refused), so a
    browser that received a loser's answer after the winner's was signed out."""
    now = time.time()
    issued = now - 7200 if state == "expired" else now - 3500
    jar = {
        ID: rkeys.id_token(sub="user-a", now=issued, lifetime=3600),
        RT: ridp.issue_refresh_token({"sub": "user-a", "cognito:groups": ["Viewer"]}),
    }
    makers = [_navigation] * PARALLEL
    if mix == "navigations_and_post_refresh":
        makers[1] = _post_refresh
    uris = [f"/docs/page{i}" for i in range(PARALLEL)]
    calls = len(ridp.token_calls("refresh_token"))
    results = in_parallel(instances, [make(uri, jar) for make, uri in zip(makers, uris, strict=True)])
    refreshes = ridp.token_calls("refresh_token")[calls:]
    assert len(refreshes) == PARALLEL  # the gate is stateless: each parallel request asked once
    winners = [r for r in results if any(line.startswith(f"{ID}=ey") for line in set_cookies(r))]
    assert len(winners) == 1, [r.get("status") for r in results]  # 0 s grace: exactly one rotation
    for result in results:
        assert not any(line.startswith((f"{ID}=;", f"{RT}=;")) for line in set_cookies(result)), result
    finals = {}
    for order in itertools.permutations(range(PARALLEL)):
        final = jar
        for i in order:
            final = apply(final, results[i])
        assert ID in final and RT in final, order  # the session survives every order
        assert final[ID] != jar[ID] and final[RT] != jar[RT], order
        finals[tuple(sorted(final.items()))] = order
    before = len(ridp.token_calls("refresh_token"))
    sent = 0
    for final, order in finals.items():
        for i, result in enumerate(results):
            if result.get("status") == "302":
                assert header(result, "location") == uris[i]  # back where it was, never the IdP
                again = instances[sent % PARALLEL].send(_navigation(uris[i], dict(final)))
                sent += 1
                assert "status" not in again, (order, i, again.get("status"))
    assert len(ridp.token_calls("refresh_token")) == before  # no second refresh, whatever the order
