"""Install the pinned third-party code (vendor/requirements.txt) and trim it to what is imported.

Wheels are verified by hash and installed once into build/vendor-<recipe hash>/; later builds
reuse that directory, so they need no network. Trimming keeps only the modules that the edge
function actually imports (traced in the target interpreter while exercising every lazy
import), plus the packages' licence files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPE = os.path.join(ROOT, "vendor", "requirements.txt")
TRACE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace_imports.py")
# urllib3 is loaded lazily on the IdP paths only; keep all of it except optional extras.
WHOLE_PACKAGES = {"urllib3": ("contrib", "http2")}


class VendorError(Exception):
    pass


def recipe_hash() -> str:
    with open(RECIPE, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def install(build_dir: str, python313: str | None) -> str:
    target = os.path.join(build_dir, f"vendor-{recipe_hash()}")
    marker = os.path.join(target, ".complete")
    if os.path.exists(marker):
        return target
    os.makedirs(build_dir, exist_ok=True)
    partial = tempfile.mkdtemp(prefix="vendor-partial-", dir=build_dir)  # concurrent builds: install
    if python313:                                                        # aside, rename into place
        command = [python313, "-m", "pip"]
    else:
        command = [sys.executable, "-m", "pip"]
    command += ["install", "--quiet", "--disable-pip-version-check", "--no-deps", "--require-hashes",
                "--only-binary=:all:", "--no-compile", "--target", partial, "-r", RECIPE]
    if not python313:
        command += ["--python-version", "3.13", "--implementation", "cp"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise VendorError("installing vendor/requirements.txt failed:\n" + result.stderr.strip()[-2000:])
    with open(os.path.join(partial, ".complete"), "w") as f:
        f.write("ok\n")
    try:
        os.rename(partial, target)
    except OSError:  # another build finished first: use its copy
        shutil.rmtree(partial, ignore_errors=True)
    if not os.path.exists(marker):
        raise VendorError(f"vendor install did not complete in {target}")
    return target


def traced_files(staging: str, python: str) -> list[str]:
    """Relative paths of every .py under `staging` that the edge function imports."""
    # -S: no site-packages, as on Lambda; a cryptography installed there would hide the rsa backend
    result = subprocess.run([python, "-I", "-S", "-B", TRACE_SCRIPT, staging], capture_output=True, text=True)
    if result.returncode != 0:
        raise VendorError("tracing the edge function's imports failed:\n" + result.stderr.strip()[-2000:])
    return json.loads(result.stdout)


def keep_list(vendor_dir: str, traced: list[str]) -> list[str]:
    """Relative paths (under vendor_dir) of the third-party files to ship."""
    keep = {p for p in traced if not p.startswith("edge/")}
    for package, dropped in WHOLE_PACKAGES.items():
        base = os.path.join(vendor_dir, package)
        for dirpath, dirnames, filenames in os.walk(base):
            rel_dir = os.path.relpath(dirpath, vendor_dir)
            dirnames[:] = [d for d in dirnames if d not in dropped and d != "__pycache__"]
            keep.update(os.path.join(rel_dir, f).replace(os.sep, "/") for f in filenames if f.endswith(".py"))
    for entry in os.listdir(vendor_dir):
        if entry.endswith(".dist-info"):
            for dirpath, _, filenames in os.walk(os.path.join(vendor_dir, entry)):
                for name in filenames:
                    if name.upper().startswith(("LICENSE", "LICENCE", "COPYING")):
                        keep.add(os.path.relpath(os.path.join(dirpath, name), vendor_dir).replace(os.sep, "/"))
    return sorted(keep)
