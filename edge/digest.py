"""SHA-256 and HMAC-SHA256 from the interpreter's built-in _sha2.

hashlib and hmac load OpenSSL's libcrypto at import: several milliseconds of every cold start,
for two hash functions. HMAC (RFC 2104) is a few lines on top of SHA-256.
tests/gate/test_codecs.py checks these against hashlib and hmac.
"""

try:
    from _sha2 import sha256 as _sha256
except ImportError:  # an interpreter built without _sha2
    from hashlib import sha256 as _sha256
from _operator import _compare_digest as compare_digest  # what hmac.compare_digest is

_INNER = bytes(b ^ 0x36 for b in range(256))
_OUTER = bytes(b ^ 0x5C for b in range(256))


def sha256(data: bytes) -> bytes:
    digest: bytes = _sha256(data).digest()
    return digest


class HmacKey:
    """An HMAC-SHA256 key, with its padded inner and outer states computed once."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes):
        if len(key) > 64:
            key = _sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = _sha256(key.translate(_INNER))
        self._outer = _sha256(key.translate(_OUTER))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        digest: bytes = outer.digest()
        return digest


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return HmacKey(key).digest(message)


__all__ = ["HmacKey", "compare_digest", "hmac_sha256", "sha256"]
