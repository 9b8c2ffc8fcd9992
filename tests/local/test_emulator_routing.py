"""The emulator routes as cloudformation.yaml says (local/distribution.py), with the parameters
the deploy would pass: a change to the template changes what it does, and what it cannot read
stops it from starting. The CloudFront rules and their documentation are cited in
local/distribution.py."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatebuild.lambda_edge_rules import load_template
from local import distribution as cf
from local import emulator as em
from tests.local.standin import make_site, make_zip

TEMPLATE = Path(cf.TEMPLATE)


def fetch(emu, path, method="GET", host=None, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host or f"localhost:{emu.port}")
    if body:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(str(tmp_path_factory.mktemp("site")))


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory):
    return make_zip(str(tmp_path_factory.mktemp("zip") / "edge.zip"))


def variant(tmp_path, old: str, new: str) -> str:
    text = TEMPLATE.read_text()
    assert old in text, old
    path = tmp_path / "template.yaml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


# ---- path patterns: CloudFront's rule against an independent statement of it ----------------


def oracle(pattern: str, path: str) -> bool:
    """Backtracking over characters: `*` any run (slashes too), `?` one character, everything
    else itself (case-sensitive); a pattern without a leading "/" means the same with one."""
    if pattern == "*":
        return True
    if not pattern.startswith("/"):
        pattern = "/" + pattern

    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(path)
        if pattern[i] == "*":
            return any(match(i + 1, k) for k in range(j, len(path) + 1))
        if j < len(path) and (pattern[i] == "?" or pattern[i] == path[j]):
            return match(i + 1, j + 1)
        return False

    return match(0, 0)


@settings(max_examples=400, deadline=None)
@given(
    pattern=st.text(alphabet="/aA.*?_", min_size=1, max_size=8),
    path=st.text(alphabet="/aA.b_", max_size=10).map(lambda p: "/" + p),
)
def test_path_pattern_matching_agrees_with_an_independent_statement(pattern, path):
    assert cf.path_matches(pattern, path) == oracle(pattern, path)


def test_path_patterns_are_case_sensitive_and_first_match_wins():
    config = cf.from_template(csp="default-src 'self'", api_domain="api.example.com", api_path="/api/*")
    assert [b.path_pattern for b in config.behaviors] == ["/_gate/*", "/api/*", "/assets/*", "*"]
    assert config.behavior_for("/_gate/refresh").path_pattern == "/_gate/*"
    assert config.behavior_for("/API/x").path_pattern == "*"  # case-sensitive
    assert config.behavior_for("/api").path_pattern == "*"  # "/api/*" needs the slash
    assert config.behavior_for("/assets/a/b.js").path_pattern == "/assets/*"  # * crosses "/"
    assert not config.error_responses and config.default_root_object == "index.html"
    assert config.origins["site-bucket"].list_bucket  # the template lets the OAC list: S3 says 404


def test_without_an_api_domain_there_is_no_api_behavior():
    config = cf.from_template(csp="default-src 'self'")
    assert [b.path_pattern for b in config.behaviors] == ["/_gate/*", "/assets/*", "*"]
    assert set(config.origins) == {"site-bucket"}


# ---- what the emulator sends is what the template configures --------------------------------


def template_hsts(include_subdomains: bool, preload: bool) -> str:
    """Strict-Transport-Security as the template's SecurityHeadersPolicy configures it, read from
    the raw template (not through local/distribution.py)."""
    template = load_template(str(TEMPLATE))
    sts = template["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]["StrictTransportSecurity"]
    conditions = template["Conditions"]
    assert conditions["HstsSubdomains"] == {"Fn::Equals": [{"Ref": "HstsIncludeSubdomains"}, "true"]}
    assert conditions["HstsPreloaded"] == {"Fn::Equals": [{"Ref": "HstsPreload"}, "true"]}
    chosen = {"HstsSubdomains": include_subdomains or preload, "HstsPreloaded": preload}  # deploy: preload => both

    def pick(node):
        cond, yes, no = node["Fn::If"]
        return yes if chosen[cond] else no

    value = f"max-age={sts['AccessControlMaxAgeSec']}"
    if pick(sts["IncludeSubdomains"]):
        value += "; includeSubDomains"
    if pick(sts["Preload"]):
        value += "; preload"
    return value


@pytest.mark.parametrize("subdomains,preload", [(None, None), (True, None), (None, True)])
def test_hsts_the_emulator_sends_is_the_templates(zip_path, site, subdomains, preload):
    options = {"hsts_include_subdomains": subdomains, "hsts_preload": preload}
    with em.Emulator(zip_path, site, sink=lambda _l: None, max_workers=1, **options) as emu:
        resp, _ = fetch(emu, "/robots.txt")  # the function passes it on: S3, then the policy
        assert resp.status == 200
        assert resp.getheader("Strict-Transport-Security") == template_hsts(bool(subdomains), bool(preload))
    if subdomains is None and preload is None:
        assert "includeSubDomains" not in template_hsts(False, False)  # a default deploy's


# ---- the template decides; a change to it changes the emulator -----------------------------


def test_default_root_object_only_for_the_root(zip_path, site):
    with em.Emulator(zip_path, site, sink=lambda _l: None, max_workers=1) as emu:
        resp, body = fetch(emu, "/")
        assert resp.status == 200 and b"Stand-in site" in body
        resp, body = fetch(emu, "/assets/")  # a "directory": an ordinary GetObject of "assets/"
        assert resp.status == 404 and b"NoSuchKey" in body


def test_post_to_the_gate_paths_passes_and_elsewhere_is_cloudfronts_403(zip_path, site):
    with em.Emulator(zip_path, site, sink=lambda _l: None, max_workers=1, keep_events=5) as emu:
        resp, body = fetch(emu, "/_gate/refresh", "POST", body=b"{}")
        # CloudFront let it through to the function, which (a stand-in) passed it on: S3 grants
        # the OAC reads only, so a POST there is S3's AccessDenied, not CloudFront's refusal
        assert resp.status == 403 and b"AccessDenied" in body and emu.refusals == []
        assert emu.distribution.events[-1]["Records"][0]["cf"]["request"]["method"] == "POST"
        assert "body" not in emu.distribution.events[-1]["Records"][0]["cf"]["request"]  # IncludeBody false
        resp, body = fetch(emu, "/docs", "POST", body=b"{}")
        assert resp.status == 403 and em.METHOD_NOT_ALLOWED.encode() in body
        assert emu.refusals == [
            {**emu.refusals[0], "kind": "method_not_allowed", "method": "POST", "path": "/docs", "behavior": "*"}
        ]


def test_a_template_without_the_gate_behavior_refuses_the_refresh_post(tmp_path, zip_path, site):
    template = variant(
        tmp_path,
        "          - PathPattern: /_gate/*\n            TargetOriginId: site-bucket\n            ViewerProtocolPolicy: redirect-to-https\n            AllowedMethods: [GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE]",
        "          - PathPattern: /_gate/*\n            TargetOriginId: site-bucket\n            ViewerProtocolPolicy: redirect-to-https\n            AllowedMethods: [GET, HEAD, OPTIONS]",
    )
    with em.Emulator(zip_path, site, sink=lambda _l: None, max_workers=1, template=template) as emu:
        resp, _ = fetch(emu, "/_gate/refresh", "POST", body=b"{}")
        assert resp.status == 403
        assert [(r["kind"], r["behavior"]) for r in emu.refusals] == [("method_not_allowed", "/_gate/*")]


def test_without_list_bucket_a_missing_key_is_403(tmp_path, zip_path, site):
    template = variant(tmp_path, "            Action: s3:ListBucket\n", "            Action: s3:GetBucketLocation\n")
    with em.Emulator(zip_path, site, sink=lambda _l: None, max_workers=1, template=template) as emu:
        resp, body = fetch(emu, "/assets/missing.js")
        assert resp.status == 403 and b"AccessDenied" in body


def test_a_distribution_wide_error_mapping_answers_every_behaviors_404(tmp_path, zip_path, site):
    template = variant(
        tmp_path,
        "        # No custom error responses:",
        "        CustomErrorResponses:\n          - ErrorCode: 404\n            ResponseCode: 200\n"
        "            ResponsePagePath: /index.html\n        # No custom error responses:",
    )
    with em.Emulator(zip_path, site, sink=lambda _l: None, max_workers=1, template=template) as emu:
        resp, body = fetch(emu, "/assets/old-chunk.js")  # the trap issue 20 removed
        assert resp.status == 200 and b"Stand-in site" in body


@pytest.mark.parametrize(
    "old,new,words",
    [
        (
            "TrustedKeyGroups: !If [SignedAssets, [!Ref AssetKeyGroup], !Ref AWS::NoValue]",
            "TrustedKeyGroups: [abc]",
            ["TrustedKeyGroups", "AWS::CloudFront::KeyGroup"],
        ),
        ("        DefaultRootObject: index.html\n", "        DefaultRootObject: !Base64 index.html\n", ["Fn::Base64"]),
        (
            "            - EventType: viewer-request\n              IncludeBody: false\n"
            "              LambdaFunctionARN: !Ref GateVersion\n        CacheBehaviors:",
            "            - EventType: origin-request\n              IncludeBody: false\n"
            "              LambdaFunctionARN: !Ref GateVersion\n        CacheBehaviors:",
            ["origin-request functions are not modelled"],
        ),
    ],
)
def test_what_the_emulator_cannot_read_stops_it(tmp_path, zip_path, site, old, new, words):
    template = variant(tmp_path, old, new)
    with pytest.raises(cf.DistributionError) as refused:
        em.Emulator(zip_path, site, sink=lambda _l: None, max_workers=1, template=template)
    for word in words:
        assert word in str(refused.value)


def test_every_problem_at_once(tmp_path):
    text = TEMPLATE.read_text().replace(
        "TrustedKeyGroups: !If [SignedAssets, [!Ref AssetKeyGroup], !Ref AWS::NoValue]",
        "TrustedKeyGroups: [abc]",
        1,
    )
    text = text.replace(
        "            CachePolicyId: !Ref AssetCachePolicy\n", "            CachePolicyId: 0000-unknown\n", 1
    )
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(cf.DistributionError) as refused:
        cf.from_template(tmp_path / "t.yaml", csp="x")
    assert len(refused.value.problems) == 2, refused.value.problems


def test_parameters_are_the_deploys_and_are_checked(zip_path, site):
    given = cf.local_parameters(csp="default-src 'self'", api_domain="api.example.com", api_path="/api/*")
    names = {p["ParameterKey"] for p in given}
    assert {"ContentSecurityPolicy", "ApiDomainName", "ApiPathPattern", "CodeSha256", "CreateCognito"} <= names
    with pytest.raises(cf.DistributionError, match="ApiPathPattern"):
        cf.from_template(csp="x", api_domain="api.example.com", api_path="api/*")  # no leading "/"


# ---- DNS rebinding: only the Host it serves ---------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1:{port}", "localhost:1", "localhost.evil.example:{port}"])
def test_a_host_it_does_not_serve_is_refused(zip_path, site, host):
    with em.Emulator(zip_path, site, sink=lambda _l: None, max_workers=1, keep_events=5) as emu:
        resp, _ = fetch(emu, "/echo", host=host.format(port=emu.port))
        assert resp.status == 403
        assert emu.distribution.events == []  # the function never ran
        assert emu.refusals[-1]["kind"] == "host_not_served"
        assert fetch(emu, "/echo", host=f"LOCALHOST:{emu.port}")[0].status == 200  # names are case-insensitive
