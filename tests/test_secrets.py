"""No secret reaches any output, in any spelling (issue 11, item 1).

The registry is checked on its own, then a real pytest run with the suite's scrubbing plugin is
made to leak a secret every way a run could (an exception message, a Basic header in a
traceback's arguments with ``--showlocals``, captured output, a file in the run directory) and
its terminal output, ``junit.xml`` and run directory are searched for every spelling.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from fixtures.secrets import REDACTED, SecretRegistry, scrub_tree, spellings

ROOT = Path(__file__).resolve().parent.parent


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_every_spelling_of_a_secret_is_masked() -> None:
    registry = SecretRegistry()
    secret = 'Pa55 w0rd/"é:+&'
    registry.add(secret, "admin")
    text = " | ".join(
        [
            secret,
            json.dumps(secret)[1:-1],
            quote(secret, safe=""),
            _basic("admin", secret),
            "Basic " + _basic("admin", secret),
            repr(secret),
        ]
    )
    scrubbed = registry.scrub(text)
    for form in spellings(secret, frozenset({"admin"})):
        assert form not in scrubbed
    assert REDACTED in scrubbed


def test_a_short_password_is_masked_in_its_basic_header_and_as_a_whole_value() -> None:
    registry = SecretRegistry()
    registry.add("ab", "alice")
    assert registry.is_secret("ab")
    assert registry.scrub("table ab was read") == "table ab was read"  # not mangled
    header = "Authorization: Basic " + _basic("alice", "ab")
    assert registry.scrub(header) == "Authorization: Basic " + REDACTED


@given(st.text(min_size=8, max_size=30), st.text(min_size=1, max_size=10).filter(str.isprintable))
def test_scrub_leaves_no_registered_secret(secret: str, user: str) -> None:
    registry = SecretRegistry()
    registry.add(secret, user)
    text = f"x{secret}y {_basic(user, secret)} {json.dumps(secret)}"
    scrubbed = registry.scrub(text)
    assert secret not in scrubbed
    assert _basic(user, secret) not in scrubbed


def test_the_sweep_masks_files_and_says_which(tmp_path: Path) -> None:
    registry = SecretRegistry()
    registry.add("s3cret-value-123", "bob")
    (tmp_path / "logs").mkdir()
    leaked = tmp_path / "logs" / "druid.log"
    leaked.write_text("password=s3cret-value-123\n")
    clean = tmp_path / "clean.txt"
    clean.write_text("nothing here\n")
    assert scrub_tree(tmp_path, registry) == {leaked: 1}
    assert "s3cret" not in leaked.read_text()
    assert clean.read_text() == "nothing here\n"


LEAKY_CONFTEST = """
from pathlib import Path
import pytest
from conformance import scrubbing

def pytest_configure(config):
    scrubbing.install(config, Path(config.rootpath) / "run")
"""

LEAKY_TESTS = """
import base64, json, sys
from pathlib import Path
from fixtures.client import Credentials, DruidClient
from fixtures.secrets import SECRETS

SECRET = "Leak-Me-Pa55:word"
SECRETS.add(SECRET, "admin")

def test_message():
    header = base64.b64encode(f"admin:{SECRET}".encode()).decode()
    raise AssertionError(f"clear {SECRET} header {header} json {json.dumps(SECRET)}")

def test_captured_output():
    print("stdout", SECRET)
    print("stderr", SECRET, file=sys.stderr)
    assert False

def test_refused_connection_with_locals():
    headers = {"Authorization": "Basic " + base64.b64encode(f"admin:{SECRET}".encode()).decode()}
    DruidClient("http://127.0.0.1:9", Credentials("admin", SECRET)).request("GET", "/status")

def test_a_file_in_the_run_directory():
    run = Path(__file__).parent / "run"
    run.mkdir(exist_ok=True)
    (run / "leak.txt").write_text(SECRET)
"""


def test_a_leaking_run_leaks_nothing(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(LEAKY_CONFTEST))
    (tmp_path / "test_leaky.py").write_text(textwrap.dedent(LEAKY_TESTS))
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--showlocals", "-rA",
         "--tb=long", f"--junitxml={junit}", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    secret = "Leak-Me-Pa55:word"
    forms = spellings(secret, frozenset({"admin"}))
    outputs = {
        "stdout": done.stdout,
        "stderr": done.stderr,
        "junit.xml": junit.read_text(),
        **{str(p): p.read_text() for p in (tmp_path / "run").rglob("*") if p.is_file()},
    }
    for where, text in outputs.items():
        leaked = [form for form in forms if form in text]
        assert not leaked, f"{where} holds a spelling of the secret: {leaked}"
    assert "3 failed, 1 passed" in done.stdout
    assert "masked 1 secret(s) in" in done.stdout  # the sweep says what it contained
