"""[site] spa and [assets] paths in the build config (issue 20 item 3): defaults, every mistake
at once on one line each, overlaps with [[apis]] and the gate's own paths refused, the JSON
Schema, and the values baked for the gate (edge/settings.py)."""

import json

import pytest

from edge.settings import Assets, Config
from gatebuild.config import ConfigFileError, json_schema, validate

jsonschema = pytest.importorskip("jsonschema")

MINIMAL = {"idp": {"provider": "oidc", "client_id": "c", "issuer": "https://op.example.com"}}


def config_with(**sections):
    raw = json.loads(json.dumps(MINIMAL))
    for name, value in sections.items():
        raw[name] = value
    return raw


def mistakes_of(raw) -> list[str]:
    with pytest.raises(ConfigFileError) as caught:
        validate(raw)
    return caught.value.mistakes


def test_defaults_are_the_gates_own():
    config, _ = validate(MINIMAL)
    assert config.spa is True and config.spa == Config._field_defaults["spa"]
    assert config.assets == Assets() == Assets(paths=("/assets/*",))


def test_given_values_are_baked_and_read_back_as_the_gate_reads_them():
    config, _ = validate(config_with(site={"spa": False}, assets={"paths": ["/static/*", "/fonts/*.woff2"]}))
    assert config.spa is False and config.assets.paths == ("/static/*", "/fonts/*.woff2")
    baked = json.loads(json.dumps(config.to_dict()))  # what build.py writes, as plain literals
    again = Config.from_dict(baked)
    assert again.spa is False and again.assets == config.assets


def test_an_empty_asset_list_is_allowed():
    config, _ = validate(config_with(assets={"paths": []}))
    assert config.assets.paths == ()


@pytest.mark.parametrize(
    "sections,expected",
    [
        ({"site": {"spa": "yes"}}, "site.spa: must be true or false, not a string"),
        ({"assets": {"paths": "/assets/*"}}, "assets.paths: must be a list, not a string"),
        ({"assets": {"path": ["/assets/*"]}}, 'assets.path: unknown key; did you mean "paths"?'),
        (
            {"assets": {"paths": ["assets/*"]}},
            "assets.paths: 'assets/*' can never match; path patterns start with \"/\"",
        ),
        ({"assets": {"paths": [""]}}, 'assets.paths: must be a list of path patterns, e.g. ["/assets/*"]'),
        ({"assets": {"paths": ["/a/../b/*"]}}, "assets.paths: '/a/../b/*' can never match, requests are matched"),
        (
            {"assets": {"paths": ["/*"]}},
            "assets.paths: '/*' overlaps the gate's own path '/_gate/*' (both match '/_gate/'); "
            "an asset path is only for the site's own files: narrow it",
        ),
        ({"assets": {"paths": ["/_gate/static/*"]}}, "overlaps the gate's own path '/_gate/*'"),
        (
            {"assets": {"paths": ["/api/*"]}, "apis": [{"paths": ["/api/*"]}]},
            "assets.paths: '/api/*' overlaps [[apis]] paths '/api/*' (both match '/api/')",
        ),
        ({"assets": {"paths": ["/api*"]}, "apis": [{"paths": ["/api/*"]}]}, "overlaps [[apis]] paths '/api/*'"),
        # a file-type pattern reaches into every directory, the gate's and the API's included
        ({"assets": {"paths": ["/*.js"]}}, "'/*.js' overlaps the gate's own path '/_gate/*' (both match '/_gate/.js')"),
        (
            {"assets": {"paths": ["/auth/*"]}, "paths": {"callback": "/auth/callback"}},
            "overlaps the gate's own path '/auth/callback'",
        ),
        (  # folded: /API/* and /api/* are one path on a case-insensitive origin, and in the loose reading
            {"assets": {"paths": ["/API/*"]}, "apis": [{"paths": ["/api/*"]}]},
            "overlaps [[apis]] paths '/api/*'",
        ),
    ],
)
def test_mistakes_name_the_key_and_the_fix(sections, expected):
    lines = mistakes_of(config_with(**sections))
    assert len(lines) == 1, lines
    assert expected in lines[0]


def test_the_default_that_meets_an_api_says_how_to_set_it():
    (line,) = mistakes_of(config_with(apis=[{"paths": ["/a*"]}]))
    assert line == (
        "assets.paths: the default '/assets/*' overlaps [[apis]] paths '/a*' (both match '/assets/'); "
        "list your site's asset patterns under [assets] paths (or paths = [] for none)"
    )
    config, _ = validate(config_with(apis=[{"paths": ["/a*"]}], assets={"paths": []}))
    assert config.assets.paths == ()


def test_assets_beside_an_api_that_do_not_overlap_are_fine():
    config, _ = validate(config_with(assets={"paths": ["/assets/*", "/static/*"]}, apis=[{"paths": ["/api/*"]}]))
    assert config.assets.paths == ("/assets/*", "/static/*")


def test_every_mistake_at_once_with_the_others():
    raw = config_with(
        site={"spa": 1},
        assets={"paths": ["/*"]},
        tokens={"leeway_seconds": 3600},
    )
    heads = [line.split(":")[0] for line in mistakes_of(raw)]
    assert heads == ["site.spa", "tokens.leeway_seconds", "assets.paths"]


def test_the_schema_knows_the_new_keys():
    schema = json_schema()
    assert schema["properties"]["site"]["properties"]["spa"] == {"type": "boolean", "default": True}
    assets = schema["properties"]["assets"]
    assert assets["additionalProperties"] is False
    assert assets["properties"]["paths"]["default"] == ["/assets/*"]
    validator = jsonschema.Draft7Validator(schema)
    assert validator.is_valid(config_with(site={"spa": False}, assets={"paths": ["/static/*"]}))
    assert not validator.is_valid(config_with(site={"spa": "no"}))
    assert not validator.is_valid(config_with(assets={"paths": [""]}))
    assert not validator.is_valid(config_with(assets={"signed": True}))
