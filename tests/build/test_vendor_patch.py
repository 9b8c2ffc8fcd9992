"""vendor/*.patch: the trimmed python-jose verifies exactly as upstream, except a wrong hash;
the trimmed urllib3 behaves as upstream without importing importlib.metadata.

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
from cryptography.hazmat.primitives import hashes
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
print(json.dumps({"metadata_at_import": loaded_metadata, "inject": outcome, "pool": type(pool).__name__,
                  "version": urllib3.__version__}))
"""


def test_trimmed_urllib3_behaves_as_upstream_without_importing_importlib_metadata(packages):
    results = {}
    for name, path in packages.items():
        run_ = subprocess.run(
            [PYTHON313, "-I", "-S", "-B", "-c", URLLIB3_RUNNER, path], capture_output=True, text=True, timeout=120
        )
        assert run_.returncode == 0, run_.stderr[-2000:]
        results[name] = json.loads(run_.stdout)
    assert results["upstream"]["metadata_at_import"] is True
    assert results["patched"]["metadata_at_import"] is False  # ~20-35 ms of the callback's cold start
    assert results["upstream"]["inject"] == results["patched"]["inject"] != "injected"
    assert {k: v for k, v in results["upstream"].items() if k != "metadata_at_import"} == {
        k: v for k, v in results["patched"].items() if k != "metadata_at_import"
    }


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
