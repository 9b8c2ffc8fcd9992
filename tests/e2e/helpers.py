"""What a person does in the browser: log in, look at cookies, tell pages apart."""

from __future__ import annotations

import base64
import json
import time

ID_COOKIE = "gate-id"  # cookies.prefix "gate"; no __Host- prefix with secure = false
REFRESH_COOKIE = "gate-rt"


def on_login_form(page, stack) -> bool:
    return page.url.startswith(stack.idp_url) and page.locator("input[type=password]").count() == 1


def wait_for_login_form(page, stack, timeout: float = 15) -> None:
    page.wait_for_url(lambda url: url.startswith(stack.idp_url), timeout=timeout * 1000)
    page.locator("input[type=password]").wait_for(timeout=timeout * 1000)


def submit_login(page, user) -> None:
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(user.password)
    page.get_by_role("button", name="Sign in").click()


def login(page, stack, user, target: str = "/"):
    """Visit target, sign in on the provider's form, come back. Returns the final URL."""
    page.goto(stack.site_url + target)
    wait_for_login_form(page, stack)
    submit_login(page, user)
    expected = stack.site_url + target
    page.wait_for_url(expected, timeout=20_000)
    page.wait_for_load_state("networkidle")
    return page.url


def cookie(context, name: str) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == name), None)


def session_cookies(context) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies() if c["name"].startswith("gate-") and c["value"]}


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def set_cookie_value(context, stack, name: str, value: str) -> None:
    original = cookie(context, name)
    assert original is not None, f"no {name} cookie"
    context.add_cookies(
        [
            {
                **{k: original[k] for k in ("name", "domain", "path", "httpOnly", "secure", "sameSite")},
                "value": value,
                "expires": original.get("expires", -1),
            }
        ]
    )


def whoami(page) -> dict:
    return page.evaluate("""async () => {
        const r = await fetch('/_gate/me', {headers: {Accept: 'application/json'}, cache: 'no-store'});
        return {status: r.status, body: await r.json()};
    }""")


def wait_past(epoch_seconds: float, margin: float = 1.0) -> None:
    delay = epoch_seconds + margin - time.time()
    if delay > 0:
        time.sleep(delay)
