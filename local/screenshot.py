"""Screenshot the protected site after a real login, for the docs.

    python -m local.screenshot --all      # every image the docs use (SHOTS); what scripts/screenshots runs
    python -m local.screenshot [--provider cognito|oidc] [--user admin@example.com]
                               [--path /] [--out docs/screenshot-site.png]

Starts a local stack on free ports (site/dist must be built), signs in through the provider's
form in headless Debian Chromium (/usr/bin/chromium) and saves a PNG of the page.
tests/docs/test_screenshots.py checks SHOTS is exactly the set of images the docs reference.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NamedTuple

from local.stack import ROOT, Stack, StackError


class Shot(NamedTuple):
    out: str  # the image's path in the repository
    user: str  # the demo user who signs in
    path: str  # the page shown after signing in


# Every image the docs use, each made from the running demo: nothing drawn by hand.
SHOTS = (
    Shot("docs/screenshot-site.png", "admin@example.com", "/"),  # the protected site after login
    Shot("docs/screenshot-forbidden.png", "viewer@example.com", "/admin"),  # the gate's 403 page (missing_group)
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def take(stack: Stack, username: str, password: str, path: str, out: str, chromium: str = "/usr/bin/chromium") -> str:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(stack.site_url + path)
            page.wait_for_url(lambda url: url.startswith(stack.idp_url), timeout=15_000)
            page.locator("input[name=username]").fill(username)
            page.locator("input[name=password]").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(stack.site_url + path, timeout=20_000)
            page.wait_for_load_state("networkidle")
            os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
            page.screenshot(path=out, full_page=False)
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.screenshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", choices=("cognito", "oidc"), default="cognito")
    parser.add_argument("--user", default="admin@example.com")
    parser.add_argument("--path", default="/", help="the page to show (default /)")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "screenshot-site.png"))
    parser.add_argument("--all", action="store_true", help="every image the docs use (SHOTS), into docs/")
    parser.add_argument("--out-dir", help="with --all: write the shots into this folder instead (tests)")
    args = parser.parse_args(argv)
    shots = SHOTS if args.all else (Shot(args.out, args.user, args.path),)
    if args.all and args.out_dir:
        shots = tuple(
            s._replace(out=os.path.join(os.path.abspath(args.out_dir), os.path.basename(s.out))) for s in shots
        )
    try:
        with Stack(args.provider, site_dir=os.path.join(ROOT, "site", "dist")) as stack:
            for shot in shots:
                user = next((u for u in stack.users if u.username == shot.user), None)
                if user is None:
                    print(f"screenshot: no demo user {shot.user}", file=sys.stderr)
                    return 2
                print(take(stack, user.username, user.password, shot.path, os.path.join(ROOT, shot.out)))
    except StackError as exc:
        print(f"screenshot: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
