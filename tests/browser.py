"""A real headless Chromium for the report test: found, or installed with apt when root.

Debian's ``chromium`` package; nothing is downloaded by the browser itself (every background
service is switched off and the page is a local file).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
INSTALL_TIMEOUT = 900


def find() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _apt_install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    if subprocess.run(command, env=env, capture_output=True, timeout=INSTALL_TIMEOUT).returncode:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
        subprocess.run(command, env=env, capture_output=True, check=True, timeout=INSTALL_TIMEOUT)


def ensure() -> tuple[str | None, str]:
    """(the browser, or None and why not)."""
    found = find()
    if found:
        return found, ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "no chromium on PATH, and installing it needs root with apt-get"
    try:
        _apt_install()
    except (subprocess.SubprocessError, OSError) as error:
        return None, f"apt-get could not install chromium: {error}"
    found = find()
    return found, "" if found else "chromium installed but not on PATH"


def dump_dom(browser: str, page: Path, timeout: float = 120.0) -> str:
    """The DOM after Chromium loaded the page (a fresh profile, no network)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        result = subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0 or "<html" not in result.stdout:
        raise RuntimeError(f"chromium failed ({result.returncode}): {result.stderr[-800:]}")
    return result.stdout
