"""RSA keys, JWKS and hand-made tokens shaped like Cognito's (or any OIDC provider's)."""

from __future__ import annotations

import base64
import json
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Keys:
    """A signing key (and its JWKS) that an identity provider would hold."""

    def __init__(self, issuer: str, client_id: str, kid: str = "key-1", bits: int = 2048, provider="cognito"):
        self.issuer = issuer
        self.client_id = client_id
        self.kid = kid
        self.provider = provider
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        self.issued: list[str] = []  # every token minted, for the log-hygiene scan

    def public_jwk(self) -> dict:
        numbers = self.private_key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": b64url(n), "e": b64url(e)}

    def jwks(self) -> dict:
        return {"keys": [self.public_jwk()]}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict, header: dict | None = None, alg: str = "RS256") -> str:
        head = {"alg": alg, "kid": self.kid, **(header or {})}
        head = {k: v for k, v in head.items() if v is not None}
        signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(claims).encode())}"
        digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}[alg]
        signature = self.private_key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
        token = f"{signing_input}.{b64url(signature)}"
        self.issued.append(token)
        return token

    def id_claims(self, **overrides) -> dict:
        now = int(overrides.pop("now", time.time()))
        lifetime = overrides.pop("lifetime", 3600)
        claims = {
            "sub": overrides.pop("sub", str(uuid.uuid4())),
            "aud": self.client_id,
            "iss": self.issuer,
            "iat": now,
            "auth_time": now,
            "exp": now + lifetime,
            "email": "ada@example.com",
            "cognito:username": "ada",
            "cognito:groups": ["Viewer"],
        }
        if self.provider == "cognito":
            claims["token_use"] = "id"
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def id_token(self, **overrides) -> str:
        return self.sign(self.id_claims(**overrides))

    def access_token(self, **overrides) -> str:
        claims = self.id_claims(**overrides)
        claims.pop("aud", None)
        claims.pop("email", None)
        claims.update({"client_id": self.client_id, "scope": "openid email profile"})
        if self.provider == "cognito":
            claims["token_use"] = "access"
        return self.sign(claims)
