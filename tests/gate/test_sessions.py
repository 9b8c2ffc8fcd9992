"""Sessions that last and end cleanly (issue 3): refresh, sign-out, who-am-I, rules, cookies, logs."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from freezegun import freeze_time

from tests.support import hygiene
from tests.support.cloudfront import ASSET, FETCH_JSON, Browser, header, is_response, set_cookies

ID, RT, AT = "__Host-gate-id", "__Host-gate-rt", "__Host-gate-at"
T0 = "2026-03-01 09:00:00"


def logged_in(browser, login, groups=("Viewer",), **claims):
    with freeze_time(T0):
        result = login(browser, "/", groups=groups, lifetime=3600, **claims)
    assert result["status"] == "302"
    return browser


# -- refresh ---------------------------------------------------------------------------------


def test_expired_token_on_navigation_refreshes_once_and_returns_to_the_same_url(browser, login, idp):
    logged_in(browser, login)
    old_id = browser.jar[ID]
    with freeze_time("2026-03-01 10:05:00"):  # the 1-hour ID token has expired
        result = browser.get("/docs/page?x=1")
        assert result["status"] == "302" and header(result, "location") == "/docs/page?x=1"
        assert header(result, "cache-control") == "no-store"
        assert browser.jar[ID] != old_id
        assert not is_response(browser.get("/docs/page?x=1"))
    assert len(idp.token_calls("refresh_token")) == 1


def test_token_inside_the_refresh_window_refreshes_on_navigation(browser, login, idp):
    logged_in(browser, login)
    with freeze_time("2026-03-01 09:56:00"):  # 4 minutes left, window is 5
        assert browser.get("/docs")["status"] == "302"
    assert len(idp.token_calls("refresh_token")) == 1


def test_token_outside_the_window_does_not_refresh(browser, login, idp):
    logged_in(browser, login)
    with freeze_time("2026-03-01 09:50:00"):
        assert not is_response(browser.get("/docs"))
    assert idp.token_calls("refresh_token") == []


def test_a_page_with_30_assets_and_an_expired_token_refreshes_once_and_no_asset_fails(browser, login, idp):
    logged_in(browser, login)
    with freeze_time("2026-03-01 10:30:00"):
        page = browser.get("/reports")  # the navigation comes first, as in a browser
        assert page["status"] == "302"
        assert not is_response(browser.get(header(page, "location")))
        assets = [browser.get(f"/assets/chunk-{i}.js", headers=ASSET) for i in range(30)]
    assert all(not is_response(a) for a in assets)
    assert len(idp.token_calls("refresh_token")) == 1


def test_assets_in_the_refresh_window_never_refresh(browser, login, idp):
    logged_in(browser, login)
    with freeze_time("2026-03-01 09:57:00"):
        assets = [browser.get(f"/assets/{i}.css", headers=ASSET) for i in range(30)]
    assert all(not is_response(a) for a in assets)
    assert idp.token_calls("refresh_token") == []


def test_rotated_refresh_token_is_stored(browser, login, idp):
    logged_in(browser, login)
    idp.rotate_refresh_tokens = True
    old_rt = browser.jar[RT]
    with freeze_time("2026-03-01 10:05:00"):
        browser.get("/")
    assert browser.jar[RT] != old_rt and browser.jar[RT] in idp.refresh_tokens


def test_invalid_grant_ends_the_session_and_starts_exactly_one_login(browser, login, idp):
    logged_in(browser, login)
    idp.refresh_tokens.clear()  # revoked at the IdP
    with freeze_time("2026-03-01 10:05:00"):
        first = browser.get("/docs")  # marked, nothing cleared (a rotation race looks the same)
        assert first["status"] == "302" and header(first, "location") == "/docs" and RT in browser.jar
        result = browser.get("/docs")
    assert len(idp.token_calls("refresh_token")) == 1
    assert result["status"] == "302"
    assert header(result, "location").startswith("https://auth.example.com/oauth2/authorize?")
    assert ID not in browser.jar and RT not in browser.jar and AT not in browser.jar
    assert sum(1 for c in set_cookies(result) if c.startswith("__Host-gate-login-")) == 1


def test_idp_failure_during_refresh_of_an_expired_token_is_a_page_that_can_be_left(browser, login, idp):
    logged_in(browser, login)
    idp.fault = "503"
    with freeze_time("2026-03-01 10:05:00"):
        result = browser.get("/docs")
    assert result["status"] == "503" and header(result, "location") is None
    # "Try again" reloads the page they were on (issue 17), which retries the refresh
    assert '<a class="button" href="/docs">Try again</a>' in result["body"] and 'href="/"' in result["body"]
    assert RT in browser.jar  # kept, so the next try can refresh once the IdP is back


@pytest.mark.slow
def test_idp_failure_inside_the_window_still_lets_a_valid_token_in(browser, login, idp):
    logged_in(browser, login)
    idp.fault = "hang"
    idp.hang_seconds = 2
    with freeze_time("2026-03-01 09:58:00"):
        assert not is_response(browser.get("/docs"))


def test_missing_refresh_token_starts_a_login(browser, login):
    logged_in(browser, login)
    del browser.jar[RT]
    with freeze_time("2026-03-01 10:05:00"):
        result = browser.get("/docs")
    assert header(result, "location").startswith("https://auth.example.com/oauth2/authorize?")


def test_refresh_token_alone_refreshes_on_navigation(browser, login, idp):
    logged_in(browser, login)
    del browser.jar[ID]
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.get("/docs")
    assert result["status"] == "302" and header(result, "location") == "/docs" and ID in browser.jar


def test_expired_token_on_an_asset_is_401_without_a_refresh(browser, login, idp):
    logged_in(browser, login)
    with freeze_time("2026-03-01 10:05:00"):
        assert browser.get("/assets/app.js", headers=ASSET)["status"] == "401"
    assert idp.token_calls("refresh_token") == []


# -- who am I --------------------------------------------------------------------------------


def test_whoami_for_a_signed_in_person(browser, login):
    logged_in(browser, login, groups=("Admin", "Viewer"), name="Ada Lovelace")
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.get("/_gate/me", headers=FETCH_JSON)
    assert result["status"] == "200" and header(result, "cache-control") == "no-store"
    body = json.loads(result["body"])
    assert body["signedIn"] is True and body["username"] == "ada" and body["email"] == "ada@example.com"
    assert body["name"] == "Ada Lovelace" and body["groups"] == ["Admin", "Viewer"]
    assert body["expiresAt"] > 0 and body["sub"]
    assert set(body) == {"signedIn", "sub", "username", "email", "name", "groups", "expiresAt"}


def test_whoami_without_a_session_is_401_json(browser):
    result = browser.get("/_gate/me", headers=FETCH_JSON)
    assert result["status"] == "401" and header(result, "cache-control") == "no-store"
    assert json.loads(result["body"]) == {
        "signedIn": False,
        "reason": "signed_out",
        "refreshUrl": "/_gate/refresh",
        "signInUrl": "/_gate/sign-in?return=%2F",
    }
    assert header(result, "x-gate-reason") == "signed_out"


def test_whoami_with_an_expired_token_refreshes_inline(browser, login, idp):
    logged_in(browser, login)
    with freeze_time("2026-03-01 10:05:00"):
        result = browser.get("/_gate/me", headers=FETCH_JSON)
    assert result["status"] == "200" and json.loads(result["body"])["signedIn"] is True
    assert any(c.startswith(ID + "=") for c in set_cookies(result))


# -- sign-out --------------------------------------------------------------------------------


def test_sign_out_clears_every_cookie_revokes_and_goes_to_cognito_logout(browser, login, idp):
    logged_in(browser, login)
    refresh_token = browser.jar[RT]
    browser.get("/other")  # leave a login cookie behind too
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.get("/_gate/sign-out")
    assert result["status"] == "302"
    location = urlsplit(header(result, "location"))
    assert (location.netloc, location.path) == ("auth.example.com", "/logout")
    assert parse_qs(location.query) == {
        "client_id": ["test-client-id"],
        "logout_uri": ["https://d111111abcdef8.cloudfront.net/_gate/signed-out"],
    }
    cleared = [c for c in set_cookies(result) if "Max-Age=0" in c]
    assert {c.split("=")[0] for c in cleared} >= {ID, RT, AT}
    for line in cleared:
        assert "Path=/" in line and "Secure" in line and "Domain" not in line
    assert browser.jar == {}
    assert idp.revoked == [refresh_token]
    with freeze_time("2026-03-01 09:11:00"):
        again = browser.get("/docs")
    assert header(again, "location").startswith("https://auth.example.com/oauth2/authorize?")


def test_sign_out_with_a_cookie_domain_clears_with_that_domain(make_config, make_handler, login):
    browser = Browser(make_handler(make_config(cookies={"domain": "example.com"})))
    with freeze_time(T0):
        login(browser)
    assert "gate-id" in browser.jar  # no __Host- prefix with a Domain
    result = browser.get("/_gate/sign-out")
    for line in set_cookies(result):
        assert "Domain=example.com" in line


def test_sign_out_for_oidc_uses_end_session_with_hint(make_config, make_handler, login):
    config = make_config(idp={"end_session_endpoint": "https://op.example.com/session/end"})
    config = type(config).from_dict(
        {**config.to_dict(), "provider": "oidc", "endpoints": {**config.to_dict()["endpoints"], "logout_style": "oidc"}}
    )
    browser = Browser(make_handler(config))
    with freeze_time(T0):
        login(browser)
        id_token = browser.jar[ID]
        result = browser.get("/_gate/sign-out")
    query = parse_qs(urlsplit(header(result, "location")).query)
    assert header(result, "location").startswith("https://op.example.com/session/end?")
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["https://d111111abcdef8.cloudfront.net/_gate/signed-out"]


@pytest.mark.slow
def test_sign_out_when_revocation_hangs_is_still_quick(browser, login, idp):
    import time

    logged_in(browser, login)
    idp.fault, idp.hang_seconds = "hang", 3
    started = time.monotonic()
    result = browser.get("/_gate/sign-out")
    assert time.monotonic() - started < 2.0 and result["status"] == "302"
    assert browser.jar == {}


def test_signed_out_page_is_public_and_offers_sign_in(browser):
    result = browser.get("/_gate/signed-out")
    assert result["status"] == "200" and "/_gate/sign-in" in result["body"]


def test_sign_in_path_starts_a_login_that_returns_to_the_asked_path(browser):
    result = browser.get("/_gate/sign-in?return=%2Freports%3Fy%3D2")
    assert result["status"] == "302"
    assert header(result, "location").startswith("https://auth.example.com/oauth2/authorize?")


# -- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin",
        "/admin/",
        "/admin/x",
        "//admin/x",
        "/docs/../admin/x",
        "/%61dmin/x",
        "/admin%2Fx",
        "/ADMIN/x",
        "/admin./x",
        "/admin%2e/x",
        "/./admin",
        "/public/../admin/x",
        "/public/..%2Fadmin/x",
        "/public%2F..%2Fadmin/x",
        "/public\\..\\admin\\x",
        "/admin /x",
    ],
)
def test_rules_cannot_be_stepped_around(browser, login, path):
    logged_in(browser, login, groups=("Viewer",))
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.get(path)
    assert is_response(result) and result["status"] in {"403", "400"}, path


def test_forwarded_uri_is_the_normalised_path(browser, login):
    logged_in(browser, login)
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.get("/docs//a/./b/../c%20d.md")  # a file: a client route would go on as /index.html
    assert result["uri"] == "/docs/a/c%20d.md"


def test_case_insensitive_origins(make_config, make_handler, login):
    browser = Browser(make_handler(make_config(paths={"case_sensitive": False})))
    logged_in(browser, login)
    with freeze_time("2026-03-01 09:10:00"):
        assert browser.get("/Admin/x")["status"] == "403"


def test_first_matching_rule_wins(make_config, make_handler, login):
    rules = [
        {"paths": ["/reports/public-summary"], "groups": ["Viewer"]},
        {"paths": ["/reports/*"], "groups": ["Admin"]},
    ]
    browser = Browser(make_handler(make_config(rules=rules)))
    logged_in(browser, login, groups=("Viewer",))
    with freeze_time("2026-03-01 09:10:00"):
        assert not is_response(browser.get("/reports/public-summary"))
        assert browser.get("/reports/q3")["status"] == "403"


def test_groups_claim_is_configurable(make_config, make_handler, login, idp):
    browser = Browser(make_handler(make_config(tokens={"groups_claim": "groups"})))
    idp.id_token_claims = {"groups": ["Admin"]}
    with freeze_time(T0):
        login(browser, "/", groups=("Viewer",))
    with freeze_time("2026-03-01 09:10:00"):
        assert not is_response(browser.get("/admin"))


# -- cookies ---------------------------------------------------------------------------------


def test_a_token_with_100_groups_is_split_into_chunks_and_reassembled(browser, login):
    groups = [f"team-{i:03d}-with-a-fairly-long-descriptive-name" for i in range(100)] + ["Admin"]
    logged_in(browser, login, groups=groups)
    assert browser.jar[ID].isdigit() and int(browser.jar[ID]) >= 2
    assert {f"{ID}.1", f"{ID}.2"} <= set(browser.jar)
    for name, value in browser.jar.items():
        assert len(name) + len(value) < 4000
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.get("/admin/x")
    assert not is_response(result)
    assert "cookie" not in result["headers"]  # every chunk stripped before the origin


def test_chunks_left_over_from_a_bigger_token_are_cleared(browser, login, idp):
    groups = [f"team-{i:03d}-with-a-fairly-long-descriptive-name" for i in range(100)]
    logged_in(browser, login, groups=groups)
    assert f"{ID}.2" in browser.jar
    entry = next(iter(idp.refresh_tokens.values()))
    entry["claims"]["cognito:groups"] = ["Viewer"]
    with freeze_time("2026-03-01 10:05:00"):
        browser.get("/docs")
    assert not any(name.startswith(ID + ".") for name in browser.jar)
    assert browser.jar[ID].count(".") == 2


def test_a_missing_chunk_means_no_session(browser, login):
    logged_in(browser, login, groups=[f"group-number-{i}-long-name-padding-padding" for i in range(100)])
    del browser.jar[f"{ID}.2"]
    with freeze_time("2026-03-01 09:10:00"):
        assert browser.get("/docs", headers=ASSET)["status"] == "401"
        assert browser.get("/_gate/me", headers=FETCH_JSON)["status"] == "200"  # refreshed whole again
        assert not is_response(browser.get("/docs", headers=ASSET))


def test_tokens_too_large_for_a_request_get_a_clear_error(browser, login):
    groups = [f"g{i:04d}-" + "x" * 60 for i in range(300)]
    with freeze_time(T0):
        result = login(browser, "/", groups=groups)
    assert result["status"] == "502" and "session_too_large" in result["body"]
    assert ID not in browser.jar


def test_access_token_cookie_can_be_turned_off(make_config, make_handler, login):
    browser = Browser(make_handler(make_config(tokens={"store_access_token": False})))
    logged_in(browser, login)
    assert AT not in browser.jar and ID in browser.jar


def test_no_host_prefix_when_not_secure_on_localhost(make_config, make_handler, login):
    browser = Browser(make_handler(make_config(site={"url": "http://localhost:8080"}, cookies={"secure": False})))
    logged_in(browser, login)
    assert "gate-id" in browser.jar
    assert all("Secure" not in line for line in set_cookies(browser.history[-1]["result"]))


# -- logs ------------------------------------------------------------------------------------


def test_one_json_line_per_decision_without_secrets(browser, login, idp):
    start = len(hygiene.LOG_LINES)
    logged_in(browser, login)
    with freeze_time("2026-03-01 09:10:00"):
        browser.get("/docs?code=abcdefghijkl&state=mnopqrstuvwx")
        browser.get("/_gate/sign-out")
    lines = [json.loads(line) for line in hygiene.LOG_LINES[start:]]
    assert [r["decision"] for r in lines] == ["login", "login_complete", "allow", "sign_out"]
    assert lines[1]["reason"] == "code_exchanged" and lines[1]["subject"] and len(lines[1]["subject"]) == 16
    assert all(r["ms"] >= 0 for r in lines)
    text = "\n".join(hygiene.LOG_LINES[start:])
    assert "abcdefghijkl" not in text and "mnopqrstuvwx" not in text  # query strings never logged
    for value in browser.history[1]["request"]["querystring"].split("&"):
        assert value.split("=", 1)[1] not in text


def test_log_level_warning_keeps_only_failures(make_config, make_handler, idp, keys):
    from tests.support.cloudfront import location_query

    start = len(hygiene.LOG_LINES)
    browser = Browser(make_handler(make_config(log={"level": "warning"})))
    query = location_query(browser.get("/docs"))
    assert hygiene.LOG_LINES[start:] == []  # a login redirect is info
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    idp.fault = "500"
    assert browser.request("/_gate/callback", f"code={code}&state={query['state']}")["status"] == "502"
    (line,) = hygiene.LOG_LINES[start:]
    assert json.loads(line)["level"] == "warning" and json.loads(line)["reason"] == "idp_http_500"
