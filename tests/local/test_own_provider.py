"""Issue 24, "Your own provider, locally": the parts that need no provider. Which files name a
provider, what the demo lays on them for a laptop (and that build.py reads it back the same),
the terminal's hints, and the one-line mistakes of build.py --set/--check-idp and the demo."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from gatebuild import config as gate_config
from gatebuild.builder import BuildError, parse_sets
from local.hints import HINTS, Hinter
from local.stack import laptop_overrides, names_a_provider
from tests.local.conftest import ROOT

OIDC = {"idp": {"provider": "oidc", "issuer": "https://id.example.com", "client_id": "c", "client_secret": "s"}}
COGNITO = {
    "idp": {"provider": "cognito", "client_id": "c", "client_secret": "s"},
    "cognito": {"region": "eu-west-1", "user_pool_id": "eu-west-1_AbCdEf123", "domain": "auth.example.com"},
}


@pytest.mark.parametrize(
    "raw,names",
    [
        (OIDC, True),
        (COGNITO, True),
        ({"idp": {"provider": "oidc", "issuer": "https://id.example.com"}}, False),  # no client: not usable
        ({"idp": {"provider": "oidc", "client_id": "c"}}, False),  # no issuer, no pool
        ({"paths": {"public": ["/x"]}, "rules": []}, False),  # only the sections the bundled demo keeps
        ({"idp": "oidc"}, False),
    ],
)
def test_which_files_name_a_provider(raw, names):
    assert names_a_provider(raw) is names


def test_laptop_overrides_are_few_and_build_reads_them_back_as_the_demo_means_them():
    raw = {
        **OIDC,
        "site": {"url": "https://www.example.com"},
        "cookies": {"domain": "example.com", "same_site": "None"},
        "state": {"secret": "x" * 43},
    }
    sets = laptop_overrides(raw, "http://localhost:8123")
    assert sets == [
        'site.url="http://localhost:8123"',
        "cookies.secure=false",
        'cookies.domain=""',
        'cookies.same_site="Lax"',
    ]
    over = parse_sets(sets)
    assert over == {
        "site": {"url": "http://localhost:8123"},
        "cookies": {"secure": False, "domain": "", "same_site": "Lax"},
    }
    config, _ = gate_config.validate(gate_config.deep_merge(raw, over))
    assert config.site_url == "http://localhost:8123" and config.cookies.secure is False
    assert config.cookies.domain == "" and config.cookies.same_site == "Lax"
    assert config.issuer == "https://id.example.com"  # the person's provider, untouched
    # Without those overrides the same file refuses http://localhost with Secure cookies... and
    # a file with nothing to fix gets only the two that always apply.
    assert laptop_overrides(OIDC, "http://localhost:8080") == [
        'site.url="http://localhost:8080"',
        "cookies.secure=false",
    ]


@pytest.mark.parametrize("bad", ["site.url", "url=http://x", "a.b.c=1", ".url=1"])
def test_set_needs_section_key_value(bad):
    with pytest.raises(BuildError) as caught:
        parse_sets([bad])
    assert caught.value.exit_code == 2 and "section.key=VALUE" in str(caught.value)


def test_set_values_are_toml_else_strings():
    assert parse_sets(["tokens.leeway_seconds=5", "site.url=http://localhost:1", "log.level=debug"]) == {
        "tokens": {"leeway_seconds": 5},
        "site": {"url": "http://localhost:1"},
        "log": {"level": "debug"},
    }


CONTEXT = {
    "config": "/home/ada/gate.toml",
    "client_id": "gate-site",
    "callback": "http://localhost:8080/_gate/callback",
    "signed_out": "http://localhost:8080/_gate/signed-out",
    "groups_claim": "groups",
    "site_url": "http://localhost:8080",
    "issuer": "https://id.example.com",
}


def edge_line(reason: str) -> str:
    """A decision line as edge/log.py writes it, as the emulator echoes it."""
    return (
        f'[edge:1] {{"level":"info","path":"/_gate/callback","decision":"error","reason":"{reason}",'
        '"status":502,"subject":null,"ms":12.5}'
    )


def test_a_hint_names_what_to_fix_once_per_reason():
    hinter = Hinter(CONTEXT)
    said = hinter.for_line(edge_line("idp_invalid_client"))
    assert said is not None and said.startswith("[demo] hint (idp_invalid_client): ")
    assert "idp.client_secret" in said and "gate-site" in said and "/home/ada/gate.toml" in said
    assert hinter.for_line(edge_line("idp_invalid_client")) is None  # said once
    redirect = hinter.for_line(edge_line("idp_error_invalid_request"))
    assert (
        redirect is not None
        and "http://localhost:8080/_gate/callback is not registered for client gate-site" in redirect
    )
    groups = hinter.for_line(edge_line("groups_claim_missing"))
    assert groups is not None and 'no "groups" claim' in groups
    assert hinter.for_line(edge_line("no_session")) is None  # nothing to fix
    assert hinter.for_line("INIT_START Runtime Version: python:3.13") is None
    other = hinter.for_line(edge_line("idp_error_temporarily_unavailable"))
    assert other is not None and "app client" in other


def test_every_hint_formats_with_the_context():
    for reason in HINTS:
        assert "{" not in Hinter(CONTEXT).for_line(edge_line(reason))


def run(args, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_check_idp_with_an_unreachable_provider_is_one_line(tmp_path):
    from local.stack import free_port

    config = tmp_path / "gate.toml"
    config.write_text(
        f'[idp]\nprovider = "oidc"\nissuer = "http://127.0.0.1:{free_port()}"\nclient_id = "c"\n'
        'client_secret = "s"\n[site]\nurl = "https://www.example.com"\n'
    )
    result = run(["build.py", "--config", str(config), "--check-idp"])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: OIDC discovery failed: could not fetch"), result.stderr
    assert not (tmp_path / "dist").exists()


def test_demo_with_a_mistaken_provider_file_says_every_mistake_and_starts_nothing(tmp_path):
    from local.stack import free_port

    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "oidc"\nissuer = "https://id.example.com"\nclient_id = "c"\nclient_secret = "s"\n'
        'timeout = 3\n[site]\nurl = "https://www.example.com"\n[cookies]\nprefix = "a b"\n'
    )
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>x</title>")
    result = run(["-m", "local.demo", "--config", str(config), "--port", str(free_port()), "--site", str(site)])
    assert result.returncode == 2, result.stderr
    assert "config error: idp.timeout: unknown key" in result.stderr
    assert "config error: cookies.prefix" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert tomllib.loads(config.read_text())["site"]["url"] == "https://www.example.com"  # the file is never written


def test_the_banner_warns_when_the_provider_refused_the_callback(tmp_path):
    from local.demo import external_banner
    from local.stack import EXTERNAL, Stack

    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "oidc"\nissuer = "https://id.example.com"\nclient_id = "gate-site"\nclient_secret = "s"\n'
        '[site]\nurl = "https://www.example.com"\n[paths]\ncallback = "/auth/cb"\n'
    )
    stack = Stack(
        EXTERNAL, site_dir=str(tmp_path), site_port=8123, workdir=str(tmp_path / "w"), user_config=str(config)
    )
    stack.config_path = str(config)
    report = [
        "issuer:      https://id.example.com  (provider profile 'oidc', edge/provider.py)",
        "register:    callback https://www.example.com/auth/cb ...",
        "callback:    the provider refused redirect_uri http://localhost:8123/auth/cb for client gate-site: register it there",
    ]
    text = external_banner(stack, report)
    assert "callback (redirect URI):         http://localhost:8123/auth/cb" in text  # the configured [paths]
    assert "!! the provider refused redirect_uri http://localhost:8123/auth/cb" in text
    assert "register:" not in text  # the deployed site's URLs are not the laptop's
    assert "no local provider started" in text and "for client gate-site:" in text
    assert "--set 'site.url=\"http://localhost:8123\"' --set 'cookies.secure=false'" in text
