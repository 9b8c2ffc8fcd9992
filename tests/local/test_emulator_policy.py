"""The emulator sends the site's CSP from the same place the deploy takes it
(gatebuild/site_policy.py), and says once which Python it runs the zip on (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from gatebuild.site_policy import DEFAULT_CSP
from local import emulator as em
from tests.local.conftest import ROOT
from tests.local.standin import make_site, make_zip
from tests.local.test_emulator import fetch


def _emulator(tmp_path, with_csp_txt: bool):
    site = make_site(str(tmp_path / "app" / "dist"))
    if with_csp_txt:
        (tmp_path / "app" / "csp.txt").write_text("default-src 'self';  img-src 'self' https://img.example.com\n")
    return em.Emulator(make_zip(str(tmp_path / "edge.zip")), site, sink=lambda line: None, max_workers=1)


def test_csp_txt_beside_the_site_is_sent_as_deployed(tmp_path):
    emu = _emulator(tmp_path, with_csp_txt=True).start()
    try:
        resp, _ = fetch(emu, "/index.html")
        assert resp.status == 200
        assert resp.getheader("Content-Security-Policy") == "default-src 'self'; img-src 'self' https://img.example.com"
        assert emu.csp.source == str(tmp_path / "app" / "csp.txt")
    finally:
        emu.stop()


def test_without_csp_txt_the_strict_default_is_sent_as_deployed(tmp_path):
    emu = _emulator(tmp_path, with_csp_txt=False).start()
    try:
        resp, _ = fetch(emu, "/index.html")
        assert resp.getheader("Content-Security-Policy") == DEFAULT_CSP and emu.csp.source == "default"
    finally:
        emu.stop()


def _start(args, env):
    return subprocess.Popen(
        [sys.executable, "-m", "local.emulator", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_bad_csp_file_is_one_line_and_exit_2(tmp_path):
    site = make_site(str(tmp_path / "dist"))
    bad = tmp_path / "csp.txt"
    bad.write_text("default-src 'self'\nscript-src 'self'\n")
    proc = _start(
        ["--zip", make_zip(str(tmp_path / "edge.zip")), "--site", site, "--csp-file", str(bad), "--port", "0"],
        os.environ,
    )
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.strip().splitlines() == [
        f"error: {bad}: must hold the Content-Security-Policy on one line"
    ]


def test_without_python313_it_says_once_which_python_and_what_that_changes(tmp_path):
    site = make_site(str(tmp_path / "dist"))
    proc = _start(
        ["--zip", make_zip(str(tmp_path / "edge.zip")), "--site", site, "--port", "0"],
        {**os.environ, "GATE_PYTHON313": "none"},
    )
    lines = []
    deadline = time.monotonic() + 60
    try:
        for line in proc.stderr:
            lines.append(line)
            if "listening on" in line or time.monotonic() > deadline:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = "".join(lines)
    assert text.count("NOTE: no python3.13 here") == 1, text
    assert "not the Lambda runtime's python3.13" in text and "bytecode" in text
    assert "CSP from default" in text
