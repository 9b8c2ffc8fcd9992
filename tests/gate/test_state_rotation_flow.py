"""A login that starts before a state-secret rotation completes after it (issue 16, item 12).

deploy.py --rotate-state-secret bakes the new secret as `state.secret` and the old one as
`state.previous_secrets` (docs/deploy.md, Secrets). The state and the login nonce were made
with the old secret: both must still verify, and nothing signed with a secret that was never
configured may.
"""

from __future__ import annotations

import base64

import pytest

from gatebuild.config import ConfigFileError, validate
from tests.conftest import STATE_SECRET, raw_config
from tests.support.cloudfront import Browser, location_query

NEW_SECRET = base64.urlsafe_b64encode(b"n" * 32).decode().rstrip("=")


def config_with(idp, secret: str, previous=()):
    raw = raw_config(idp.base, state={"secret": secret, "previous_secrets": list(previous)})
    return validate(raw)[0]


def start_login(browser: Browser) -> dict:
    first = browser.get("/docs")
    assert first["status"] == "302"
    return location_query(first)


def finish_login(browser: Browser, idp, keys, query: dict) -> dict:
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    return browser.request("/_gate/callback", f"code={code}&state={query['state']}")


def test_a_login_in_flight_across_a_rotation_completes(idp, keys, make_handler):
    old_gate = Browser(make_handler(config_with(idp, STATE_SECRET)))
    query = start_login(old_gate)
    rotated = Browser(make_handler(config_with(idp, NEW_SECRET, [STATE_SECRET])))
    rotated.jar = dict(old_gate.jar)  # the same browser, now served by the rotated gate
    result = finish_login(rotated, idp, keys, query)
    assert result["status"] == "302" and "__Host-gate-id" in rotated.jar


def test_after_the_old_secret_is_dropped_the_old_state_is_refused(idp, keys, make_handler):
    old_gate = Browser(make_handler(config_with(idp, STATE_SECRET)))
    query = start_login(old_gate)
    rotated = Browser(make_handler(config_with(idp, NEW_SECRET)))
    rotated.jar = dict(old_gate.jar)
    result = finish_login(rotated, idp, keys, query)
    assert result["status"] == "400" and "state_forged" in result["body"]
    assert idp.token_calls() == []


def test_the_rotated_gate_signs_with_the_new_secret(idp, keys, make_handler):
    rotated = Browser(make_handler(config_with(idp, NEW_SECRET, [STATE_SECRET])))
    query = start_login(rotated)
    only_new = Browser(make_handler(config_with(idp, NEW_SECRET)))
    only_new.jar = dict(rotated.jar)
    assert finish_login(only_new, idp, keys, query)["status"] == "302"


@pytest.mark.parametrize("previous", [["short"], [1], [""]])
def test_previous_secrets_are_checked_like_the_secret(idp, previous):
    with pytest.raises(ConfigFileError, match=r"state.previous_secrets"):
        config_with(idp, NEW_SECRET, previous)


def test_previous_secrets_need_a_current_one(idp):
    raw = raw_config(idp.base)
    raw["state"] = {"previous_secrets": [STATE_SECRET]}
    with pytest.raises(ConfigFileError, match=r"only with state.secret"):
        validate(raw)
