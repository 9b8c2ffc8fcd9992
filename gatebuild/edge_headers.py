"""Which request header names the gate may set for an origin, checked at build time.

A viewer-request function that adds or edits a header CloudFront forbids gets the viewer a 502
("Restrictions on edge functions", CloudFront developer guide: "Disallowed headers" and
"Read-only headers"; the same lists as the local emulator's FORBIDDEN_EXACT, FORBIDDEN_PREFIXES and
READ_ONLY, which tests/gate/test_api_token_header.py compares). Hop-by-hop headers (RFC 9110
section 7.6.1) never reach an origin as sent, and the names the gate itself reads or sets would
collide with it.
"""

from __future__ import annotations

import re

DISALLOWED_EXACT = frozenset(
    {
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "trailer",
        "upgrade",
        "x-cache",
        "x-forwarded-proto",
        "x-real-ip",
    }
)
DISALLOWED_PREFIXES = ("proxy-", "x-accel-", "x-amz-cf-", "x-amzn-", "x-edge-")
READ_ONLY = frozenset({"content-length", "host", "transfer-encoding", "via", "cdn-loop"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"})
# What the gate reads from the viewer or sets itself (edge/api.py, edge/cookies.py), and what
# SigV4 signing by CloudFront writes (x-amz-*: origin access control's own headers).
GATE_OWN = frozenset({"cookie", "x-gate-sub", "x-gate-groups", "x-gate-request", "origin", "sec-fetch-site"})
SIGV4_PREFIX = "x-amz-"
_TOKEN = re.compile(
    r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}"
)  # RFC 9110 field-name (token), kept short; fullmatch: "$" would let "X\n" through


def token_header_problem(name: object) -> str | None:
    """Why `name` cannot carry the person's token to an API, or None when it can."""
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        return "must be an HTTP header name (letters, digits, '-'), e.g. \"X-Gate-Token\""
    key = name.lower()
    if key in DISALLOWED_EXACT or key.startswith(DISALLOWED_PREFIXES) or key in READ_ONLY:
        return f"{name!r} is a header CloudFront does not let a Lambda@Edge function set (the viewer would get a 502)"
    if key in HOP_BY_HOP:
        return f"{name!r} is a hop-by-hop header; it never reaches the origin as sent"
    if key in GATE_OWN:
        return f"{name!r} is a header the gate reads or sets itself"
    if key.startswith(SIGV4_PREFIX):
        return f"{name!r} is in the x-amz- namespace CloudFront's SigV4 signing (origin access control) writes"
    return None
