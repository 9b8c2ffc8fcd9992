"""Small signed, timestamped values (in the spirit of itsdangerous), for the login state.

Format: base64url(payload) "." base64url(8-byte timestamp) "." base64url(HMAC-SHA256), the
MAC over the first two parts under a key derived for one purpose, so a value signed for one
use can never be accepted for another.
"""

import hashlib
import hmac
import json
import struct

from .encoding import b64url_decode, b64url_encode

MAX_SIGNED_LENGTH = 2048


class BadSignature(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Signer:
    def __init__(self, secret: bytes, purpose: str):
        self._key = hmac.new(secret, b"gate-signer:" + purpose.encode(), hashlib.sha256).digest()

    def _mac(self, signing_input: bytes) -> bytes:
        return hmac.new(self._key, signing_input, hashlib.sha256).digest()

    def sign(self, payload: dict, now: float) -> str:
        body = b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
        stamp = b64url_encode(struct.pack(">Q", int(now)))
        signing_input = f"{body}.{stamp}".encode()
        return f"{body}.{stamp}.{b64url_encode(self._mac(signing_input))}"

    def unsign(self, value: str, now: float, max_age: int) -> dict:
        if not isinstance(value, str) or not value or len(value) > MAX_SIGNED_LENGTH:
            raise BadSignature("state_malformed")
        parts = value.split(".")
        if len(parts) != 3:
            raise BadSignature("state_malformed")
        body, stamp, mac = parts
        try:
            given_mac = b64url_decode(mac)
            (issued,) = struct.unpack(">Q", b64url_decode(stamp))
        except (ValueError, struct.error):
            raise BadSignature("state_malformed") from None
        if not hmac.compare_digest(given_mac, self._mac(f"{body}.{stamp}".encode())):
            raise BadSignature("state_forged")
        if issued > now + 60:
            raise BadSignature("state_from_future")
        if now - issued > max_age:
            raise BadSignature("state_expired")
        try:
            payload = json.loads(b64url_decode(body))
        except ValueError:
            raise BadSignature("state_malformed") from None
        if not isinstance(payload, dict):
            raise BadSignature("state_malformed")
        return payload
