"""The config's defaults, its JSON Schema and reporting every mistake at once (issue 12)."""

import json
import os
import subprocess
import sys
import tomllib

import jsonschema  # pinned in requirements-dev.txt: a missing one fails, never skips
import pytest

from edge.provider import PROFILES
from edge.settings import Config, Cookies, Paths, Tokens
from gatebuild.config import ConfigFileError, json_schema, validate
from tests.conftest import ROOT

MINIMAL = {"idp": {"provider": "oidc", "client_id": "c", "issuer": "https://op.example.com"}}
SCHEMA_FILE = os.path.join(ROOT, "docs", "gate.schema.json")


def test_defaults_are_the_gates_own():
    """What a config leaves out is what edge.settings assumes: one source of truth."""
    config, _ = validate(MINIMAL)
    # the claims that hold groups and roles are the provider profile's (edge/provider.py)
    profile = PROFILES[config.provider]
    assert config.tokens.groups_claim == profile.default_groups_claim
    assert config.tokens.roles_claim == profile.roles_claim_for(config.client_id)
    assert config.tokens._replace(groups_claim=Tokens().groups_claim, roles_claim=Tokens().roles_claim) == Tokens()
    assert config.cookies == Cookies()
    assert config.paths == Paths()
    assert config.scopes == Config._field_defaults["scopes"] == ("openid", "email", "profile")
    assert config.idp_timeout_seconds == Config._field_defaults["idp_timeout_seconds"]
    assert config.log_level == Config._field_defaults["log_level"]


def test_the_committed_schema_is_current():
    with open(SCHEMA_FILE, encoding="utf-8") as f:
        committed = json.load(f)
    assert committed == json_schema(), "run: python build.py --print-schema > docs/gate.schema.json"


def test_the_schema_is_draft7_and_accepts_the_example():
    schema = json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    with open(os.path.join(ROOT, "gate.example.toml"), "rb") as f:
        example = tomllib.load(f)
    validate(example)  # the validator accepts it...
    jsonschema.validate(example, schema)  # ...and so does the editor's schema


@pytest.mark.parametrize(
    "section,key,value",
    [
        ("idp", "client_ids", "x"),  # unknown key
        ("tokens", "leeway_seconds", "30"),  # wrong type
        ("cookies", "same_site", "lax"),  # not one of the choices
        ("idp", "timeout_seconds", 10),  # out of range
        ("tokens", "algorithms", ["HS256"]),  # not an allowed algorithm
        ("cookies", "secure", "yes"),
        ("sesion", None, {}),  # unknown section
    ],
)
def test_what_the_schema_refuses_the_validator_refuses(section, key, value):
    raw = json.loads(json.dumps(MINIMAL))
    if key is None:
        raw[section] = value
    else:
        raw.setdefault(section, {})[key] = value
    assert not jsonschema.Draft7Validator(json_schema()).is_valid(raw)
    with pytest.raises(ConfigFileError):
        validate(raw)


def test_every_mistake_is_reported_at_once():
    raw = {
        "idp": {"provider": "oidc", "client_id": "c", "issuer": "https://op.example.com", "scopes": ["email"]},
        "tokens": {"leeway_seconds": 3600},
        "cookies": {"same_site": "lax"},
        "paths": {"public": ["admin/*"]},
        "sesion": {},
    }
    with pytest.raises(ConfigFileError) as caught:
        validate(raw)
    lines = str(caught.value).splitlines()
    assert lines == caught.value.mistakes
    assert [line.split(":")[0] for line in lines] == [
        "[sesion]",
        "idp.scopes",
        "paths.public",
        "tokens.leeway_seconds",
        "cookies.same_site",
    ]


def test_a_check_that_needs_a_broken_key_stays_quiet():
    """A wrong provider is one mistake, not also a complaint about [cognito] or the issuer."""
    raw = {"idp": {"provider": "saml", "client_id": "c"}, "cognito": {"region": "eu-west-1"}}
    with pytest.raises(ConfigFileError) as caught:
        validate(raw)
    assert caught.value.mistakes == [
        "idp.provider: must be one of 'cognito', 'oidc', 'auth0', 'okta', 'entra', 'google', 'keycloak', not 'saml'"
    ]


def test_build_cli_prints_each_mistake_on_its_own_line_with_exit_2(tmp_path):
    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://op.example.com"\n'
        "timeout = 3\n[tokens]\nleeway_seconds = 3600\n"
    )
    out = tmp_path / "edge.zip"
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "build.py"), "--config", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'config error: idp.timeout: unknown key; did you mean "timeout_seconds"?',
        "config error: tokens.leeway_seconds: must be between 0 and 300",
    ]
    assert not out.exists()
