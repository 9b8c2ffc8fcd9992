"""[assets] signed_cookies (issue 23): what the build refuses, with one line each, using the
shared overlap checker; and what it bakes."""

import json

import pytest

from edge.settings import Config
from gatebuild.config import ConfigFileError, validate
from gatebuild.config.overlap import overlapping

MINIMAL = {"idp": {"provider": "oidc", "client_id": "c", "issuer": "https://op.example.com"}}


def raw(**sections):
    out = json.loads(json.dumps(MINIMAL))
    out.update(sections)
    return out


def refused(**sections) -> str:
    with pytest.raises(ConfigFileError) as caught:
        validate(raw(**sections))
    assert len(caught.value.mistakes) == 1, caught.value.mistakes
    return caught.value.mistakes[0]


def test_off_by_default_and_on_when_asked():
    assert validate(MINIMAL)[0].assets.signed_cookies is False
    config, _ = validate(raw(assets={"signed_cookies": True}))
    assert config.assets.signed_cookies is True and config.assets.paths == ("/assets/*",)
    back = Config.from_dict(json.loads(json.dumps(config.to_dict())))
    assert back.assets.signed_cookies is True


def test_off_bakes_what_it_baked_before():
    assert validate(MINIMAL)[0].to_dict()["assets"] == {"paths": ["/assets/*"]}


@pytest.mark.parametrize("pattern", ["/assets/*.js", "/x/*/y/*", "/a*/*", "/static", "/as?ets/*"])
def test_a_pattern_no_cookie_path_can_express_is_refused(pattern):
    line = refused(assets={"paths": [pattern], "signed_cookies": True})
    assert pattern in line and "cookie path" in line and "signed_cookies = false" in line
    validate(raw(assets={"paths": [pattern], "signed_cookies": False}))  # fine without signed cookies


def test_an_asset_path_under_a_rule_is_refused_with_one_message():
    rules = [{"paths": ["/assets/admin/*"], "groups": ["Admin"]}]
    line = refused(assets={"signed_cookies": True}, rules=rules)
    assert "'/assets/*' overlaps rules[1].paths '/assets/admin/*'" in line and "without the gate's rules" in line
    # the example path is one both patterns match, found by the shared checker
    assert overlapping("/assets/*", "/assets/admin/*") in line
    validate(raw(assets={"signed_cookies": False}, rules=rules))  # the gate's rules still apply when off
    # a rule elsewhere is fine
    validate(raw(assets={"signed_cookies": True}, rules=[{"paths": ["/admin/*"], "groups": ["Admin"]}]))


def test_a_rule_reaching_in_by_wildcard_or_case_is_refused():
    assert "rules[1]" in refused(assets={"signed_cookies": True}, rules=[{"paths": ["/*.js"], "groups": ["A"]}])
    case = refused(
        assets={"signed_cookies": True},
        paths={"case_sensitive": False},
        rules=[{"paths": ["/ASSETS/secret/*"], "groups": ["A"]}],
    )
    assert "rules[1]" in case


def test_public_and_nested_asset_paths_are_refused():
    assert "paths.public" in refused(assets={"signed_cookies": True}, paths={"public": ["/assets/logo.svg"]})
    assert "another asset path" in refused(assets={"signed_cookies": True, "paths": ["/assets/*", "/assets/img/*"]})
    assert "at least one" in refused(assets={"signed_cookies": True, "paths": []})
