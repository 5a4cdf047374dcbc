"""A real headless Chromium for the report test, found on PATH; a test never installs one.

``./dev test`` installs Debian's ``chromium`` beforehand (as root, with apt). Nothing is
downloaded by the browser itself (every background service is switched off and the page is a
local file).
"""

from __future__ import annotations

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
NOT_FOUND = (
    f"no Chromium on PATH ({', '.join(CANDIDATES)}): ./dev test installs Debian's chromium "
    "when run as root with apt; otherwise install it yourself"
)


def find() -> str | None:
    """The first of ``CANDIDATES`` on PATH, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


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
