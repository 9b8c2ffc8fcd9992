"""base64url without padding, as JOSE and PKCE use it."""

import base64
import binascii


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict decode: only the base64url alphabet, no padding, no whitespace."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url")
    if len(text) % 4 == 1 or text.strip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
