"""Small signed, timestamped values (in the spirit of itsdangerous), for the login state.

Format: base64url(payload) "." base64url(8-byte timestamp) "." base64url(HMAC-SHA256), the
MAC over the first two parts under a key derived for one purpose, so a value signed for one
use can never be accepted for another.

Rotation (like itsdangerous): given several secrets, the first (newest) signs and every one
verifies, so values signed just before a rotation stay valid for their lifetime.
"""

from .digest import HmacKey, compare_digest, hmac_sha256
from .encoding import b64url_decode, b64url_encode

MAX_SIGNED_LENGTH = 4096  # a 2048-character return path, base64url-encoded, with stamp and MAC


class BadSignature(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Signer:
    def __init__(self, secret: bytes | tuple[bytes, ...] | list[bytes], purpose: str):
        """`secret`: bytes, or a sequence of bytes with the newest first."""
        secrets = (secret,) if isinstance(secret, (bytes, bytearray)) else tuple(secret)
        if not secrets:
            raise ValueError("Signer needs at least one secret")
        label = b"gate-signer:" + purpose.encode()
        self._keys = tuple(HmacKey(hmac_sha256(s, label)) for s in secrets)
        self._key = self._keys[0]

    def sign(self, payload: str, now: float) -> str:
        body = b64url_encode(payload.encode("utf-8"))
        stamp = b64url_encode(int(now).to_bytes(8, "big"))
        mac = self._key.digest(f"{body}.{stamp}".encode("ascii"))
        return f"{body}.{stamp}.{b64url_encode(mac)}"

    def unsign(self, value: str, now: float, max_age: int) -> str:
        if not isinstance(value, str) or not value or len(value) > MAX_SIGNED_LENGTH or not value.isascii():
            raise BadSignature("state_malformed")
        parts = value.split(".")
        if len(parts) != 3:
            raise BadSignature("state_malformed")
        body, stamp, mac = parts
        try:
            given_mac = b64url_decode(mac)
            stamp_bytes = b64url_decode(stamp)
        except ValueError:
            raise BadSignature("state_malformed") from None
        signed = f"{body}.{stamp}".encode("ascii")
        if not any(compare_digest(given_mac, key.digest(signed)) for key in self._keys):
            raise BadSignature("state_forged")
        if len(stamp_bytes) != 8:
            raise BadSignature("state_malformed")
        issued = int.from_bytes(stamp_bytes, "big")
        if issued > now + 60:
            raise BadSignature("state_from_future")
        if now - issued > max_age:
            raise BadSignature("state_expired")
        try:
            return b64url_decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise BadSignature("state_malformed") from None
