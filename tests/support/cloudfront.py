"""CloudFront viewer-request events and a cookie-keeping browser: kept in local/doubles/cloudfront.py (the benchmark uses them too, and bench/ must not
import tests/); re-exported here for the tests."""

from local.doubles.cloudfront import (  # noqa: F401
    ASSET,
    FETCH_JSON,
    HOST,
    NAVIGATE,
    Browser,
    event,
    header,
    is_response,
    location_query,
    set_cookies,
)
