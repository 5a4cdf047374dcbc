"""Progress lines reach a log that is not a terminal while the test they report on still runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

CONFTEST = """
from conformance.conftest import _route_progress_to_terminal

def pytest_sessionstart(session):
    _route_progress_to_terminal(session.config)
"""

TEST = """
import time
from pathlib import Path
from fixtures.progress import say

def test_long(tmp_path_factory):
    say("PROGRESS-LINE")
    answered = Path(__file__).with_name("seen")
    deadline = time.monotonic() + 20
    while not answered.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answered.exists(), "the reader never saw the progress line while the test ran"
"""


def test_a_progress_line_is_written_before_the_test_ends(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_long.py").write_text(TEST)
    root = Path(__file__).resolve().parents[1]
    # a pipe, as under tox or a CI runner: no terminal, so Python buffers the output
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    output = b""
    deadline = time.monotonic() + 20
    while b"PROGRESS-LINE" not in output and time.monotonic() < deadline:
        output += process.stdout.read() or b""
        time.sleep(0.05)
    seen = b"PROGRESS-LINE" in output
    if seen:
        (tmp_path / "seen").write_text("")
    process.wait(timeout=60)
    output += process.stdout.read() or b""
    assert seen, output.decode(errors="replace")
    assert process.returncode == 0, output.decode(errors="replace")
