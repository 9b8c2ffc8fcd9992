"""Compile for the target runtime and write a deterministic zip, with a size report.

Lambda's /var/task is read-only, so Python can never cache bytecode there: shipped sources are
compiled again at every cold start. Every module therefore ships as bytecode compiled by
python3.13, sourceless (module.pyc where module.py would be: no source to stat or compare),
urllib3 included (the callback and JWKS-fetch paths): the whole zip stays well under 1 MB.
Entries are sorted and stamped 1980-01-01 with fixed permissions: the same inputs give a
byte-identical zip.
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from collections.abc import Iterable

LIMIT_BYTES = 1024 * 1024
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
COMPILE_SCRIPT = r"""
import py_compile, sys, json
jobs = json.load(sys.stdin)
for source, cfile, dfile in jobs:
    py_compile.compile(source, cfile=cfile, dfile=dfile, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""


def compile_tree(staging: str, files: list[str], python313: str) -> list[str]:
    """Compile `files` (relative .py paths) to sourceless .pyc beside them; return their paths.

    A .pyc in the legacy location (module.pyc, no module.py) is loaded as is: no source to
    stat or compare, nothing to write to the read-only /var/task.
    """
    import json

    jobs = [
        (os.path.join(staging, rel), os.path.join(staging, rel[:-3] + ".pyc"), rel)
        for rel in files
        if rel.endswith(".py")
    ]
    result = subprocess.run(
        [python313, "-I", "-c", COMPILE_SCRIPT], input=json.dumps(jobs), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError("compiling bytecode failed:\n" + result.stderr[-2000:])
    return [rel[:-3] + ".pyc" for rel in files if rel.endswith(".py")]


def write_zip(staging: str, entries: list[str]) -> bytes:
    """The files `entries` (paths relative to `staging`) as a deterministic zip."""

    def contents():
        for rel in sorted(set(entries)):
            with open(os.path.join(staging, rel), "rb") as f:
                yield rel, f.read()

    return zip_bytes(contents())


def zip_bytes(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A deterministic zip of (name, data) pairs: sorted, fixed time and permissions, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel, data in sorted(files):
            info = zipfile.ZipInfo(rel, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def package_of(rel: str) -> str:
    top = rel.split("/", 1)[0]
    if top.endswith(".dist-info"):
        return "licences"
    return top


def size_report(data: bytes) -> list[tuple[str, int]]:
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            # local header + name + data; the central directory is counted in the total only
            sizes[package_of(info.filename)] = (
                sizes.get(package_of(info.filename), 0) + info.compress_size + 30 + len(info.filename)
            )
    return sorted(sizes.items(), key=lambda item: -item[1])


def format_report(data: bytes) -> str:
    lines = ["  package        bytes"]
    for name, size in size_report(data):
        lines.append(f"  {name:<12} {size:>8,}")
    total = len(data)
    lines.append(f"  {'total':<12} {total:>8,}  ({total * 100 / LIMIT_BYTES:.1f}% of the 1 MB viewer-request limit)")
    return "\n".join(lines)
