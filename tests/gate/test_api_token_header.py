"""[[apis]] token_header (issue 20 item 6): the header that carries the person's token to the API.

An API origin that is a Lambda function URL behind CloudFront origin access control gets its
origin requests signed with SigV4, which CloudFront writes into `Authorization`, overwriting
what is there (CloudFront API reference, OriginAccessControlConfig, SigningBehavior "always";
"no-override" would not sign at all when Authorization is present). So such an API reads the
person's token from another header: `token_header = "X-Gate-Token"`. Through edge.handler with
the config validated by the build, as a deployment runs it.
"""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from gatebuild import config as gate_config
from gatebuild.edge_headers import token_header_problem
from tests.gate.test_api import (  # noqa: F401 (fixtures used by name)
    AT,
    FETCH_JSON,
    api_browser,
    forwarded_headers,
    make_config,
    signed_in,
)
from tests.support.cloudfront import is_response


def test_the_token_goes_where_token_header_says_and_authorization_stays_free(signed_in):  # noqa: F811
    browser = signed_in(token_header="X-Gate-Token")
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request(
            "/api/reports",
            headers={**FETCH_JSON, "Authorization": "Bearer forged", "X-Gate-Token": "Bearer forged-too"},
        )
    headers = forwarded_headers(result)
    assert headers["x-gate-token"] == [f"Bearer {browser.jar[AT]}"]
    assert "authorization" not in headers  # CloudFront's SigV4 signature goes there
    assert result["headers"]["x-gate-token"][0]["key"] == "X-Gate-Token"


def test_default_is_authorization(signed_in):  # noqa: F811
    browser = signed_in()
    with freeze_time("2026-03-01 09:10:00"):
        headers = forwarded_headers(browser.request("/api/reports", headers=FETCH_JSON))
    assert headers["authorization"] == [f"Bearer {browser.jar[AT]}"] and "x-gate-token" not in headers


def test_a_bearer_client_token_moves_to_token_header(api_browser, keys):  # noqa: F811
    browser = api_browser(accept_bearer=True, bearer_scopes=["openid"], token_header="X-Gate-Token")
    token = keys.access_token(**{"cognito:groups": ["Viewer"]})
    result = browser.request("/api/reports", headers={"Authorization": f"Bearer {token}"})
    assert not is_response(result)
    headers = forwarded_headers(result)
    assert headers["x-gate-token"] == [f"Bearer {token}"] and "authorization" not in headers


def _validate(idp_base, token_header):
    from tests.conftest import raw_config

    raw = raw_config(idp_base)
    raw["apis"] = [{"paths": ["/api/*"], "token_header": token_header}]
    return gate_config.validate(raw)[0]


@pytest.mark.parametrize(
    "name",
    ["Connection", "Keep-Alive", "TE", "Upgrade", "Transfer-Encoding", "Host", "Via", "Content-Length", "CDN-Loop",
     "X-Amz-Cf-Id", "x-amzn-trace-id", "X-Edge-Location", "Proxy-Authorization", "X-Forwarded-Proto", "X-Real-IP",
     "X-Accel-Redirect", "X-Cache", "Cookie", "X-Gate-Sub", "X-Gate-Groups", "X-Gate-Request", "X-Amz-Date",
     "X-Amz-Content-Sha256", "Bad Header", "", "X-Tok\n", "é"],
)  # fmt: skip
def test_names_cloudfront_forbids_or_the_gate_owns_are_refused_with_one_line(idp, name):
    with pytest.raises(gate_config.ConfigFileError) as refused:
        _validate(idp.base, name)
    (line,) = refused.value.mistakes
    assert line.startswith("apis[1].token_header: ") and "\n" not in line


@pytest.mark.parametrize("name", ["Authorization", "X-Gate-Token", "X-Api-Token", "X-Forwarded-Authorization"])
def test_ordinary_names_are_accepted(idp, name):
    assert _validate(idp.base, name).apis[0].token_header == name


# The emulator's own statement of what CloudFront refuses from a viewer-request function (written
# from the same CloudFront page, for generated responses and forwarded requests alike): every name
# it would flag, in any case, the build refuses.
def _emulator_forbids(name: str) -> bool:
    from local import emulator

    key = name.lower()
    return key in emulator.FORBIDDEN_EXACT or key.startswith(emulator.FORBIDDEN_PREFIXES) or key in emulator.READ_ONLY


_TCHAR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"


@given(
    st.one_of(
        st.sampled_from(["connection", "expect", "keep-alive", "trailer", "upgrade", "x-cache", "x-forwarded-proto",
                         "x-real-ip", "content-length", "host", "transfer-encoding", "via", "cdn-loop"]),
        st.builds(lambda p, rest: p + rest, st.sampled_from(["proxy-", "x-accel-", "x-amz-cf-", "x-amzn-", "x-edge-"]),
                  st.text(_TCHAR, max_size=12)),
        st.text(_TCHAR, min_size=1, max_size=20),
    ),
    st.randoms(use_true_random=False),
)  # fmt: skip
def test_whatever_the_emulator_says_cloudfront_refuses_the_build_refuses(name, rnd):
    cased = "".join(c.upper() if rnd.random() < 0.5 else c for c in name)
    if _emulator_forbids(cased):
        assert token_header_problem(cased) is not None, cased
