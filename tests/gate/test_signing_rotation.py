"""edge.signing.Signer with several secrets (rotation): the newest signs, every one verifies,
the signed format is unchanged; edge.settings carries the previous secrets through the zip."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.settings import Config, Endpoints
from edge.signing import BadSignature, Signer

OLD, NEW, OTHER = b"o" * 32, b"n" * 32, b"x" * 32
NOW = 1_800_000_000


def _oracle_sign(secret: bytes, purpose: str, payload: str, now: int) -> str:
    """The documented format, computed independently with hashlib/hmac/base64."""
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    key = hmac.new(secret, b"gate-signer:" + purpose.encode(), hashlib.sha256).digest()
    body, stamp = enc(payload.encode()), enc(now.to_bytes(8, "big"))
    mac = hmac.new(key, f"{body}.{stamp}".encode(), hashlib.sha256).digest()
    return f"{body}.{stamp}.{enc(mac)}"


@given(st.text(max_size=200))
def test_newest_secret_signs_in_the_unchanged_format(payload):
    assert Signer([NEW, OLD], "state").sign(payload, NOW) == _oracle_sign(NEW, "state", payload, NOW)
    assert Signer(NEW, "state").sign(payload, NOW) == _oracle_sign(NEW, "state", payload, NOW)


def test_value_signed_before_rotation_still_verifies():
    before = Signer(OLD, "state").sign("login\n/x", NOW)
    rotated = Signer([NEW, OLD], "state")
    assert rotated.unsign(before, NOW + 10, 600) == "login\n/x"
    assert rotated.unsign(rotated.sign("a", NOW), NOW, 600) == "a"


def test_after_the_previous_secret_is_dropped_it_is_refused():
    before = Signer(OLD, "state").sign("login", NOW)
    with pytest.raises(BadSignature, match="state_forged"):
        Signer(NEW, "state").unsign(before, NOW, 600)
    with pytest.raises(BadSignature, match="state_forged"):
        Signer([NEW, OLD], "state").unsign(Signer(OTHER, "state").sign("login", NOW), NOW, 600)


def test_old_value_still_expires():
    before = Signer(OLD, "state").sign("login", NOW)
    with pytest.raises(BadSignature, match="state_expired"):
        Signer([NEW, OLD], "state").unsign(before, NOW + 601, 600)


def test_no_secret_at_all_is_a_programming_error():
    with pytest.raises(ValueError):
        Signer([], "state")


def _config(**extra):
    return Config(
        provider="oidc",
        issuer="https://i",
        client_id="c",
        endpoints=Endpoints("a", "t", "j"),
        state_secret=NEW,
        **extra,
    )


def test_settings_round_trip_previous_secrets():
    config = _config(previous_state_secrets=(OLD,))
    again = Config.from_dict(config.to_dict())
    assert again.previous_state_secrets == (OLD,)
    assert again.state_secrets == (NEW, OLD)


def test_without_previous_secrets_the_baked_document_is_unchanged():
    data = _config().to_dict()
    assert "previous_state_secrets" not in data  # zips built before rotation existed stay identical
    assert Config.from_dict(data).state_secrets == (NEW,)
