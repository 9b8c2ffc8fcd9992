"""What CloudFront does with signed cookies on a behavior that trusts a key group (issue 23).

A model, for the emulator (local/emulator.py) and the tests; every rule is from CloudFront's
documentation:

- "Restrict access with signed URLs and signed cookies" / "Specify signers that can create
  signed URLs and signed cookies": a behavior with `TrustedKeyGroups` serves a request only
  with a valid signed URL or signed cookies; CloudFront checks the signature with the public key
  whose id is in `CloudFront-Key-Pair-Id`, which must be in one of the behavior's key groups.
  No function runs before that check (the viewer-request trigger runs after it).
- "Set signed cookies using a custom policy": `CloudFront-Policy` is the policy JSON in base64
  with `+`->`-`, `=`->`_`, `/`->`~`; `CloudFront-Signature` the signature of the JSON (white
  space removed), same encoding; `CloudFront-Key-Pair-Id`; optional `CloudFront-Hash-Algorithm`
  (`SHA1` when absent, or `SHA256`). In the policy, `Resource` (optional: absent means every
  file) may hold `*` (zero or more characters) and `?` (exactly one) and is matched against the
  request's URL with its query string; `DateLessThan` (required), `DateGreaterThan` and
  `IpAddress` (`AWS:SourceIp`, CIDR) are epoch seconds / the viewer's address.
- "Set signed cookies using a canned policy": `CloudFront-Expires` instead of the policy; the
  signed statement is then the canned policy for the URL asked for.
- "PublicKey" (API reference): RSA 2048 or ECDSA 256 keys. An RSA signature is PKCS#1 v1.5
  (what `openssl sha1 -sign` makes, the docs' own example); an ECDSA one is DER (r, s).
- A request refused is CloudFront's 403. The body is CloudFront's XML error: `MissingKey`
  ("Missing Key-Pair-Id query parameter or cookie value") when the key pair id is absent,
  `AccessDenied` ("Access denied") otherwise (the answers CloudFront gives, as its users report
  them; the documentation names only the 403).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
from dataclasses import dataclass

POLICY, SIGNATURE, KEY_PAIR_ID, HASH_ALGORITHM, EXPIRES = (
    "CloudFront-Policy",
    "CloudFront-Signature",
    "CloudFront-Key-Pair-Id",
    "CloudFront-Hash-Algorithm",
    "CloudFront-Expires",
)
HASHES = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256}
_DIGEST_INFO = {  # RFC 8017 9.2 note 1
    "SHA1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "SHA256": bytes.fromhex("3031300d060960864801650304020105000420"),
}
_FROM_CLOUDFRONT = str.maketrans("-_~", "+=/")


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    kind: str  # "rsa" or "ec"
    pem: str
    n: int = 0
    e: int = 0

    def verify(self, message: bytes, signature: bytes, algorithm: str) -> bool:
        if self.kind == "rsa":
            size = (self.n.bit_length() + 7) // 8
            if len(signature) != size:
                return False
            value = int.from_bytes(signature, "big")
            if value >= self.n:
                return False
            em = pow(value, self.e, self.n).to_bytes(size, "big")
            info = _DIGEST_INFO[algorithm] + HASHES[algorithm](message).digest()
            return em == b"\x00\x01" + b"\xff" * (size - 3 - len(info)) + b"\x00" + info
        import ecdsa  # dev dependency (python-jose's); never in the edge zip
        from ecdsa.util import sigdecode_der

        key = ecdsa.VerifyingKey.from_pem(self.pem)
        try:
            return bool(key.verify(signature, message, hashfunc=HASHES[algorithm], sigdecode=sigdecode_der))
        except (ecdsa.BadSignatureError, ecdsa.der.UnexpectedDER, ValueError):
            return False


def _der_items(data: bytes) -> list[tuple[int, bytes]]:
    items = []
    i = 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        items.append((tag, data[i : i + length]))
        i += length
    return items


RSA_OID = bytes.fromhex("2a864886f70d010101")
EC_OID = bytes.fromhex("2a8648ce3d0201")


def public_key(key_id: str, pem: str) -> PublicKey:
    """A SubjectPublicKeyInfo PEM (what AWS::CloudFront::PublicKey EncodedKey holds), RSA-2048
    or EC P-256; ValueError for anything else (CloudFront refuses other keys)."""
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    ((_, spki),) = _der_items(der)
    (_, algorithm), (_, bits) = _der_items(spki)
    oid = _der_items(algorithm)[0][1]
    if oid == RSA_OID:
        ((_, rsa_key),) = _der_items(bits[1:])
        (_, n), (_, e) = _der_items(rsa_key)
        modulus = int.from_bytes(n, "big")
        if modulus.bit_length() != 2048:
            raise ValueError("CloudFront takes RSA 2048 keys")
        return PublicKey(key_id, "rsa", pem, modulus, int.from_bytes(e, "big"))
    if oid == EC_OID:
        return PublicKey(key_id, "ec", pem)
    raise ValueError("not an RSA or EC public key")


def cloudfront_b64decode(text: str) -> bytes:
    return base64.b64decode(text.translate(_FROM_CLOUDFRONT), validate=True)


def wildcard_match(pattern: str, text: str) -> bool:
    """`*` zero or more characters, `?` exactly one (iterative, backtracking on the last `*`)."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark, p = p, t, p + 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def check(
    cookies: dict[str, str], url: str, client_ip: str, now: float, keys: dict[str, PublicKey]
) -> tuple[bool, str, str]:
    """(allowed, CloudFront's error code, why) for a request on a trusted-key-group behavior.
    `url` is the viewer's URL with its query string; `keys` the behavior's key groups' keys."""
    key_id = cookies.get(KEY_PAIR_ID)
    if not key_id:
        return False, "MissingKey", "no CloudFront-Key-Pair-Id"
    key = keys.get(key_id)
    if key is None:
        return False, "AccessDenied", f"key {key_id!r} is not in the behavior's trusted key groups"
    algorithm = cookies.get(HASH_ALGORITHM, "SHA1")
    if algorithm not in HASHES:
        return False, "AccessDenied", f"unknown hash algorithm {algorithm!r}"
    try:
        signature = cloudfront_b64decode(cookies.get(SIGNATURE, ""))
        if POLICY in cookies:
            policy_bytes = cloudfront_b64decode(cookies[POLICY])
        elif EXPIRES in cookies:
            expires = int(cookies[EXPIRES])
            policy_bytes = json.dumps(
                {"Statement": [{"Resource": url, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
                separators=(",", ":"),
            ).encode()
        else:
            return False, "AccessDenied", "neither CloudFront-Policy nor CloudFront-Expires"
    except (binascii.Error, ValueError):
        return False, "AccessDenied", "a cookie is not CloudFront's base64"
    if not signature or not key.verify(policy_bytes, signature, algorithm):
        return False, "AccessDenied", "the signature does not verify"
    try:
        policy = json.loads(policy_bytes)
        (statement,) = policy["Statement"]
        condition = statement["Condition"]
        less = condition["DateLessThan"]["AWS:EpochTime"]
    except (ValueError, KeyError, TypeError):
        return False, "AccessDenied", "the policy is not one statement with DateLessThan"
    if not isinstance(less, int) or now >= less:
        return False, "AccessDenied", "expired (DateLessThan)"
    greater = condition.get("DateGreaterThan", {}).get("AWS:EpochTime")
    if greater is not None and (not isinstance(greater, int) or now <= greater):
        return False, "AccessDenied", "not valid yet (DateGreaterThan)"
    source = condition.get("IpAddress", {}).get("AWS:SourceIp")
    if source is not None:
        try:
            inside = ipaddress.ip_address(client_ip) in ipaddress.ip_network(source, strict=False)
        except ValueError:
            inside = False
        if not inside:
            return False, "AccessDenied", "the viewer's address is outside IpAddress"
    resource = statement.get("Resource")
    if resource is not None and (not isinstance(resource, str) or not wildcard_match(resource, url)):
        return False, "AccessDenied", "the URL does not match Resource"
    return True, "", "signed cookies valid"


ERROR_MESSAGES = {"MissingKey": "Missing Key-Pair-Id query parameter or cookie value", "AccessDenied": "Access denied"}


def error_body(code: str) -> bytes:
    """CloudFront's own 403 body for a refused signed request (XML)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{ERROR_MESSAGES[code]}</Message></Error>"
    ).encode()
