"""A user's config mistake gets one line naming the key and the fix, exit 2, and no zip."""

import copy
import os
import subprocess
import sys

import pytest

from edge.provider import provider_for
from gatebuild.config import ConfigFileError, validate
from tests.conftest import ROOT

BASE = {
    "idp": {"provider": "cognito", "client_id": "abc"},
    "cognito": {
        "region": "eu-west-1",
        "user_pool_id": "eu-west-1_AbC123",
        "domain": "app.auth.eu-west-1.amazoncognito.com",
    },
}


def with_(**changes):
    raw = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        section, _, key = dotted.partition("__")
        if key:
            raw.setdefault(section, {})[key] = value
        else:
            raw[section] = value
    return raw


def error_of(raw) -> str:
    with pytest.raises(ConfigFileError) as caught:
        validate(raw)
    return str(caught.value)


def test_cognito_mode_derives_every_endpoint():
    config, to_discover = validate(BASE)
    assert to_discover == []
    assert config.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert config.endpoints.jwks == config.issuer + "/.well-known/jwks.json"
    assert config.endpoints.authorization == "https://app.auth.eu-west-1.amazoncognito.com/oauth2/authorize"
    assert config.endpoints.token.endswith("/oauth2/token") and config.endpoints.revocation.endswith("/oauth2/revoke")
    assert (config.endpoints.logout, config.endpoints.logout_style) == (
        "https://app.auth.eu-west-1.amazoncognito.com/logout",
        "cognito",
    )
    assert provider_for(config).checks_token_use


def test_oidc_mode_asks_for_discovery_of_what_is_missing():
    raw = {
        "idp": {
            "provider": "oidc",
            "client_id": "c",
            "issuer": "https://op.example.com/",
            "token_endpoint": "https://op.example.com/token",
        }
    }
    config, to_discover = validate(raw)
    # kept exactly: OIDC compares issuers as strings, and Auth0's ends with "/" (issue 14)
    assert config.issuer == "https://op.example.com/" and not provider_for(config).checks_token_use
    assert to_discover == ["authorization_endpoint", "jwks_uri", "revocation_endpoint", "end_session_endpoint"]


def test_config_is_immutable():
    config, _ = validate(BASE)
    with pytest.raises(AttributeError):  # a namedtuple: "can't set attribute"
        config.client_id = "x"


@pytest.mark.parametrize(
    "raw,expected",
    [
        # (client_id given: without it, that is a second mistake, reported as well: see the test below)
        ({"idp": {"client_id": "c"}, "cognito": BASE["cognito"]}, "idp.provider: missing; add it under [idp]"),
        (with_(idp__client_id=None), "idp.client_id: missing"),
        (with_(idp__client_ids="x"), 'idp.client_ids: unknown key; did you mean "client_id"?'),
        (with_(tokens__leway_seconds=5), 'did you mean "leeway_seconds"'),
        (with_(sesion={}), "[sesion]: unknown section; known sections: idp, "),
        (with_(cookie={}), '[cookie]: unknown section; did you mean "cookies"?'),
        (with_(tokens__leeway_seconds="30"), "tokens.leeway_seconds: must be a whole number, not a string"),
        (with_(idp__timeout_seconds="3"), "idp.timeout_seconds: must be a number, not a string"),
        (
            with_(site__url="http://example.com"),
            "site.url: 'http://example.com' is not an https URL; write it as \"https://host\" ",
        ),
        (with_(cognito__domain="http://auth.example.com"), 'write it as "https://host" '),
        (with_(tokens__leeway_seconds=3600), "tokens.leeway_seconds: must be between 0 and 300"),
        (with_(tokens__algorithms=["none"]), "tokens.algorithms: 'none' is not allowed"),
        (with_(tokens__algorithms=["HS256"]), "never accepted"),
        (with_(cookies__secure=False), "cookies.secure: false is only for a local site.url"),
        (with_(cookies__same_site="lax"), "cookies.same_site: must be one of"),
        (
            with_(idp__token_endpoint="http://login.example.com/token"),
            "idp.token_endpoint: 'http://login.example.com/token' is not an https URL",
        ),
        (with_(idp__token_endpoint="not a url"), "is not an https URL"),
        (with_(site__url="https://example.com/app"), "site.url: give only scheme and host"),
        (
            with_(cognito__user_pool_id="us-east-1_X1"),
            "cognito.region: pool 'us-east-1_X1' is in 'us-east-1', not 'eu-west-1'; set region = \"us-east-1\" under [cognito]",
        ),
        (with_(cognito__region="Europe"), "cognito.region: 'Europe' is not an AWS region"),
        (with_(idp__scopes=["email"]), 'idp.scopes: must include "openid"'),
        (with_(idp__timeout_seconds=10), "idp.timeout_seconds: must be between 0.5 and 4.0"),
        (with_(state__secret="short"), "state.secret: must be at least 32 random bytes"),
        (with_(paths__callback="/callback/"), "paths.callback:"),
        (
            with_(paths__public=["/_gate/me"]),
            "paths.public: '/_gate/me' can never match: the gate answers that path itself",
        ),
        (with_(paths__public=["admin/*"]), 'can never match; path patterns start with "/"'),
        (with_(rules=[{"paths": ["/admin/*"], "groups": []}]), "rules[1]: says nobody may see its paths; give groups"),
        (with_(rules=[{"paths": ["/admin/*"]}]), "rules[1]: says nobody may see its paths; give groups"),
        (
            with_(rules=[{"paths": ["/*"], "groups": ["A"]}, {"paths": ["/admin/*"], "groups": ["B"]}]),
            "rules[2].paths: '/admin/*' can never match because '/*' comes first",
        ),
        (
            with_(rules=[{"paths": ["/a/../b"], "groups": ["A"]}]),
            "can never match, requests are matched after resolving",
        ),
        (
            with_(paths__public=["/docs/*"], rules=[{"paths": ["/docs/secret"], "groups": ["A"]}]),
            "rules[1].paths: '/docs/secret' can never apply because paths.public has '/docs/*', and public "
            "paths need no sign-in; narrow or remove that public pattern",
        ),
        (with_(idp__provider="saml"), "idp.provider: must be one of 'cognito', 'oidc'"),
        ({"idp": {"provider": "oidc", "client_id": "c"}}, "idp.issuer: missing"),
        (
            {"idp": {"provider": "oidc", "client_id": "c", "issuer": "https://x"}, "cognito": {"region": "us-east-1"}},
            "[cognito]: only used with",
        ),
    ],
)
def test_mistakes_name_the_key_and_the_fix(raw, expected):
    raw = {k: v for k, v in raw.items() if v is not None}
    for section in raw.values():
        if isinstance(section, dict):
            for key in [k for k, v in section.items() if v is None]:
                del section[key]
    message = error_of(raw)
    assert expected in message
    assert "\n" not in message


def run_build(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "build.py"), *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_build_cli_reports_a_mistake_in_one_line_with_exit_2_and_no_zip(tmp_path):
    config = tmp_path / "gate.toml"
    config.write_text('[idp]\nprovider = "cognito"\nclient_id = "abc"\ntimeout = 3\n')
    out = tmp_path / "edge.zip"
    result = run_build("--config", str(config), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == 'config error: idp.timeout: unknown key; did you mean "timeout_seconds"?'
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()


def test_build_cli_reports_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[idp\n")
    for path in (str(bad), str(tmp_path / "missing.toml")):
        result = run_build("--config", path, "--out", str(tmp_path / "x.zip"))
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def test_oidc_with_jwks_file_and_no_endpoints_refuses_network(tmp_path, keys):
    config = tmp_path / "gate.toml"
    config.write_text('[idp]\nprovider = "oidc"\nclient_id = "abc"\nissuer = "https://op.example.com"\n')
    jwks = tmp_path / "jwks.json"
    jwks.write_text(__import__("json").dumps(keys.jwks()))
    result = run_build("--config", str(config), "--jwks-file", str(jwks), "--out", str(tmp_path / "x.zip"))
    assert result.returncode == 2
    assert "idp.authorization_endpoint: not given, and --jwks-file means no network" in result.stderr


def test_cognito_local_is_accepted_only_on_localhost():
    raw = {
        "idp": {"provider": "cognito", "client_id": "c", "issuer": "http://localhost:9229/local_AbC12345"},
        "cognito": {"region": "local", "user_pool_id": "local_AbC12345", "domain": "http://localhost:9229"},
    }
    config, _ = validate(raw)
    assert config.endpoints.jwks == "http://localhost:9229/local_AbC12345/.well-known/jwks.json"
    assert config.endpoints.logout == "http://localhost:9229/logout" and provider_for(config).checks_token_use
    remote = copy.deepcopy(raw)
    remote["cognito"]["domain"] = "auth.example.com"
    assert 'cognito.region: "local" is only for cognito-local' in error_of(remote)
    no_issuer = copy.deepcopy(raw)
    del no_issuer["idp"]["issuer"]
    assert "idp.issuer: required with cognito.region" in error_of(no_issuer)


def test_explicit_cognito_issuer_moves_the_jwks_with_it():
    raw = with_(idp__issuer="https://issuer.example.com/pool")
    config, _ = validate(raw)
    assert config.endpoints.jwks == "https://issuer.example.com/pool/.well-known/jwks.json"
