"""CloudFront signed cookies for the site's assets ([assets] signed_cookies; issue 23).

After sign-in and on every refresh the gate sets, for each asset prefix, CloudFront's
custom-policy cookies, and CloudFront itself lets the asset requests through (behaviors with
TrustedKeyGroups and no function). What CloudFront expects, from its documentation:

- "Set signed cookies using a custom policy" (Amazon CloudFront Developer Guide,
  private-content-setting-signed-cookie-custom-policy): `CloudFront-Policy` (the policy JSON,
  white space removed, base64 with `+`->`-`, `=`->`_`, `/`->`~`), `CloudFront-Signature` (the
  signature of that JSON, same encoding), `CloudFront-Key-Pair-Id` (the public key's id in a
  trusted key group), and optionally a fourth, `CloudFront-Hash-Algorithm` (`SHA1`, the default
  when absent, or `SHA256`). One statement; `Resource` may hold `*` wildcards.
- "PublicKey" (CloudFront API reference): signed URLs and cookies take RSA 2048 or ECDSA 256 keys.

The scheme chosen here: RSA-2048, PKCS#1 v1.5, SHA-256 (with `CloudFront-Hash-Algorithm=SHA256`),
signed with the built-in `pow` over the CRT parts of the key: no import beyond hashlib and
binascii. Measured on the build machine (python3.13, full CPU, noisy): this signer ~6 ms a
signature; the `rsa` package's `rsa.sign` ~22 ms; ECDSA P-256 with the `ecdsa` package 0.5 ms
a signature but ~23 ms to import it; a minimal pure-Python P-256 ~3.7 ms. At the edge's 7.2%
of a CPU that is ~85 ms for RSA against ~50 ms for a hand-written P-256 (and ~320 ms for the
`ecdsa` package's first signature), on the sign-in and refresh paths only, which already wait
on the IdP. RSA was chosen: no elliptic-curve code of our own to get wrong, the signing is one
built-in modular exponentiation, and botocore's CloudFrontSigner (the test oracle) and every
CloudFront peer use RSA. The cost of the choice is cookie size: the RSA signature is 344
characters against ~96 for ECDSA (docs/performance.md, "Signed cookies").

Cookie attributes: Secure, HttpOnly and SameSite as the gate's own cookies, the gate's Domain
if it has one, `Path=<prefix>` (an asset pattern `/assets/*` becomes `Path=/assets`, which
RFC 6265 5.1.4 path-matches `/assets` and everything under `/assets/`: the build refuses
patterns a cookie path cannot express). `Max-Age` is the policy's own life (the ID token's
`exp`): the cookies go when the policy would be refused anyway, and they survive a browser
restart exactly as long as the session's ID token does.
"""

from __future__ import annotations

import binascii
import hashlib
import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .settings import Assets, Cookies

NAMES = ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id", "CloudFront-Hash-Algorithm")
HASH_ALGORITHM = "SHA256"
_EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"
# DER DigestInfo prefix for SHA-256 (RFC 8017 section 9.2, note 1)
_SHA256_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_CLOUDFRONT_B64 = bytes.maketrans(b"+=/", b"-_~")


def cloudfront_b64(data: bytes) -> str:
    """base64 with CloudFront's substitutions: + -> -, = -> _, / -> ~."""
    return binascii.b2a_base64(data, newline=False).translate(_CLOUDFRONT_B64).decode("ascii")


def cookie_path(pattern: str) -> str | None:
    """The cookie Path that reaches exactly what an asset pattern matches, or None when no cookie
    path can: only `/<prefix>/*` with no wildcard in the prefix."""
    if not pattern.endswith("/*") or len(pattern) < 4:
        return None
    prefix = pattern[:-2]
    if not prefix.startswith("/") or "*" in prefix or "?" in prefix or "//" in prefix:
        return None
    return prefix


def policy_json(resource: str, date_less_than: int) -> str:
    """A custom policy with one statement, compact, keys in the documented order."""
    return json.dumps(
        {"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": int(date_less_than)}}}]},
        separators=(",", ":"),
    )


class RsaKey:
    """An RSA private key as CRT parts (ints), for PKCS#1 v1.5 signatures with the built-in pow."""

    __slots__ = ("dp", "dq", "n", "p", "q", "qinv", "size")

    def __init__(self, n: int, p: int, q: int, dp: int, dq: int, qinv: int):
        self.n, self.p, self.q, self.dp, self.dq, self.qinv = n, p, q, dp, dq, qinv
        self.size = (n.bit_length() + 7) // 8

    def __repr__(self) -> str:  # never print the key
        return f"RsaKey({self.n.bit_length()} bits)"

    @classmethod
    def from_baked(cls, parts: dict[str, str]) -> RsaKey:
        return cls(*(int(parts[k], 16) for k in ("n", "p", "q", "dp", "dq", "qinv")))

    def sign_sha256(self, message: bytes) -> bytes:
        digest_info = _SHA256_INFO + hashlib.sha256(message).digest()
        padded = b"\x00\x01" + b"\xff" * (self.size - 3 - len(digest_info)) + b"\x00" + digest_info
        m = int.from_bytes(padded, "big")
        m1 = pow(m, self.dp, self.p)
        m2 = pow(m, self.dq, self.q)
        s = m2 + (self.qinv * (m1 - m2) % self.p) * self.q
        if pow(s, 65537, self.n) != m:  # a fault in the CRT step would leak the key: never send it
            raise ValueError("RSA signature check failed")
        return s.to_bytes(self.size, "big")


class AssetCookies:
    """Set-Cookie lines that grant, and take back, CloudFront access to the asset prefixes."""

    def __init__(self, assets: Assets, cookies: Cookies, site_url: str):
        self._key = RsaKey.from_baked(assets.private_key)
        self._key_id = assets.key_id
        self._paths = tuple(p for p in (cookie_path(pattern) for pattern in assets.paths) if p)
        # the site's own origin when configured; else any host (the key group is this distribution's alone)
        self._origin = site_url.rstrip("/") if site_url else "http*://*"
        attributes = []
        if cookies.domain:
            attributes.append(f"Domain={cookies.domain}")
        if cookies.secure:
            attributes.append("Secure")
        attributes.append("HttpOnly")
        attributes.append(f"SameSite={cookies.same_site}")
        self._attributes = "; ".join(attributes)

    def mint(self, date_less_than: int, now: float) -> list[str]:
        """The four cookies for each prefix, valid until `date_less_than` (epoch seconds)."""
        max_age = max(1, int(date_less_than - now))
        lines: list[str] = []
        for path in self._paths:
            policy = policy_json(f"{self._origin}{path}/*", date_less_than).encode()
            values = (
                cloudfront_b64(policy),
                cloudfront_b64(self._key.sign_sha256(policy)),
                self._key_id,
                HASH_ALGORITHM,
            )
            lines += [
                f"{name}={value}; Max-Age={max_age}; Path={path}; {self._attributes}"
                for name, value in zip(NAMES, values, strict=True)
            ]
        return lines

    def clear(self) -> list[str]:
        """Lines that delete every asset cookie (the gate cannot see them: they reach only the
        asset paths, so it clears them all, always)."""
        return [
            f"{name}=; Max-Age=0; Expires={_EXPIRED}; Path={path}; {self._attributes}"
            for path in self._paths
            for name in NAMES
        ]
