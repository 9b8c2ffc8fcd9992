"""base64url without padding, as JOSE and PKCE use it (binascii only: base64 costs imports)."""

import binascii

_TO_URL = bytes.maketrans(b"+/", b"-_")
_FROM_URL = bytes.maketrans(b"-_", b"+/")


def b64url_encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def b64_encode(data: bytes) -> str:
    """Standard base64 with padding."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict decode: only the base64url alphabet, no padding, no whitespace."""
    # strict_mode below refuses anything outside the standard alphabet and any padding; refusing
    # "+", "/" and "=" first leaves exactly base64url
    if (
        not isinstance(text, str)
        or len(text) % 4 == 1
        or not text.isascii()
        or "+" in text
        or "/" in text
        or "=" in text
    ):
        raise ValueError("not base64url")
    padded = (text + "=" * (-len(text) % 4)).encode("ascii").translate(_FROM_URL)
    try:
        return binascii.a2b_base64(padded, strict_mode=True)
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
