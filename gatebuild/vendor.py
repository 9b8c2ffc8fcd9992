"""Install the pinned third-party code (vendor/requirements.txt), patch it, trim it to what is imported.

Wheels are verified by hash and installed once into build/vendor-<recipe hash>/; later builds
reuse that directory, so they need no network. The unified diffs vendor/*.patch are then
applied, strictly (every hunk must match exactly where it says, or the build stops). Trimming
keeps only the modules that the edge function actually imports (traced in the target
interpreter while exercising every lazy import), plus the packages' licence files.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPE = os.path.join(ROOT, "vendor", "requirements.txt")
PATCHES = sorted(glob.glob(os.path.join(ROOT, "vendor", "*.patch")))
TRACE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace_imports.py")
# urllib3 is loaded lazily on the IdP paths only; keep all of it except optional extras.
WHOLE_PACKAGES = {"urllib3": ("contrib", "http2")}


class VendorError(Exception):
    pass


def recipe_hash(patches: list[str] = ()) -> str:
    digest = hashlib.sha256()
    for path in [RECIPE, *patches]:
        with open(path, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()[:16]


def install(build_dir: str, python313: str | None, patches: list[str] | None = None) -> str:
    """The pinned packages, installed once under build_dir and patched (vendor/*.patch by default;
    `patches=[]` gives upstream as the wheels ship it)."""
    patches = PATCHES if patches is None else patches
    target = os.path.join(build_dir, f"vendor-{recipe_hash(patches)}")
    marker = os.path.join(target, ".complete")
    if os.path.exists(marker):
        return target
    os.makedirs(build_dir, exist_ok=True)
    partial = tempfile.mkdtemp(prefix="vendor-partial-", dir=build_dir)  # concurrent builds: install
    # (aside, then renamed into place)
    command = [python313 or sys.executable, "-m", "pip"]
    command += [
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--require-hashes",
        "--only-binary=:all:",
        "--no-compile",
        "--target",
        partial,
        "-r",
        RECIPE,
    ]
    if not python313:
        command += ["--python-version", "3.13", "--implementation", "cp"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise VendorError("installing vendor/requirements.txt failed:\n" + result.stderr.strip()[-2000:])
    try:
        for patch in patches:
            with open(patch) as f:
                apply_patch(partial, f.read())
    except PatchError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise VendorError(f"{os.path.relpath(patch, ROOT)} does not apply to the pinned packages: {exc}") from None
    with open(os.path.join(partial, ".complete"), "w") as f:
        f.write("ok\n")
    try:
        os.rename(partial, target)
    except OSError:  # another build finished first: use its copy
        shutil.rmtree(partial, ignore_errors=True)
    if not os.path.exists(marker):
        raise VendorError(f"vendor install did not complete in {target}")
    return target


class PatchError(Exception):
    pass


def apply_patch(root: str, diff: str) -> list[str]:
    """Apply a unified diff (paths a/... b/..., no fuzz, no offset) to the files under root.

    Lines before the first `--- ` are a free-form header. Returns the files changed.
    """
    lines = diff.splitlines()
    i, changed = 0, []
    while i < len(lines) and not lines[i].startswith("--- "):
        i += 1
    while i < len(lines):
        if not (lines[i].startswith("--- a/") and i + 1 < len(lines) and lines[i + 1].startswith("+++ b/")):
            raise PatchError(f"line {i + 1}: expected a '--- a/' '+++ b/' file header")
        rel = lines[i + 1][6:].strip()
        if rel != lines[i][6:].strip() or rel.startswith("/") or ".." in rel.split("/"):
            raise PatchError(f"line {i + 1}: bad path {rel!r}")
        path = os.path.join(root, rel)
        try:
            with open(path, encoding="utf-8", newline="") as f:
                old = f.read().split("\n")
        except OSError:
            raise PatchError(f"{rel}: no such file") from None
        new, cursor, i = [], 0, i + 2
        while i < len(lines) and lines[i].startswith("@@ "):
            try:
                minus, plus = lines[i].split()[1:3]
                start, to_remove = (int(x) for x in ([*minus[1:].split(","), "1"])[:2])
                to_add = int(([*plus[1:].split(","), "1"])[1])
            except ValueError:
                raise PatchError(f"line {i + 1}: bad hunk header") from None
            start = max(start - 1, 0)
            if start < cursor:
                raise PatchError(f"line {i + 1}: hunks overlap or are out of order")
            new += old[cursor:start]
            cursor, i = start, i + 1
            while to_remove or to_add:
                if i >= len(lines) or lines[i][:1] not in (" ", "-", "+"):
                    raise PatchError(f"line {i + 1}: hunk shorter than its header says")
                tag, text = lines[i][:1], lines[i][1:]
                if tag in " -":
                    if not to_remove or cursor >= len(old) or old[cursor] != text:
                        raise PatchError(f"{rel}: hunk does not match at line {cursor + 1}")
                    cursor, to_remove = cursor + 1, to_remove - 1
                if tag in " +":
                    if not to_add:
                        raise PatchError(f"line {i + 1}: hunk longer than its header says")
                    new.append(text)
                    to_add -= 1
                i += 1
        new += old[cursor:]
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(new))
        changed.append(rel)
    return changed


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
        if entry.endswith(".dist-info") and _ships_code(os.path.join(vendor_dir, entry), keep):
            for dirpath, _, filenames in os.walk(os.path.join(vendor_dir, entry)):
                for name in filenames:
                    if name.upper().startswith(("LICENSE", "LICENCE", "COPYING")):
                        keep.add(os.path.relpath(os.path.join(dirpath, name), vendor_dir).replace(os.sep, "/"))
    return sorted(keep)


def _ships_code(dist_info: str, keep: set[str]) -> bool:
    """Whether any file this distribution installed (its RECORD) is in the zip: only their licences ship."""
    try:
        with open(os.path.join(dist_info, "RECORD"), encoding="utf-8") as f:
            return any(line.split(",", 1)[0] in keep for line in f)
    except OSError:
        return True  # no RECORD: keep the licence rather than drop it silently
