"""Issue 23: the gate's CloudFront signed cookies (edge/cfsign.py) against botocore's
CloudFrontSigner (botocore.signers: real code no one here wrote) and the `rsa` package, both
ways, and the emulator's model of CloudFront's check (local/signed_cookies.py)."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
import rsa
from botocore.signers import CloudFrontSigner
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.cfsign import AssetCookies, RsaKey, cloudfront_b64, cookie_path, policy_json
from edge.settings import Assets, Cookies
from gatebuild import asset_key
from local import signed_cookies as cf

NOW = 1_765_000_000


@pytest.fixture(scope="module")
def stored():
    return asset_key.new_key()


@pytest.fixture(scope="module")
def cf_keys(stored):
    return {stored["key_id"]: cf.public_key(stored["key_id"], asset_key.public_pem(stored))}


def _rsa_private(stored) -> rsa.PrivateKey:
    n, e, d, p, q = (int(stored[k], 16) for k in ("n", "e", "d", "p", "q"))
    return rsa.PrivateKey(n, e, d, p, q)


def _assets(stored, paths=("/assets/*",)) -> Assets:
    return Assets(paths=paths, signed_cookies=True, key_id=stored["key_id"], private_key=asset_key.baked(stored))


def _jar(lines: list[str], path: str = "/assets") -> dict[str, str]:
    """What a browser sends to `path` from these Set-Cookie lines (name=value of those scoped there)."""
    jar = {}
    for line in lines:
        pair, *attrs = line.split("; ")
        name, _, value = pair.partition("=")
        if f"Path={path}" in attrs and "Max-Age=0" not in attrs:
            jar[name] = value
    return jar


def _botocore_verify(stored, jar: dict[str, str]) -> dict:
    """An oracle that is not ours: the policy decoded as botocore encodes it (its
    _url_b64encode, inverted by hand) and the signature checked by the `rsa` package."""
    signer = CloudFrontSigner(stored["key_id"], lambda m: b"")
    policy = base64.b64decode(jar["CloudFront-Policy"].replace("-", "+").replace("_", "=").replace("~", "/"))
    assert signer._url_b64encode(policy).decode() == jar["CloudFront-Policy"]
    signature = base64.b64decode(jar["CloudFront-Signature"].replace("-", "+").replace("_", "=").replace("~", "/"))
    public = rsa.PublicKey(int(stored["n"], 16), int(stored["e"], 16))
    assert rsa.verify(policy, signature, public) == "SHA-256"
    assert jar["CloudFront-Hash-Algorithm"] == "SHA256" and jar["CloudFront-Key-Pair-Id"] == stored["key_id"]
    return json.loads(policy)


def test_policy_and_encoding_are_botocores(stored):
    """The same JSON, byte for byte, as botocore's build_policy, and its base64 with -_~."""
    signer = CloudFrontSigner(stored["key_id"], lambda m: b"")
    until = datetime.datetime.fromtimestamp(NOW + 600, tz=datetime.UTC)
    ours = policy_json("https://site.example/assets/*", NOW + 600)
    assert ours == signer.build_policy("https://site.example/assets/*", until)
    for data in (ours.encode(), b"\xfb\xff\xfe", b"a", b"ab"):
        assert cloudfront_b64(data) == signer._url_b64encode(data).decode()


@settings(max_examples=30, deadline=None)
@given(message=st.binary(max_size=300))
def test_crt_signature_is_the_rsa_packages(stored, message):
    key = RsaKey.from_baked(asset_key.baked(stored))
    assert key.sign_sha256(message) == rsa.sign(message, _rsa_private(stored), "SHA-256")


def test_our_cookies_verify_with_botocore_and_in_the_emulator(stored, cf_keys):
    cookies = AssetCookies(_assets(stored), Cookies(), "https://site.example")
    lines = cookies.mint(NOW + 3600, NOW)
    jar = _jar(lines)
    policy = _botocore_verify(stored, jar)
    assert policy == {
        "Statement": [
            {"Resource": "https://site.example/assets/*", "Condition": {"DateLessThan": {"AWS:EpochTime": NOW + 3600}}}
        ]
    }
    assert cf.check(jar, "https://site.example/assets/index-abc.js", "203.0.113.9", NOW, cf_keys)[0]
    # scoped: Secure, HttpOnly, SameSite as the gate's cookies; only the asset path; gone with the policy
    for line in lines:
        assert "; Path=/assets; " in line and "; Secure; HttpOnly; SameSite=Lax" in line and "Max-Age=3600" in line
    # refused: after DateLessThan, another path, another site, a tampered policy, a foreign key
    assert cf.check(jar, "https://site.example/assets/a.js", "203.0.113.9", NOW + 3600, cf_keys)[1] == "AccessDenied"
    assert not cf.check(jar, "https://site.example/admin/a.js", "203.0.113.9", NOW, cf_keys)[0]
    assert not cf.check(jar, "https://evil.example/assets/a.js", "203.0.113.9", NOW, cf_keys)[0]
    longer = policy_json("https://site.example/assets/*", NOW + 99999).encode()
    assert not cf.check(
        {**jar, "CloudFront-Policy": cloudfront_b64(longer)},
        "https://site.example/assets/a.js",
        "1.2.3.4",
        NOW,
        cf_keys,
    )[0]
    assert (
        cf.check({**jar, "CloudFront-Key-Pair-Id": "KOTHER"}, "https://site.example/assets/a", "1.2.3.4", NOW, cf_keys)[
            1
        ]
        == "AccessDenied"
    )
    missing = {k: v for k, v in jar.items() if k != "CloudFront-Key-Pair-Id"}
    assert cf.check(missing, "https://site.example/assets/a", "1.2.3.4", NOW, cf_keys)[1] == "MissingKey"
    assert not cf.check({}, "https://site.example/assets/a", "1.2.3.4", NOW, cf_keys)[0]
    # SHA-1 claimed for a SHA-256 signature: refused
    assert not cf.check(
        {**jar, "CloudFront-Hash-Algorithm": "SHA1"}, "https://site.example/assets/a", "1.2.3.4", NOW, cf_keys
    )[0]


def test_botocore_signed_policies_verify_in_the_emulator(stored, cf_keys):
    """The other way: botocore builds and encodes the policy (custom and canned), the `rsa`
    package signs with SHA-1 as botocore documents; the emulator's model of CloudFront lets them in."""
    private = _rsa_private(stored)
    signer = CloudFrontSigner(stored["key_id"], lambda m: rsa.sign(m, private, "SHA-1"))
    until = datetime.datetime.fromtimestamp(NOW + 60, tz=datetime.UTC)
    after = datetime.datetime.fromtimestamp(NOW - 60, tz=datetime.UTC)
    policy = signer.build_policy("https://site.example/assets/*", until, after, "203.0.113.0/24")
    url = signer.generate_presigned_url("https://site.example/assets/x", policy=policy)
    params = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    jar = {
        "CloudFront-Policy": params["Policy"],
        "CloudFront-Signature": params["Signature"],
        "CloudFront-Key-Pair-Id": params["Key-Pair-Id"],
    }
    assert cf.check(jar, "https://site.example/assets/x.css", "203.0.113.7", NOW, cf_keys)[0]
    assert not cf.check(jar, "https://site.example/assets/x.css", "198.51.100.7", NOW, cf_keys)[0]  # IpAddress
    assert not cf.check(jar, "https://site.example/assets/x.css", "203.0.113.7", NOW - 61, cf_keys)[
        0
    ]  # DateGreaterThan
    canned = signer.generate_presigned_url("https://site.example/assets/y.js", date_less_than=until)
    params = dict(part.split("=", 1) for part in canned.split("?", 1)[1].split("&"))
    jar = {
        "CloudFront-Expires": params["Expires"],
        "CloudFront-Signature": params["Signature"],
        "CloudFront-Key-Pair-Id": params["Key-Pair-Id"],
    }
    assert cf.check(jar, "https://site.example/assets/y.js", "203.0.113.7", NOW, cf_keys)[0]
    assert not cf.check(jar, "https://site.example/assets/z.js", "203.0.113.7", NOW, cf_keys)[0]


def test_ecdsa_p256_keys_are_modelled_too():
    import hashlib

    import ecdsa
    from ecdsa.util import sigencode_der

    sk = ecdsa.SigningKey.generate(curve=ecdsa.NIST256p)
    key = cf.public_key("KEC", sk.get_verifying_key().to_pem().decode())
    policy = policy_json("https://s.example/assets/*", NOW + 60).encode()
    sig = sk.sign(policy, hashfunc=hashlib.sha256, sigencode=sigencode_der)
    jar = {
        "CloudFront-Policy": cloudfront_b64(policy),
        "CloudFront-Signature": cloudfront_b64(sig),
        "CloudFront-Key-Pair-Id": "KEC",
        "CloudFront-Hash-Algorithm": "SHA256",
    }
    assert cf.check(jar, "https://s.example/assets/a", "1.2.3.4", NOW, {"KEC": key})[0]
    assert not cf.check(
        {**jar, "CloudFront-Hash-Algorithm": "SHA1"}, "https://s.example/assets/a", "1.2.3.4", NOW, {"KEC": key}
    )[0]


def _glob_oracle(pattern: str, text: str) -> bool:
    import re

    return (
        re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), text, re.S)
        is not None
    )


@settings(max_examples=300, deadline=None)
@given(pattern=st.text("ab*?/", max_size=8), text=st.text("ab/", max_size=8))
def test_resource_wildcards_match_like_a_regex(pattern, text):
    assert cf.wildcard_match(pattern, text) == _glob_oracle(pattern, text)


def test_clear_and_cookie_paths(stored):
    cookies = AssetCookies(_assets(stored, ("/assets/*", "/static/media/*")), Cookies(domain="example.com"), "")
    lines = cookies.mint(NOW + 10, NOW)
    assert len(lines) == 8 and sum("Path=/static/media;" in line for line in lines) == 4
    assert all("Domain=example.com" in line for line in lines)
    assert (
        'Resource":"http*://*/assets/*'
        in base64.b64decode(_jar(lines)["CloudFront-Policy"].translate(str.maketrans("-_~", "+=/"))).decode()
    )
    cleared = cookies.clear()
    assert len(cleared) == 8 and all("Max-Age=0" in line for line in cleared)
    assert cookie_path("/assets/*") == "/assets" and cookie_path("/a/b/*") == "/a/b"
    for bad in ("/assets/*.js", "/*", "/a*/*", "/assets", "/as?ets/*", "*.js"):
        assert cookie_path(bad) is None, bad


def test_the_key_never_prints(stored):
    assets = _assets(stored)
    assert stored["d"] not in repr(assets) and asset_key.baked(stored)["p"] not in repr(assets)
    assert "bits" in repr(RsaKey.from_baked(asset_key.baked(stored)))


# -- the gate sets, re-mints and clears them ---------------------------------------------------

from freezegun import freeze_time  # noqa: E402

from tests.support.cloudfront import Browser, header, set_cookies  # noqa: E402

T0 = "2026-03-01 09:00:00"
T0_EPOCH = 1772355600


@pytest.fixture
def signed_browser(make_config, make_handler, stored):
    def make(**sections):
        config = make_config(assets={"signed_cookies": True}, **sections)
        config = config._replace(
            assets=config.assets._replace(key_id=stored["key_id"], private_key=asset_key.baked(stored))
        )
        return Browser(make_handler(config))

    return make


def _asset_lines(result) -> list[str]:
    return [line for line in set_cookies(result) if line.startswith("CloudFront-")]


def _granted(result, cf_keys, url="https://d111111abcdef8.cloudfront.net/assets/app.js", now=T0_EPOCH):
    return cf.check(_jar(_asset_lines(result)), url, "203.0.113.9", now, cf_keys)


def test_sign_in_sets_them_until_the_id_token_expires(signed_browser, login, cf_keys):
    browser = signed_browser()
    with freeze_time(T0):
        done = login(browser, "/", lifetime=3600)
    assert done["status"] == "302"
    assert len(_asset_lines(done)) == 4
    assert _granted(done, cf_keys)[0]
    assert not _granted(done, cf_keys, now=T0_EPOCH + 3600)[0]  # DateLessThan = the ID token's exp
    assert all("Max-Age=3600; Path=/assets; Secure; HttpOnly; SameSite=Lax" in line for line in _asset_lines(done))


def test_a_refresh_re_mints_them_and_sign_out_clears_them(signed_browser, login, cf_keys):
    browser = signed_browser()
    with freeze_time(T0):
        login(browser, "/", lifetime=3600)
    with freeze_time("2026-03-01 10:05:00"):  # expired: the navigation refreshes
        refreshed = browser.get("/docs")
        assert refreshed["status"] == "302"
        assert _granted(refreshed, cf_keys, now=T0_EPOCH + 3900)[0]
        out = browser.get("/_gate/sign-out")
    cleared = _asset_lines(out)
    assert len(cleared) == 4 and all("Max-Age=0" in line and "Path=/assets" in line for line in cleared)
    assert _jar(cleared) == {}


def test_a_refused_refresh_ends_them(signed_browser, login, idp):
    browser = signed_browser()
    with freeze_time(T0):
        login(browser, "/", lifetime=3600)
    idp.refresh_tokens.clear()  # spent or revoked: invalid_grant
    with freeze_time("2026-03-01 10:05:00"):
        # invalid_grant: the gate first comes back once (a sibling request may have won a
        # rotation race), then ends the session, and the asset cookies with it
        answers = [browser.get("/docs") for _ in range(2)]
    cleared = [line for result in answers for line in _asset_lines(result)]
    assert cleared and all("Max-Age=0" in line for line in cleared)
    assert answers[-1]["status"] == "302" and "Max-Age=0" in _asset_lines(answers[-1])[0]


def test_a_person_entry_refuses_gets_none(signed_browser, login):
    browser = signed_browser(entry={"groups": ["Staff"]})
    with freeze_time(T0):
        done = login(browser, "/", groups=("Viewer",), lifetime=3600)
    lines = _asset_lines(done)
    assert lines and all("Max-Age=0" in line for line in lines)


def test_off_is_todays_behaviour(browser, login):
    with freeze_time(T0):
        done = login(browser, "/", lifetime=3600)
    assert not _asset_lines(done) and header(done, "location") == "/"


def test_a_signed_in_browser_without_them_gets_them_once_on_a_navigation(signed_browser, login, cf_keys):
    """Turned on for sessions made before, a rotated key, or deleted cookies: the gate cannot
    see the asset cookies (Path=/assets), so it reads the marker set with them."""
    from tests.support.cloudfront import ASSET, is_response

    browser = signed_browser()
    with freeze_time(T0):
        login(browser, "/", lifetime=3600)
        assert not is_response(browser.get("/docs"))  # the marker is there: forwarded, no signing
        del browser.jar["__Host-gate-cf"]
        assert not is_response(browser.get("/assets/a.js", headers=ASSET))  # not a navigation: never redirected
        again = browser.get("/docs?x=1")
        assert again["status"] == "302" and header(again, "location") == "/docs?x=1"
        assert _granted(again, cf_keys)[0]
        assert not is_response(browser.get("/docs?x=1"))  # once
        browser.jar["__Host-gate-cf"] = "KOLDKEY"  # signed with a key since rotated away
        assert browser.get("/docs")["status"] == "302"
