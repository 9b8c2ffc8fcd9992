"""[site] spa cannot be used to reach what the rules refuse (issue 20 item 3).

The gate rewrites a client-route navigation to /index.html only after the access check of the
path asked for, in every reading, has passed, and only when the person may also see /index.html.
So, over generated spellings and people: whenever a navigation is answered with the app, the same
person's plain fetch of that path AND of /index.html itself are let through; whenever that fetch
of the path is refused, the navigation is refused too (never the app instead).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.paths import ROOT_OBJECT
from tests.security.conftest import ID, is_response
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event

RULES = [
    {"paths": ["/admin", "/admin/*"], "groups": ["Admin"]},
    {"paths": ["/reports/*"], "groups": ["Auditors"]},
    {"paths": ["/", "/index.html", "/app/*"], "groups": ["Staff"]},
]
GROUPS = ["Admin", "Auditors", "Staff", "Viewer"]
SEGMENTS = [
    "admin",
    "ADMIN",
    "Adm%C4%B1n",  # dotless i: /ADMIN on an origin that upper-cases
    "admin;x",
    "admin.",
    "reports",
    "app",
    "index.html",
    "INDEX.HTML",
    "x",
    "q1",
    "a.js",
    "..",
    ".",
    "%2e%2e",
    "%2F",
    "%3F",
    "%23",
    "public",
    "_gate",
    "assets",
    "",
]


@st.composite
def spellings(draw) -> str:
    return "/" + "/".join(draw(st.lists(st.sampled_from(SEGMENTS), max_size=4))) + draw(st.sampled_from(["", "/"]))


def test_the_app_goes_only_to_people_who_may_see_both(make_config, make_handler, keys):
    handler = make_handler(make_config(rules=RULES))
    cookies = {
        groups: [f"{ID}={keys.id_token(**{'cognito:groups': list(groups)})}"]
        for groups in ((), *((g,) for g in GROUPS), ("Auditors", "Staff"), ("Admin", "Staff"))
    }
    seen = {"app": 0, "refused": 0}

    @settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(path=spellings(), groups=st.sampled_from(sorted(cookies)))
    def check(path, groups):
        cookie = cookies[groups]
        navigation = handler(event(path, headers=NAVIGATE, cookies=cookie), None)
        fetched = handler(event(path, headers=FETCH_JSON, cookies=cookie), None)
        if is_response(fetched) and fetched["status"] == "403":
            assert is_response(navigation) and navigation["status"] == "403", (path, groups)
            seen["refused"] += 1
        if not is_response(navigation) and navigation["uri"] == ROOT_OBJECT:
            assert not is_response(fetched), (path, groups, fetched.get("status"))
            app = handler(event(ROOT_OBJECT, headers=FETCH_JSON, cookies=cookie), None)
            assert not is_response(app), (path, groups, "the app itself is refused to this person")
            seen["app"] += 1

    check()
    assert seen["app"] > 20 and seen["refused"] > 20, seen  # both sides of the property were tried
