"""The RSA-2048 key the gate signs CloudFront asset cookies with ([assets] signed_cookies).

Like the state secret (gatebuild/secret_store.py): made once, kept private (build/asset-key,
mode 0600, git-ignored, for local builds; an SSM SecureString for deploys, see
gatebuild/deploy/asset_key.py), baked into the zip (mode 0600 like every zip entry), never
printed. The stored form is JSON: {"key_id": ..., "n", "e", "d", "p", "q" as hex}; `baked`
gives what the edge needs (edge/cfsign.py RsaKey: the CRT parts), `public_pem` what
CloudFront's AWS::CloudFront::PublicKey takes (SubjectPublicKeyInfo PEM).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import textwrap

DEFAULT_PATH = os.path.join("build", "asset-key")
KEY_BITS = 2048
_RSA_ENCRYPTION = bytes.fromhex("300d06092a864886f70d0101010500")  # AlgorithmIdentifier rsaEncryption, NULL


def new_key(key_id: str = "") -> dict:
    import rsa  # build side only (pinned in requirements-dev.txt)

    _, private = rsa.newkeys(KEY_BITS, poolsize=1)
    stored = {k: format(getattr(private, k), "x") for k in ("n", "e", "d", "p", "q")}
    stored["key_id"] = key_id or local_key_id(stored)
    return stored


def local_key_id(stored: dict) -> str:
    """A stand-in id for local builds (CloudFront assigns the real one: a stack output)."""
    return "KLOCAL" + hashlib.sha256(stored["n"].encode()).hexdigest()[:10].upper()


def check(stored: object) -> dict:
    if not isinstance(stored, dict) or not all(isinstance(stored.get(k), str) for k in ("n", "e", "d", "p", "q")):
        raise ValueError("not an asset key as gatebuild.asset_key writes it")
    n, p, q = (int(stored[k], 16) for k in ("n", "p", "q"))
    if p * q != n or n.bit_length() != KEY_BITS:
        raise ValueError("not an RSA-2048 key")
    return stored


def load_or_create(path: str = DEFAULT_PATH) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return check(json.load(f))
    except (FileNotFoundError, ValueError):
        pass
    stored = new_key()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(stored, f)
    return stored


def baked(stored: dict) -> dict[str, str]:
    """The CRT parts edge/cfsign.py signs with (hex)."""
    n, e, d, p, q = (int(stored[k], 16) for k in ("n", "e", "d", "p", "q"))
    if e != 65537:
        raise ValueError("the asset key's public exponent must be 65537")
    parts = {"n": n, "p": p, "q": q, "dp": d % (p - 1), "dq": d % (q - 1), "qinv": pow(q, -1, p)}
    return {k: format(v, "x") for k, v in parts.items()}


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return _der(0x02, body)


def public_pem(stored: dict) -> str:
    """SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), the form CloudFront's public keys take."""
    n, e = int(stored["n"], 16), int(stored["e"], 16)
    rsa_public = _der(0x30, _der_int(n) + _der_int(e))
    spki = _der(0x30, _RSA_ENCRYPTION + _der(0x03, b"\x00" + rsa_public))
    body = "\n".join(textwrap.wrap(base64.b64encode(spki).decode(), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"
