"""Compact JWS: split, decode the header, check the algorithm, verify the signature.

Only the `alg` and `kid` header parameters are used. `jwk`, `jku`, `x5u`, `x5c` are ignored by
construction (keys come only from our KeyStore); a `crit` header is refused because we
understand no extension.
"""

from __future__ import annotations

from .encoding import b64url_decode
from .errors import TokenInvalid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .idp import Deadline
    from .jwks import KeyStore
    from .typing_aliases import Claims, Json

MAX_TOKEN_LENGTH = 16 * 1024


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate key")
        result[key] = value
    return result


def parse_json_object(raw: bytes) -> Json:
    import json  # lazy: the no-cookie path never parses JSON

    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError):
        raise TokenInvalid("malformed_token") from None
    if not isinstance(value, dict):
        raise TokenInvalid("malformed_token")
    return value


def verify_signature(
    token: object,
    keys: KeyStore,
    algorithms: tuple[str, ...],
    now: float,
    check_header: Callable[[Json], None] | None = None,
    deadline: Deadline | None = None,
) -> Claims:
    """Return the verified payload's claims. Raises TokenInvalid with a reason code.

    `check_header(header)`, when given, runs once the signature is known to be good."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise TokenInvalid("malformed_token")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenInvalid("malformed_token")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header_raw = b64url_decode(header_b64)
        signature = b64url_decode(signature_b64)
    except ValueError:
        raise TokenInvalid("malformed_token") from None
    header = parse_json_object(header_raw)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise TokenInvalid("alg_not_allowed")
    if "crit" in header:
        raise TokenInvalid("crit_not_supported")
    if not signature:
        raise TokenInvalid("bad_signature")
    key = keys.key_for(header.get("kid"), alg, now, deadline)
    try:
        valid = key.verify(token[: len(header_b64) + 1 + len(payload_b64)].encode("ascii"), signature)
    except Exception:  # any backend complaint about the signature bytes means "not valid"
        valid = False
    if not valid:
        raise TokenInvalid("bad_signature")
    if check_header is not None:
        check_header(header)
    try:
        payload_raw = b64url_decode(payload_b64)
    except ValueError:
        raise TokenInvalid("malformed_token") from None
    # Duplicate claim names are refused even under a valid signature: which one a reader takes
    # differs between JSON libraries, so the token means different things to different readers.
    return parse_json_object(payload_raw)
