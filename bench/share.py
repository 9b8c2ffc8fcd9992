"""The third context (issue 22): cold starts at a 128 MB Lambda@Edge function's CPU share.

Lambda gives CPU in proportion to memory (1,769 MB = one vCPU), so a viewer-request function
(128 MB at most) gets ~7.2% of one CPU: every ms of CPU on a cold start is ~14 ms for the person
waiting. Here every cold process, ours and both Node peers', is spawned by a launcher inside a
cgroup whose CFS quota is 7.2% of one CPU (local/cpushare.py). Where no cgroup can be written,
the context says "not measured" and why: never a figure taken at full CPU.

Figures are spawn -> answer (the response is ready; Lambda freezes the process then), medians of
fresh processes sampled round-robin in a shuffled order per round, as in the other contexts.
Every IdP call is HTTPS (bench/tls.py), for all three. Rows:

- no cookie, valid cookie, callback (code exchange over HTTPS + what each does after it),
  JWKS fetch (a valid cookie whose key must be fetched over HTTPS);
- the floor: a bare python3.13 that parses a JWT's JSON and verifies its RS256 signature with
  built-ins only (binascii, json, hashlib, pow), and the bare start-ups of python3.13 and node.

Ours runs as the bare context does (`python3.13 -I -S -B`, only the zip on the path): the peers
run as bare `node` too, neither with its Lambda runtime's bootstrap, so the rows compare the
functions, not the runtimes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
from urllib.parse import parse_qs, urlencode, urlsplit

# The share's implementation: local/cpushare.py (CpuShare.create(fraction) -> .available,
# .describe(), .add(pid), .close()). One import to swap.
from local.cpushare import LAMBDA_EDGE_SHARE, CpuShare
from local.doubles.cloudfront import NAVIGATE, event
from local.doubles.tokens import Keys, b64url

AE_PACKAGE = "@liflig/cdk-cloudfront-auth"
AE_CALLBACK = "/auth/callback"  # the package's default callbackPath
CASES = ("a", "b", "c", "d")
WHO = {"ours": "Ours (python3.13 -I -S -B)", "cog": "cognito-at-edge", "ae": "Auth@Edge check-auth"}

# A bare python3.13 verifying one RS256 JWT with built-ins: parse the JWKS and the token's JSON,
# pow(), compare with the PKCS #1 v1.5 encoding of the SHA-256 digest (RFC 8017, 9.2).
FLOOR = """import time
t0 = time.perf_counter_ns()
import binascii, hashlib, json, sys
def d(s):
    s = s.replace("-", "+").replace("_", "/")
    return binascii.a2b_base64(s + "=" * (-len(s) % 4))
jwks = json.loads({jwks!r})
token = {token!r}
h, p, s = token.split(".")
header, payload = json.loads(d(h)), json.loads(d(p))
key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
n, e = int.from_bytes(d(key["n"]), "big"), int.from_bytes(d(key["e"]), "big")
em = pow(int.from_bytes(d(s), "big"), e, n).to_bytes(256, "big")
digest = hashlib.sha256((h + "." + p).encode()).digest()
info = bytes.fromhex("3031300d060960864801650304020105000420") + digest
ok = em == b"\\x00\\x01" + b"\\xff" * (256 - 3 - len(info)) + b"\\x00" + info and payload["exp"] > time.time()
t2 = time.perf_counter_ns()
sys.stderr.write("BENCH %d %d %d %s\\n" % (t0, t0, t2, "pass" if ok else "fail"))
"""


def create_share():
    return CpuShare.create(LAMBDA_EDGE_SHARE)


def authedge_version(node_dir: str) -> str | None:
    try:
        with open(os.path.join(node_dir, "node_modules", *AE_PACKAGE.split("/"), "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def prepare_authedge(node_dir: str, work: str, config: dict) -> dict:
    """Copy check-auth and parse-auth (as shipped) into directories of their own with config.json."""
    dist = os.path.join(node_dir, "node_modules", *AE_PACKAGE.split("/"), "dist")
    dirs = {}
    for name in ("check-auth", "parse-auth"):
        target = os.path.join(work, f"authedge-{name}")
        os.makedirs(target, exist_ok=True)
        shutil.copyfile(os.path.join(dist, name, "index.js"), os.path.join(target, "index.js"))
        with open(os.path.join(target, "config.json"), "w") as f:
            json.dump(config, f)
        dirs[name] = target
    dirs["bytes"] = os.path.getsize(os.path.join(dist, "check-auth", "index.js"))
    return dirs


def authedge_config(client_id: str, pool: str, domain: str, secret: str) -> dict:
    """What the package's CloudFrontAuth construct writes (lib/cloudfront-auth.js), public client."""
    return {
        "httpHeaders": {
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; script-src 'self'; "
            "style-src 'self' 'unsafe-inline'; object-src 'none'; connect-src 'self'",
            "Strict-Transport-Security": "max-age=31536000; includeSubdomains; preload",
            "Referrer-Policy": "same-origin",
            "X-XSS-Protection": "1; mode=block",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
        "logLevel": "warn",
        "userPoolId": pool,
        "clientId": client_id,
        "clientSecret": "",
        "oauthScopes": ["phone", "email", "profile", "openid", "aws.cognito.signin.user.admin"],
        "cognitoAuthDomain": domain,
        "callbackPath": AE_CALLBACK,
        "signOutRedirectTo": "/",
        "signOutPath": "/auth/sign-out",
        "refreshAuthPath": "/auth/refresh",
        "requireGroupAnyOf": None,
        "cookieSettings": {
            "idToken": "Path=/; Secure; HttpOnly; SameSite=Lax",
            "accessToken": "Path=/; Secure; HttpOnly; SameSite=Lax",
            "refreshToken": "Path=/; Secure; HttpOnly; SameSite=Lax",
            "nonce": "Path=/; Secure; HttpOnly; SameSite=Lax",
        },
        "nonceSigningSecret": secret,
    }


def authedge_callback_event(worker, idp, keys: Keys) -> dict:
    """check-auth (warm) starts a login; the IdP issues a code for its PKCE challenge; the callback
    request carries its nonce, nonce HMAC and PKCE cookies, as the browser would to parse-auth."""
    page = "/docs/getting-started"
    first = worker.handle(event(page, "tab=1", headers=NAVIGATE))
    if first.get("status") != "307" or "/oauth2/authorize?" not in first.get("location", ""):
        raise RuntimeError(f"Auth@Edge start-login gave {first!r}")
    query = {k: v[0] for k, v in parse_qs(urlsplit(first["location"]).query).items()}
    code = idp.issue_code(
        challenge=query["code_challenge"], nonce=None, redirect_uri=query["redirect_uri"], claims=keys.id_claims()
    )
    cookies = [c.split(";")[0] for c in first["cookies"]]
    return event(AE_CALLBACK, urlencode({"code": code, "state": query["state"]}), headers=NAVIGATE, cookies=cookies)


def authedge_cookies(client_id: str, token: str) -> list[str]:
    prefix = f"CognitoIdentityServiceProvider.{client_id}"
    return [f"{prefix}.LastAuthUser=ada", f"{prefix}.ada.idToken={token}", "theme=dark"]


def expected_fetches(figure: str) -> int:
    """JWKS requests each cold process of a figure must make. Ours and cognito-at-edge only for
    (d); the Auth@Edge fork (jwks-rsa) fetches the JWKS at every cold start that verifies, so (b)
    too; its parse-auth does not verify the ID token it receives."""
    who, case = figure.split("_")[1:3] if figure.count("_") >= 2 else (figure, "")
    if case == "d":
        return 1
    return 1 if (who == "ae" and case == "b") else 0


def figures(has_cog: bool, has_ae: bool) -> list[str]:
    names = ["share_pybare", "share_floor"] + [f"share_ours_{c}" for c in CASES]
    if has_cog or has_ae:
        names.append("share_nodebare")
    if has_cog:
        names += [f"share_cog_{c}" for c in CASES]
    if has_ae:
        names += [f"share_ae_{c}" for c in CASES]
    return names


def measure(launcher, argv_for, names: list[str], samples: int, idp, check, say) -> dict:
    """Round-robin over `names`, one fresh process per sample, in a shuffled order per round."""
    results = {name: {"response_ns": [], "exit_ns": [], "jwks_fetches": [], "maxrss_kib": []} for name in names}
    rng = random.Random(22)
    for round_no in range(samples):
        say(f"bench: cold processes at the CPU share, round {round_no + 1}/{samples}")
        order = names[:]
        rng.shuffle(order)
        for name in order:
            argv, env = argv_for(name)
            before = sum(1 for r in idp.requests if r["path"].startswith("/jwks"))
            reply, out, err = launcher.run(argv, env)
            if reply["status"] != 0 or "Traceback" in err:
                raise RuntimeError(f"cold process {name} failed (exit {reply['status']}):\n{err[-3000:]}")
            marker = [line for line in err.splitlines() if line.startswith("BENCH ")]
            if not marker:
                raise RuntimeError(f"cold process {name}: no BENCH line\n{out[-1000:]}\n{err[-2000:]}")
            fields = marker[-1].split()
            done = int(fields[3]) if len(fields) >= 5 else int(fields[1])
            if len(fields) >= 5:
                check(name, fields[4], out, err)
            entry = results[name]
            entry["response_ns"].append(done - reply["spawn_ns"])
            entry["exit_ns"].append(reply["ns"])
            entry["maxrss_kib"].append(reply["maxrss_kib"])
            entry["jwks_fetches"].append(sum(1 for r in idp.requests if r["path"].startswith("/jwks")) - before)
    return results


def summarise(results: dict) -> dict:
    import statistics

    out = {}
    for name, entry in results.items():
        out[name] = {
            "median_ms": statistics.median(entry["response_ns"]) / 1e6,
            "min_ms": min(entry["response_ns"]) / 1e6,
            "max_ms": max(entry["response_ns"]) / 1e6,
            "median_exit_ms": statistics.median(entry["exit_ns"]) / 1e6,
            "samples": len(entry["response_ns"]),
            "jwks_fetches": sum(entry["jwks_fetches"]),
            "maxrss_kib_median": statistics.median(entry["maxrss_kib"]),
        }
    ratios = {}
    for case in CASES:
        peers = [out[f"share_{p}_{case}"]["median_ms"] for p in ("cog", "ae") if f"share_{p}_{case}" in out]
        if peers and f"share_ours_{case}" in out:
            ratios[case] = out[f"share_ours_{case}"]["median_ms"] / min(peers)
    return {"figures": out, "ours_over_faster_peer": ratios}


def node_version(node: str) -> str:
    return subprocess.run([node, "--version"], capture_output=True, text=True, env={"LANG": "C.UTF-8"}).stdout.strip()


def empty_challenge() -> str:
    return b64url(hashlib.sha256(b"").digest())
