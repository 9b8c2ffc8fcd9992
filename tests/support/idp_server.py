"""A real OAuth token endpoint on 127.0.0.1: kept in local/doubles/idp_server.py (the benchmark uses them too, and bench/ must not
import tests/); re-exported here for the tests."""

from local.doubles.idp_server import (  # noqa: F401
    LocalIdp,
)
