"""vendor/*.patch: the trimmed python-jose verifies exactly as upstream, except a wrong hash;
the trimmed urllib3 behaves as upstream without importing importlib.metadata; the trimmed rsa
(and jose's lazily loaded HMAC backend) compute exactly as upstream without typing, hashlib,
hmac or threading on the RS256 path (issue 22).

Upstream is python-jose 3.5.0 as its pinned wheel ships it (vendor/requirements.txt, installed
by hash into a temp dir with no patch), on the same pure-Python backend the zip uses (python-rsa;
no `cryptography` on the path). Both packages are run under python3.13 -I -S over the same corpus
of good and bad tokens; the only allowed difference is the one the patch exists for: a PKCS#1
v1.5 signature made with another hash than the one the algorithm names (MD5, SHA-1, SHA-224,
SHA-384, SHA-512 under RS256...) verifies upstream and must not after the patch.
Item 9 of issue 11 is then checked end to end through the built zip's handler.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from gatebuild import vendor
from gatebuild.runtime import find_python313
from tests.build.test_build_zip import ShippedZip, build
from tests.conftest import CLIENT_ID, ROOT
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event, is_response
from tests.support.tokens import b64url

PYTHON313 = find_python313()
pytestmark = [
    pytest.mark.zip,
    pytest.mark.slow,
    pytest.mark.needs_py313,  # skipped without python3.13; CI (GATE_PY313_REQUIRED=1) fails instead (tests/conftest.py)
]

HASHES = {
    "MD5": hashes.MD5,
    "SHA-1": hashes.SHA1,
    "SHA-224": hashes.SHA224,
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}
ALG_HASH = {"RS256": "SHA-256", "RS384": "SHA-384", "RS512": "SHA-512"}

# Runs inside python3.13 -I -S with only one package directory on sys.path.
RUNNER = r"""
import base64, json, sys, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
from jose import jwk, utils

def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

job = json.load(sys.stdin)
out = {"verify": [], "long_to_bytes": [], "modules": None}
for key, alg, message, signature in job["cases"]:
    try:
        k = jwk.construct(key, alg)
    except Exception as exc:
        out["verify"].append(["construct", type(exc).__name__])
        continue
    try:
        out["verify"].append(["verify", type(k).__module__, k.verify(message.encode(), unb64(signature))])
    except Exception as exc:
        out["verify"].append(["raise", type(exc).__name__])
for n in job["ints"]:
    out["long_to_bytes"].append([utils.long_to_bytes(n).hex(), utils.long_to_bytes(n, 64).hex()
                                 if n.bit_length() <= 512 else None, utils.long_to_base64(n).decode()])
out["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("ecdsa", "six", "pyasn1", "cryptography"))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    upstream = vendor.install(str(tmp_path_factory.mktemp("upstream")), PYTHON313, patches=[])
    patched = vendor.install(os.path.join(ROOT, "build"), PYTHON313)  # what build.py ships
    assert vendor.PATCHES, "no vendor/*.patch"
    return {"upstream": upstream, "patched": patched}


def run(package_dir: str, cases: list, ints: list[int] = ()) -> dict:
    result = subprocess.run(
        [PYTHON313, "-I", "-S", "-B", "-c", RUNNER, package_dir],
        input=json.dumps({"cases": cases, "ints": list(ints)}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def jwk_of(private_key, **extra) -> dict:
    numbers = private_key.public_key().public_numbers()
    as_b64 = lambda n: b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))  # noqa: E731
    return {"kty": "RSA", "kid": "k", "n": as_b64(numbers.n), "e": as_b64(numbers.e), **extra}


def sign(private_key, message: str, hash_name: str, pss: bool = False) -> bytes:
    digest = HASHES[hash_name]()
    pad = padding.PSS(padding.MGF1(digest), padding.PSS.DIGEST_LENGTH) if pss else padding.PKCS1v15()
    return private_key.sign(message.encode(), pad, digest)


def corpus():
    """(case name, [jwk, alg, signing input, signature b64url], wrong_hash?)"""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_e3 = rsa.generate_private_key(public_exponent=3, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = b64url(b'{"alg":"RS256","kid":"k"}')
    message = f"{header}.{b64url(json.dumps({'sub': 'alice', 'exp': 2000000000}).encode())}"
    n_bytes = key.public_key().public_numbers().n.to_bytes(256, "big")
    cases = []

    def add(name, jwk, alg, msg, sig, wrong_hash=False):
        cases.append((name, [jwk, alg, msg, b64url(sig) if isinstance(sig, bytes) else sig], wrong_hash))

    for private, label in ((key, "e65537"), (key_e3, "e3")):
        jwk = jwk_of(private)
        for alg, own in ALG_HASH.items():
            good = sign(private, message, own)
            add(f"{label} {alg} good", jwk, alg, message, good)
            add(f"{label} {alg} good, jwk names the alg", dict(jwk, alg=alg), alg, message, good)
            for hash_name in HASHES:
                if hash_name != own:
                    forged = sign(private, message, hash_name)
                    add(f"{label} {alg} signed with {hash_name}", jwk, alg, message, forged, wrong_hash=True)
                    add(f"{label} {alg} signed with {hash_name}, message changed", jwk, alg, message + "x", forged)
            add(f"{label} {alg} PSS", jwk, alg, message, sign(private, message, own, pss=True))
            add(f"{label} {alg} message changed", jwk, alg, message[:-1] + ("A" if message[-1] != "A" else "B"), good)
            for position in (0, 1, 128, 255):
                flipped = bytearray(good)
                flipped[position] ^= 0x01
                add(f"{label} {alg} signature bit flipped at {position}", jwk, alg, message, bytes(flipped))
            add(f"{label} {alg} signature truncated", jwk, alg, message, good[:-1])
            add(f"{label} {alg} signature with a leading zero byte", jwk, alg, message, b"\0" + good)
            add(f"{label} {alg} signature with a trailing byte", jwk, alg, message, good + b"\0")
            add(f"{label} {alg} other key's signature", jwk, alg, message, sign(other, message, own))
    jwk = jwk_of(key)
    for name, sig in (
        ("empty", b""),
        ("zeros", b"\0" * 256),
        ("one", b"\0" * 255 + b"\1"),
        ("n", n_bytes),
        ("n-1", (int.from_bytes(n_bytes, "big") - 1).to_bytes(256, "big")),
        ("ff", b"\xff" * 256),
        ("one byte", b"\1"),
        ("not base64", "!!!"),
    ):
        add(f"RS256 signature {name}", jwk, "RS256", message, sig)
    good = sign(key, message, "SHA-256")
    for name, bad_jwk in (
        ("kty EC", dict(jwk, kty="EC")),
        ("no n", {k: v for k, v in jwk.items() if k != "n"}),
        ("n not base64", dict(jwk, n="***")),
        ("e empty", dict(jwk, e="")),
    ):
        add(f"RS256 jwk {name}", bad_jwk, "RS256", message, good)
    for alg in ("HS256", "none", "PS256", "XX"):
        add(f"alg {alg}", jwk, alg, message, good)
    # RSA1_5 is a key-wrapping algorithm and names no hash: upstream verifies any signature under
    # it, the patched backend none (the gate never asks for it: tokens.algorithms is RS* only)
    add("alg RSA1_5", jwk, "RSA1_5", message, good, wrong_hash=True)
    return cases


def test_trimmed_jose_verifies_as_upstream_except_a_hash_other_than_the_algorithms(packages):
    cases = corpus()
    ints = [0, 1, 255, 256, 2**64 - 1, 2**2047 + 12345, 2**4096 - 1]
    results = {name: run(path, [c[1] for c in cases], ints) for name, path in packages.items()}
    up, ours = results["upstream"], results["patched"]
    differences = []
    for (name, _, wrong_hash), a, b in zip(cases, up["verify"], ours["verify"], strict=False):
        if wrong_hash:
            # the finding itself: upstream accepts, the patched backend refuses
            assert a == ["verify", "jose.backends.rsa_backend", True], (name, a)
            assert b == ["verify", "jose.backends.rsa_backend", False], (name, b)
        elif a != b:
            differences.append(f"{name}: upstream {a}, patched {b}")
    assert not differences, "\n".join(differences)
    assert sum(1 for _, _, w in cases if w) == 2 * 3 * 5 + 1
    # the corpus is not vacuous: good tokens verify on both, on the pure backend
    goods = [i for i, c in enumerate(cases) if c[0].endswith(" good")]
    assert goods and all(ours["verify"][i] == ["verify", "jose.backends.rsa_backend", True] for i in goods)
    assert sum(1 for r in ours["verify"] if r[-1] is False) > 100
    assert up["long_to_bytes"] == ours["long_to_bytes"]
    # the trim: upstream's chain loads ecdsa, six and pyasn1; the patched one none of them
    assert {"ecdsa", "six", "pyasn1"} <= {m.split(".")[0] for m in up["modules"]}
    assert ours["modules"] == []


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**600), min_size=1, max_size=40))
def test_long_to_bytes_without_ecdsa_matches_upstream(packages, ints):
    """jose.utils.long_to_bytes used ecdsa's int_to_string; the patch's own version agrees."""
    assert run(packages["upstream"], [], ints)["long_to_bytes"] == run(packages["patched"], [], ints)["long_to_bytes"]


# What issue 22's trim must keep: rsa signs, verifies and handles keys as upstream, jose's
# lazily loaded names still resolve; and the RS256 path loads none of the modules it trimmed.
TRIM_RUNNER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
job = json.load(sys.stdin)
from jose import jwk
key = jwk.construct(job["jwk"], "RS256")
verified = key.verify(job["message"].encode(), bytes.fromhex(job["signature"]))
trimmed = ("typing", "hashlib", "_hashlib", "hmac", "threading", "jose.backends.native")
loaded_on_verify = sorted(m for m in trimmed if m in sys.modules)
other_hashes_on_verify = sorted(m for m in ("_md5", "_sha1", "_sha3") if m in sys.modules)
import rsa, rsa.pkcs1
from jose import backends, constants
private = rsa.PrivateKey.load_pkcs1(job["private_pem"].encode())
public = rsa.PublicKey(private.n, private.e)
out = {"verified": verified, "loaded_on_verify": loaded_on_verify, "signatures": {}, "hashes": {},
       "other_hashes_on_verify": other_hashes_on_verify}
for name in sorted(rsa.pkcs1.HASH_METHODS):
    out["hashes"][name] = rsa.pkcs1.compute_hash(b"message", name).hex()
    sig = rsa.sign(b"message", private, name)
    out["signatures"][name] = [sig.hex(), rsa.verify(b"message", sig, public)]
try:
    rsa.verify(b"other", sig, public)
except rsa.VerificationError as exc:
    out["tampered"] = type(exc).__name__
out["public_pem"] = public.save_pkcs1().decode()
out["round_trip"] = rsa.PublicKey.load_pkcs1(public.save_pkcs1()) == public
out["blinded"] = rsa.decrypt(rsa.encrypt(b"secret", public), private).decode()
out["jose_hashes"] = {alg: fn().name for alg, fn in sorted(constants.ALGORITHMS.HASHES.items())}
out["hmac_key"] = [jwk.HMACKey.__name__, jwk.get_key("HS256").__name__, len(backends.get_random_bytes(16))]
hs = jwk.construct("secret", "HS256")
out["hmac_sig"] = hs.sign(b"message").hex()
print(json.dumps(out))
"""


def test_trimmed_rsa_and_jose_agree_with_upstream_and_load_no_typing_hashlib_hmac_threading(packages):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    message = "header.payload"
    job = {
        "jwk": jwk_of(key),
        "message": message,
        "signature": sign(key, message, "SHA-256").hex(),
        "private_pem": private_pem,
    }
    results = {}
    for name, path in packages.items():
        result = subprocess.run(
            [PYTHON313, "-I", "-S", "-B", "-c", TRIM_RUNNER, path],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        results[name] = json.loads(result.stdout)
    up, ours = results["upstream"], results["patched"]
    assert up["verified"] is True and ours["verified"] is True
    # the trim: upstream's RS256 path loads every one of them, the patched one none
    assert up["loaded_on_verify"] == sorted(
        ["typing", "hashlib", "_hashlib", "hmac", "threading", "jose.backends.native"]
    )
    assert ours["loaded_on_verify"] == [] and ours["other_hashes_on_verify"] == []  # RS256 needs only _sha2
    # nothing computed differently: PKCS#1 v1.5 signatures are deterministic, so they must be equal
    assert set(ours["signatures"]) >= {"MD5", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512", "SHA3-256"}
    assert all(verified == name for name, (_, verified) in ours["signatures"].items())
    trims = ("loaded_on_verify", "other_hashes_on_verify")
    assert {k: v for k, v in up.items() if k not in trims} == {k: v for k, v in ours.items() if k not in trims}
    assert ours["tampered"] == "VerificationError" and ours["blinded"] == "secret" and ours["round_trip"]


URLLIB3_RUNNER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import urllib3, urllib3.http2
loaded_metadata = "importlib.metadata" in sys.modules
try:
    urllib3.http2.inject_into_urllib3()
    outcome = "injected"
except Exception as exc:  # h2 is not installed: upstream and patched both say so the same way
    outcome = type(exc).__name__ + ": " + str(exc)
pool = urllib3.PoolManager(retries=False).connection_from_url("http://127.0.0.1:9/")
import re
from urllib3.util import url as url_module, ssl_
ipv6_compiled_at_import = isinstance(url_module._IPV6_ADDRZ_RE, re.Pattern)
compiled = []
real_compile = re.compile
re.compile = lambda pattern, flags=0: compiled.append(pattern) or real_compile(pattern, flags)
url_module.parse_url("https://idp.example.com:443/oauth2/token")
ssl_.is_ipaddress("idp.example.com")
dns_compiled_ipv6 = any("A-Fa-f" in p for p in compiled)
hashlib_loaded = "hashlib" in sys.modules or "hmac" in sys.modules
fingerprints = []
import hashlib
for candidate in (hashlib.sha256(b"cert").hexdigest(), hashlib.md5(b"cert").hexdigest(), hashlib.sha1(b"cert").hexdigest(),
                  "00" * 32, "ab:" * 19 + "ab", "zz" * 20, "0" * 33):
    try:
        ssl_.assert_fingerprint(b"cert", candidate)
        fingerprints.append("ok")
    except Exception as exc:
        fingerprints.append(type(exc).__name__ + ": " + str(exc))
hosts = [line.rstrip("\n") for line in sys.stdin]
parsed = []
for host in hosts:
    try:
        u = url_module.parse_url(f"https://{host}/p?q")
        parsed.append([str(u), u.host, u.port, ssl_.is_ipaddress(host), ssl_.is_ipaddress(host.strip("[]"))])
    except Exception as exc:
        parsed.append(type(exc).__name__)
print(json.dumps({"metadata_at_import": loaded_metadata, "inject": outcome, "pool": type(pool).__name__,
                  "version": urllib3.__version__, "ipv6_compiled_at_import": ipv6_compiled_at_import,
                  "dns_compiled_ipv6": dns_compiled_ipv6, "parsed": parsed, "hashlib_loaded": hashlib_loaded,
                  "fingerprints": fingerprints}))
"""
HOSTS = [
    "idp.example.com",
    "IDP.Example.COM",
    "127.0.0.1",
    "127.0.0.1:8443",
    "0x7f.1",
    "[::1]",
    "[::1]:8443",
    "[fe80::1%25eth0]",
    "[fe80::1%eth0]:1",
    "[FE80::A:b]",
    "::1",
    "fe80::1%eth0",
    "[::ffff:192.0.2.1]",
    "[1:2:3:4:5:6:7:8]",
    "[1:2:3:4:5:6:7:8:9]",
    "[not-ipv6]",
    "[",
    "]",
    "a:b",
    "host:99999",
    "xn--bcher-kva.example",
    "bücher.example",
    "exa mple.com",
    "%41.example",
    "user@host",
    "",
]


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
            st.ip_addresses(v=6).map(str),
            st.ip_addresses(v=4).map(str),
            st.from_regex(r"\A[\[\]a-fA-F0-9:.%]{1,40}\Z"),
            st.from_regex(r"\A[a-z0-9-]{1,20}(\.[a-z0-9-]{1,20}){0,3}\Z"),
        ),
        max_size=30,
    )
)
def test_trimmed_urllib3_behaves_as_upstream_without_importing_importlib_metadata(packages, hosts):
    """Also issue 22's trims: the IPv6 patterns compiled on first use, never for a DNS name; every
    host (the fixed list and hypothesis's addresses and near-addresses) parses as upstream; hashlib
    and hmac not imported until a certificate fingerprint is checked, which checks as upstream."""
    results = {}
    for name, path in packages.items():
        run_ = subprocess.run(
            [PYTHON313, "-I", "-S", "-B", "-c", URLLIB3_RUNNER, path],
            input="\n".join(HOSTS + hosts),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run_.returncode == 0, run_.stderr[-2000:]
        results[name] = json.loads(run_.stdout)
    assert results["upstream"]["metadata_at_import"] is True
    assert results["patched"]["metadata_at_import"] is False  # ~20-35 ms of the callback's cold start
    assert results["upstream"]["inject"] == results["patched"]["inject"] != "injected"
    assert results["upstream"]["ipv6_compiled_at_import"] is True
    assert results["patched"]["ipv6_compiled_at_import"] is False and results["patched"]["dns_compiled_ipv6"] is False
    assert results["upstream"]["hashlib_loaded"] is True and results["patched"]["hashlib_loaded"] is False
    assert results["patched"]["fingerprints"][:3] == ["ok", "ok", "ok"]  # and the same refusals (below)
    trims = ("metadata_at_import", "ipv6_compiled_at_import", "dns_compiled_ipv6", "hashlib_loaded")
    assert {k: v for k, v in results["upstream"].items() if k not in trims} == {
        k: v for k, v in results["patched"].items() if k not in trims
    }
    parsed = results["patched"]["parsed"]
    # not vacuous: the fixed hosts give addresses, names and refusals alike
    flags = [p[4] for p in parsed[: len(HOSTS)] if isinstance(p, list)]
    assert flags.count(True) >= 5 and flags.count(False) >= 5
    assert any(isinstance(p, str) for p in parsed[: len(HOSTS)])


def test_patch_applies_strictly(tmp_path):
    """A hunk whose context does not match stops the build: no fuzz, no offset."""
    target = tmp_path / "pkg"
    target.mkdir()
    (target / "m.py").write_text("a = 1\nb = 2\nc = 3\n")
    good = "header\n--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n a = 1\n-b = 2\n+b = 20\n c = 3\n"
    assert vendor.apply_patch(str(target), good) == ["m.py"]
    assert (target / "m.py").read_text() == "a = 1\nb = 20\nc = 3\n"
    with pytest.raises(vendor.PatchError):
        vendor.apply_patch(str(target), good)  # already applied: "b = 2" is no longer there
    with pytest.raises(vendor.PatchError):
        vendor.apply_patch(str(target), good.replace("m.py", "../m.py"))


# -- item 9 of issue 11, end to end through the built zip ------------------------------------

CONFIG = f'''
[idp]
provider = "cognito"
client_id = "{CLIENT_ID}"
token_endpoint = "http://127.0.0.1:9/token"
jwks_uri = "http://127.0.0.1:9/jwks"
[cognito]
region = "us-east-1"
user_pool_id = "us-east-1_Test12345"
domain = "auth.example.com"
'''


def sign_with(keys, hash_name: str, claims: dict) -> str:
    signing_input = (
        f"{b64url(json.dumps({'alg': 'RS256', 'kid': keys.kid}).encode())}.{b64url(json.dumps(claims).encode())}"
    )
    signature = keys.private_key.sign(signing_input.encode(), padding.PKCS1v15(), HASHES[hash_name]())
    return f"{signing_input}.{b64url(signature)}"


def test_built_zip_refuses_rs256_tokens_signed_with_another_hash(tmp_path, keys):
    """An RS256 ID token whose PKCS#1 v1.5 signature uses MD5, SHA-1, SHA-224, SHA-384 or SHA-512
    is not a session, through edge.handler.handler of the built zip (python-rsa backend)."""
    result, out = build(tmp_path, CONFIG, keys.jwks())
    assert result.returncode == 0, result.stderr
    assert "jose/backends/rsa_backend.pyc" in zipfile.ZipFile(out).namelist()
    shipped = ShippedZip(out, tmp_path)
    try:
        claims = keys.id_claims()
        honest = sign_with(keys, "SHA-256", claims)
        page = shipped.send(event("/docs/a", headers=NAVIGATE, cookies=[f"__Host-gate-id={honest}"]))
        assert not is_response(page), page  # not vacuous: the honest token is a session
        for hash_name in ("MD5", "SHA-1", "SHA-224", "SHA-384", "SHA-512"):
            forged = sign_with(keys, hash_name, claims)
            cookie = [f"__Host-gate-id={forged}"]
            page = shipped.send(event("/docs/a", headers=NAVIGATE, cookies=cookie))
            assert page.get("status") == "302", (hash_name, page)  # sent to sign in, not let through
            whoami = shipped.send(event("/_gate/me", headers=FETCH_JSON, cookies=cookie))
            assert whoami["status"] == "401" and json.loads(whoami["body"])["signedIn"] is False, hash_name
        loaded = shipped.send("modules")["modules"]
        assert "jose.backends.rsa_backend" in loaded and "cryptography" not in loaded
    finally:
        logs = shipped.close()
    reasons = [json.loads(line).get("reason") for line in logs.splitlines() if line.startswith("{")]
    assert reasons.count("bad_signature") == 10, reasons
    assert "Traceback" not in logs
