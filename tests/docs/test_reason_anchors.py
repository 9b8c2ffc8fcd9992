"""`deploy.py logs` links every reason to its entry in docs/operations.md
(gatebuild/deploy/decision_logs.py REASON_DOCS, reason_link): every reason code the gate can
emit, as read from edge/ (tests/docs/reasons.py), must have that anchor, so no link lands on the
top of the page."""

from __future__ import annotations

import ast
import os
import re

import pytest

from gatebuild.deploy import decision_logs
from tests.conftest import ROOT
from tests.docs.reasons import scan

PAGE = os.path.join(ROOT, "docs", "operations.md")

# Families the gate composes (f-strings in edge/) and the suffixes each can take. The IdP's own
# choices (idp_error_<code>, idp_http_<status>, revoke_http_<status>) are open: any suffix.
# refresh_<code>: the LoginFailed codes of a refresh (edge/idp.py: invalid_grant, invalid_request;
# edge/refresh.py: identity_changed). idp_<code>: the token endpoint's OAuth error (RFC 6749 5.2),
# "unknown" when it sent none (edge/idp.py); invalid_grant/invalid_request become LoginFailed.
REFRESH_CODES = (
    "invalid_grant",
    "invalid_request",
    "identity_changed",
    "no_refresh_token",
    "identity_unverified",
    "refresh_token_spent",
)
OAUTH_TOKEN_ERRORS = ("invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "unknown")
OPEN_SAMPLES = ("access_denied", "login_required", "500", "429", "x")


def anchors() -> set[str]:
    with open(PAGE, encoding="utf-8") as fh:
        text = fh.read()
    return set(re.findall(r'<a id="([a-z0-9-]+)"></a>', text))


def claim_names() -> set[str]:
    """The claims edge/claims.py reads as NumericDates (missing_<name>, bad_<name>)."""
    with open(os.path.join(ROOT, "edge", "claims.py"), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    return {
        node.args[1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "_numeric_date"
        and isinstance(node.args[1], ast.Constant)
    }


def token_checks(codes: set[str]) -> set[str]:
    names = claim_names()
    assert names >= {"exp", "nbf", "iat"}
    return {c for c in codes if c.startswith(("bad_", "missing_", "wrong_", "alg_"))} | {
        f"{kind}_{name}" for kind in ("missing", "bad") for name in names
    }


def every_reason() -> set[str]:
    codes, prefixes = scan()
    known_prefixes = {
        "id_token_",
        "refreshed_",
        "bearer_",
        "idp_error_",
        "idp_http_",
        "idp_bad_",
        "revoke_http_",
        "refresh_",
        "idp_",
        "missing_",
        "bad_",
    }
    assert prefixes <= known_prefixes, f"a new reason family in edge/: {prefixes - known_prefixes}; document it here"
    checks = token_checks(codes)
    reasons = set(codes) | checks
    reasons |= {f"{family}{check}" for family in ("id_token_", "refreshed_", "bearer_") for check in checks}
    reasons |= {f"refresh_{c}" for c in REFRESH_CODES} | {f"idp_{c}" for c in OAUTH_TOKEN_ERRORS}
    reasons |= {f"idp_bad_{name}" for name in ("id_token", "access_token", "refresh_token")}
    reasons |= {f"{family}{s}" for family in ("idp_error_", "idp_http_", "revoke_http_") for s in OPEN_SAMPLES}
    return reasons


def test_refresh_codes_cover_every_refusal_of_a_refresh() -> None:
    """A new LoginFailed("...") in edge/refresh.py becomes refresh_<it> in the log: list it above."""
    with open(os.path.join(ROOT, "edge", "refresh.py"), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    raised = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "LoginFailed"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert raised and raised <= set(REFRESH_CODES)


def test_the_scan_finds_the_codes_the_table_always_had() -> None:
    codes, _ = scan()
    assert {
        "missing_group",
        "state_not_for_this_browser",
        "idp_timeout",
        "internal_error",
        "no_session",
        "cross_site",
        "session_too_large",
        "callback_needs_get",
    } <= codes
    assert len(codes) > 60


@pytest.mark.parametrize("reason", sorted(every_reason()))
def test_every_reason_links_to_its_own_anchor(reason: str) -> None:
    link = decision_logs.reason_link(reason)
    page, _, anchor = link.partition("#")
    assert page == "docs/operations.md" and os.path.isfile(os.path.join(ROOT, page))
    assert anchor in anchors(), f'{reason}: docs/operations.md has no <a id="{anchor}"></a>'


def test_a_code_without_an_entry_is_caught() -> None:
    assert decision_logs.reason_link("no_such_reason").partition("#")[2] not in anchors()
