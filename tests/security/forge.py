"""Hand-made JWTs, honest and hostile: raw header and payload bytes, any algorithm, any key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support.tokens import Keys, b64url


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parts(token: str) -> tuple[str, str, str]:
    header, payload, signature = token.split(".")
    return header, payload, signature


def claims_of(token: str) -> dict:
    return json.loads(unb64(parts(token)[1]))


def sign_raw(keys: Keys, header: bytes | dict, payload: bytes | dict, alg: str = "RS256", pss: bool = False) -> str:
    """RSA-sign exactly these header and payload bytes (dicts are JSON-encoded)."""
    if isinstance(header, dict):
        header = json.dumps(header).encode()
    if isinstance(payload, dict):
        payload = json.dumps(payload).encode()
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    digest = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[-3:]]
    pad = padding.PSS(padding.MGF1(digest), padding.PSS.DIGEST_LENGTH) if pss else padding.PKCS1v15()
    signature = keys.private_key.sign(signing_input.encode(), pad, digest)
    token = f"{signing_input}.{b64url(signature)}"
    keys.issued.append(token)
    return token


def hmac_token(secret: bytes, header: dict, payload: dict, alg: str = "HS256") -> str:
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    mac = hmac.new(secret, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(mac)}"


def unsigned(header: dict, payload: dict, signature: str = "") -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}.{signature}"


def with_payload(token: str, payload: dict | bytes) -> str:
    """The same header and signature over a different payload."""
    header, _, signature = parts(token)
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return f"{header}.{b64url(raw)}.{signature}"
