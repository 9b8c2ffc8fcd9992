"""RSA keys, JWKS and hand-made tokens: kept in local/doubles/tokens.py (the benchmark uses them too, and bench/ must not
import tests/); re-exported here for the tests."""

from local.doubles.tokens import (  # noqa: F401
    Keys,
    b64url,
)
