"""Issue 23 in the emulator: with the deploy's asset key the assets behavior trusts a key group
and runs no function, and CloudFront's own check (local/signed_cookies.py) lets a request in on
the gate's cookies and refuses one without them with its 403."""

from __future__ import annotations

import json
import time

import pytest

from edge.cfsign import AssetCookies
from edge.settings import Assets, Cookies
from gatebuild import asset_key
from local import distribution as cf
from local import emulator as em
from tests.local.standin import make_site, make_zip
from tests.local.test_emulator_routing import fetch


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("key") / "asset-key")
    asset_key.load_or_create(path)
    return path


def test_the_template_with_a_key_trusts_it_and_drops_the_function(key_file):
    with open(key_file) as f:
        stored = json.load(f)
    signed = cf.from_template(csp="x", asset_keys={"A": asset_key.public_pem(stored)})
    assets = signed.behavior_for("/assets/app.js")
    assert not assets.gate and [k.key_id for k in assets.trusted_keys] == [stored["key_id"]]
    assert signed.behavior_for("/index.html").gate and signed.behavior_for("/_gate/me").gate
    plain = cf.from_template(csp="x")
    assert plain.behavior_for("/assets/app.js").gate and not plain.behavior_for("/assets/app.js").trusted_keys
    both = cf.from_template(csp="x", asset_keys={"A": asset_key.public_pem(stored), "B": asset_key.public_pem(stored)})
    assert len(both.behavior_for("/assets/x").trusted_keys) == 2  # a rotation's overlap: two keys in the group


def test_assets_pass_on_the_gates_cookies_and_are_refused_without(tmp_path, key_file):
    with open(key_file) as f:
        stored = json.load(f)
    site = make_site(str(tmp_path / "site"))
    emu = em.Emulator(make_zip(str(tmp_path / "edge.zip")), site, asset_key=key_file, keep_events=50, csp="x").start()
    try:
        origin = f"http://localhost:{emu.port}"
        assets = Assets(signed_cookies=True, key_id=stored["key_id"], private_key=asset_key.baked(stored))
        lines = AssetCookies(assets, Cookies(secure=False), origin).mint(int(time.time()) + 60, time.time())
        cookie = "; ".join(line.split(";", 1)[0] for line in lines)
        resp, body = fetch(emu, "/assets/app.js")
        assert resp.status == 403 and b"<Code>MissingKey</Code>" in body and resp.getheader("Server") == "CloudFront"
        conn_headers = {"Cookie": cookie}
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
        conn.request("GET", "/assets/app.js", headers={"Host": f"localhost:{emu.port}", **conn_headers})
        ok = conn.getresponse()
        assert ok.status == 200 and b"dataset.ready" in ok.read()
        tampered = cookie.replace("CloudFront-Key-Pair-Id=", "CloudFront-Key-Pair-Id=X")
        conn.request("GET", "/assets/app.css", headers={"Host": f"localhost:{emu.port}", "Cookie": tampered})
        refused = conn.getresponse()
        assert refused.status == 403 and b"<Code>AccessDenied</Code>" in refused.read()
        conn.close()
        # the function never ran for an asset; CloudFront's refusals are logged as such
        assert not [e for e in emu.distribution.events if "/assets/" in e["Records"][0]["cf"]["request"]["uri"]]
        assert [r["kind"] for r in emu.refusals] == ["signed_cookies_MissingKey", "signed_cookies_AccessDenied"]
    finally:
        emu.stop()
