"""The site's response-header policy, read from one place by both the deploy and the local emulator.

The Content-Security-Policy for a site comes, in this order, from:
1. an explicit file (`--csp-file`),
2. `csp.txt` beside the site's build directory (`site/csp.txt` for `site/dist`, `../my-app/csp.txt`
   for `../my-app/dist`), so a user's own app brings its own policy,
3. DEFAULT_CSP, a strict same-origin policy.

`deploy.py stack` passes the result to the distribution's response headers policy; the local
emulator adds exactly the same headers to origin responses, so a page that works locally works
deployed.
"""

from __future__ import annotations

import os
from typing import NamedTuple

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
CSP_MAX = 1783  # CloudFront's limit for the CSP in a response headers policy
CSP_FILE_NAME = "csp.txt"


class CspError(ValueError):
    pass


class SiteCsp(NamedTuple):
    policy: str
    source: str  # the file it came from, or "default"


def read_csp_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f.read().splitlines() if line.strip()]
    except OSError as exc:
        raise CspError(f"{path}: cannot read the Content-Security-Policy file ({exc.strerror})") from None
    if len(lines) != 1:
        raise CspError(f"{path}: must hold the Content-Security-Policy on one line")
    csp = " ".join(lines[0].split())
    if len(csp) > CSP_MAX:
        raise CspError(f"{path}: {len(csp)} characters; CloudFront accepts at most {CSP_MAX} in a CSP header")
    return csp


def csp_beside(site_dir: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(site_dir.rstrip("/\\"))), CSP_FILE_NAME)


def site_csp(site_dir: str | None, csp_file: str | None = None) -> SiteCsp:
    """The policy the distribution will send with this site's pages (see the module docstring)."""
    if csp_file:
        return SiteCsp(read_csp_file(csp_file), csp_file)
    if site_dir:
        beside = csp_beside(site_dir)
        if os.path.isfile(beside):
            return SiteCsp(read_csp_file(beside), beside)
    return SiteCsp(DEFAULT_CSP, "default")
