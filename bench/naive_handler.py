"""THE BASELINE, not the gate: a deliberately naive viewer-request handler, as peers write it.

The benchmark (`python -m bench`) packs this file with the *untrimmed* pinned dependencies
(every installed file of vendor/requirements.txt: python-jose, rsa, pyasn1, ecdsa with its
tests, six, urllib3 with its extras), as sources without bytecode, and measures it next to the
built gate zip. It does what the Python ports of cloudfront-authorization-at-edge do:

- `from jose import jwt` on every request, and `jwt.decode(token, jwks_dict, ...)` with the
  whole JWKS dict, so python-jose constructs and tries every key, on every request; no cache;
- no cookie: a 302 to the authorize endpoint with PKCE, a random state and nonce kept in a
  cookie;
- callback: a new urllib3 PoolManager per request, the code exchange, `jwt.decode` of the ID
  token and a nonce comparison, then the ID-token cookie and a 302.

It is fair to it in one way: the JWKS comes from the same embedded file the gate uses (peers
fetch it over the network), so no network cost is added to its cold start. It logs one JSON
line per decision, like the gate. It is never shipped and never used by the gate.
"""

import base64
import hashlib
import json
import os
import secrets
import time
from urllib.parse import parse_qs, urlencode

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "naive_config.json")) as _f:
    CONFIG = json.load(_f)  # issuer, client_id, endpoints, callback path, jwks

ID_COOKIE = "naive-id"
LOGIN_COOKIE = "naive-login"


def _cookies(request):
    jar = {}
    for entry in request["headers"].get("cookie", []):
        for pair in entry["value"].split(";"):
            name, _, value = pair.strip().partition("=")
            jar.setdefault(name, value)
    return jar


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _log(path, decision, status, started):
    print(json.dumps({"path": path, "decision": decision, "status": status,
                      "ms": round((time.time() - started) * 1000, 3)}))


def _response(status, location, cookies=()):
    headers = {"location": [{"key": "Location", "value": location}],
               "cache-control": [{"key": "Cache-Control", "value": "no-store"}]}
    if cookies:
        headers["set-cookie"] = [{"key": "Set-Cookie", "value": c} for c in cookies]
    return {"status": str(status), "statusDescription": "Found", "headers": headers}


def _host(request):
    return request["headers"]["host"][0]["value"]


def handler(event, context):
    from jose import jwt  # on every request, as peers do (cached by sys.modules after the first)

    started = time.time()
    request = event["Records"][0]["cf"]["request"]
    jar = _cookies(request)
    if request["uri"] == CONFIG["callback_path"]:
        return _callback(request, jar, started)
    token = jar.get(ID_COOKIE)
    if token:
        try:
            jwt.decode(token, CONFIG["jwks"], algorithms=["RS256"], audience=CONFIG["client_id"],
                       issuer=CONFIG["issuer"])
        except Exception:
            pass
        else:
            _log(request["uri"], "allow", None, started)
            return request
    verifier = _b64(secrets.token_bytes(32))
    state, nonce = _b64(secrets.token_bytes(16)), _b64(secrets.token_bytes(16))
    query = urlencode({
        "response_type": "code", "client_id": CONFIG["client_id"],
        "redirect_uri": f"https://{_host(request)}{CONFIG['callback_path']}",
        "scope": "openid email profile", "state": state, "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    })
    login = f"{LOGIN_COOKIE}={verifier}.{state}.{nonce}; Path=/; Secure; HttpOnly; Max-Age=600"
    _log(request["uri"], "login", 302, started)
    return _response(302, f"{CONFIG['authorization_endpoint']}?{query}", [login])


def _callback(request, jar, started):
    import urllib3
    from jose import jwt

    params = {k: v[0] for k, v in parse_qs(request["querystring"]).items()}
    verifier, state, nonce = jar.get(LOGIN_COOKIE, "..").split(".")
    if not state or params.get("state") != state:
        _log(request["uri"], "error", 400, started)
        return {"status": "400", "statusDescription": "Bad Request"}
    http = urllib3.PoolManager()
    resp = http.request("POST", CONFIG["token_endpoint"], fields={
        "grant_type": "authorization_code", "code": params.get("code", ""), "client_id": CONFIG["client_id"],
        "redirect_uri": f"https://{_host(request)}{CONFIG['callback_path']}", "code_verifier": verifier,
    }, encode_multipart=False)
    tokens = json.loads(resp.data)
    id_token = tokens["id_token"]
    claims = jwt.decode(id_token, CONFIG["jwks"], algorithms=["RS256"], audience=CONFIG["client_id"],
                        issuer=CONFIG["issuer"])
    if claims.get("nonce") != nonce:
        _log(request["uri"], "error", 400, started)
        return {"status": "400", "statusDescription": "Bad Request"}
    cookies = [f"{ID_COOKIE}={id_token}; Path=/; Secure; HttpOnly", f"{LOGIN_COOKIE}=; Path=/; Max-Age=0"]
    _log(request["uri"], "login_complete", 302, started)
    return _response(302, "/", cookies)
