"""Bad input ends a run with one line naming the problem and a distinct exit code, never a
traceback (README, "Exit codes").

Each case runs ``pytest conformance ...`` or ``druid-conformance ...`` as a subprocess, in an
environment that reaches no Docker engine and cannot install one (DOCKER_HOST names a missing
socket, PATH holds no apt-get, HOME is a temporary directory): a bad value that got past its
check ends with exit 10, never with a cluster. The cases run in parallel, once per module.
``--assert=plain`` only spares pytest from rewriting the suite's modules at every start.

A user who is authenticated but not an admin is checked against a tiny HTTP server standing in
for Druid, both through ``connect_external_cluster`` and through a whole ``pytest conformance``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conformance.cli.target import admin_from_environment
from conformance.exit_codes import ExitCode, exit_code
from conformance.oracle.profiles import ProfileError, parse_settings
from fixtures import engine, options
from fixtures.client import Credentials
from fixtures.cluster import connect_external_cluster
from fixtures.errors import BadCredentialsError, BadInputError, NoDockerError, UnreachableError

ROOT = Path(__file__).resolve().parents[1]
PYTEST = [sys.executable, "-m", "pytest", "conformance", "-p", "no:cacheprovider"]
PYTEST += ["--assert=plain"]
CLI = [sys.executable, "-m", "conformance.cli"]
BAD = int(ExitCode.BAD_INPUT)
PASSWORD = {"DRUID_ADMIN_PASSWORD": "secret"}
USERS_PATH = "/druid-ext/basic-security/authentication/db/basic/users"

# ---------------------------------------------------------------------------- a stand-in Druid


class _Druid(ThreadingHTTPServer):
    routes: Mapping[str, tuple[int, Any]]
    seen: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Druid

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        status, body = self.server.routes.get(self.path, (404, {"error": "not found"}))
        payload = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type", "text/html" if isinstance(body, str) else "application/json"
        )
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_druid(routes: Mapping[str, tuple[int, Any]]) -> Iterator[_Druid]:
    """An HTTP server on 127.0.0.1 answering GET ``path`` with ``routes[path]`` (404 else)."""
    server = _Druid(("127.0.0.1", 0), _Handler)
    server.routes, server.seen = routes, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def url_of(server: _Druid) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


STATUS_OK = (200, {"version": "27.0.0"})
NOT_ADMIN = {"/status": STATUS_OK, f"/proxy/coordinator{USERS_PATH}": (403, {"error": "nope"})}

# ---------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    code: int
    words: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    one_line: bool = True  # False: failed inside the session, pytest's frame around the line


def _pytest(*args: str) -> list[str]:
    return [*PYTEST, "--reports-dir", "{tmp}/reports", *args]


CASES = [
    # pytest conformance: options
    Case(
        "hypothesis-profile unknown",
        _pytest("--hypothesis-profile", "nosuch"),
        BAD,
        ("--hypothesis-profile 'nosuch'", "ci, nightly, certification"),
    ),
    Case(
        "druid-setting unknown key",
        _pytest("--druid-setting", "foo=bar"),
        BAD,
        ("--druid-setting", "unknown setting 'foo'", "authorizeQueryContextParams"),
    ),
    Case(
        "druid-setting not JSON",
        _pytest("--druid-setting", "authorizeQueryContextParams=yes"),
        BAD,
        ("'yes' is not JSON", "true or false"),
    ),
    Case(
        "startup-timeout negative",
        _pytest("--druid-startup-timeout", "-5"),
        BAD,
        ("--druid-startup-timeout", "above 0", "'-5'"),
    ),
    Case(
        "startup-timeout not a number",
        _pytest("--druid-startup-timeout", "abc"),
        BAD,
        ("--druid-startup-timeout", "'abc'"),
    ),
    Case("task-slots one", _pytest("--task-slots", "1"), BAD, ("--task-slots", "at least 2")),
    Case(
        "oracle-profile unknown",
        _pytest("--oracle-profile", "nosuch"),
        BAD,
        ("--oracle-profile 'nosuch'", "druid-27"),
    ),
    Case(
        "druid-version malformed",
        _pytest("--druid-version", "abc"),
        BAD,
        ("--druid-version", "not a Druid release number"),
    ),
    Case(
        "druid-image malformed",
        _pytest("--druid-image", "Bad Image!"),
        BAD,
        ("--druid-image 'Bad Image!'", "not an image reference"),
    ),
    Case(
        "druid-distribution absent",
        _pytest("--druid-distribution", "{tmp}/apache-druid-31.0.0-bin.tar.gz"),
        BAD,
        ("--druid-distribution", "apache-druid-31.0.0-bin.tar.gz: no such file or directory"),
    ),
    Case(
        "druid-distribution not a distribution",
        _pytest("--druid-distribution", "{tmp}"),
        BAD,
        ("--druid-distribution", "no lib/ directory", "mvn -Pdist"),
    ),
    Case(
        "druid-distribution with druid-image",
        _pytest("--druid-distribution", "{tmp}", "--druid-image", "apache/druid:30.0.0"),
        BAD,
        ("--druid-image and --druid-distribution", "give one"),
    ),
    Case(
        "druid-url with druid-distribution",
        _pytest("--druid-url", "http://router:8888", "--druid-distribution", "{tmp}"),
        BAD,
        ("--druid-url", "no --druid-image, --druid-version or --druid-distribution"),
        PASSWORD,
    ),
    Case(
        "druid-url not http",
        _pytest("--druid-url", "ftp://x"),
        BAD,
        ("--druid-url", "http(s)", "ftp://x"),
        PASSWORD,
    ),
    Case(
        "druid-url with druid-image",
        _pytest("--druid-url", "http://router:8888", "--druid-image", "apache/druid:30.0.0"),
        BAD,
        ("--druid-url", "no --druid-image"),
        PASSWORD,
    ),
    Case(
        "druid-url without password",
        _pytest("--druid-url", "http://router:8888"),
        BAD,
        ("DRUID_ADMIN_PASSWORD",),
    ),
    Case(
        "DRUID_ADMIN_USER empty",
        _pytest("--druid-url", "http://router:8888"),
        BAD,
        ("DRUID_ADMIN_USER is empty",),
        {**PASSWORD, "DRUID_ADMIN_USER": ""},
    ),
    Case(
        "druid-coordinator-url alone",
        _pytest("--druid-coordinator-url", "http://coordinator:8081"),
        BAD,
        ("--druid-coordinator-url goes with --druid-url",),
    ),
    Case(
        "reports-dir under a file",
        [*PYTEST, "--reports-dir", "{tmp}/a-file/reports"],
        BAD,
        ("--reports-dir", "cannot create it"),
    ),
    # pytest conformance: environment
    Case(
        "DRUID_CONFORMANCE_CACHE a file",
        _pytest(),
        BAD,
        ("DRUID_CONFORMANCE_CACHE", "not a directory"),
        {"DRUID_CONFORMANCE_CACHE": "{tmp}/a-file"},
    ),
    Case(
        "DOCKER_HOST malformed",
        _pytest(),
        BAD,
        ("DOCKER_HOST='nonsense'", "not a Docker address"),
        {"DOCKER_HOST": "nonsense"},
    ),
    # pytest conformance: failures inside the session (pytest frames the one line)
    Case(
        "druid-url unreachable",
        _pytest("--druid-url", "http://127.0.0.1:{closed_port}"),
        int(ExitCode.UNREACHABLE),
        ("cannot reach Druid", "connection refused"),
        PASSWORD,
        one_line=False,
    ),
    Case(
        "druid-url user not an admin",
        _pytest("--druid-url", "{not_admin_url}"),
        int(ExitCode.BAD_CREDENTIALS),
        ("user 'admin'", "lacks admin permissions"),
        PASSWORD,
        one_line=False,
    ),
    # druid-conformance
    Case(
        "image build druid-version",
        [*CLI, "image", "build", "--druid-version", "abc"],
        BAD,
        ("--druid-version", "not a Druid release number"),
    ),
    Case(
        "image build of a missing distribution",
        [*CLI, "image", "build", "--druid-distribution", "{tmp}/reports-file"],
        BAD,
        ("--druid-distribution", "reports-file: no such file or directory"),
    ),
    Case(
        "cluster up task-slots",
        [*CLI, "cluster", "up", "--task-slots", "abc"],
        BAD,
        ("--task-slots", "'abc'"),
    ),
    Case(
        "cluster up name",
        [*CLI, "cluster", "up", "--name", "a/b"],
        BAD,
        ("--name 'a/b'",),
    ),
    Case(
        "cluster up druid-setting",
        [*CLI, "cluster", "up", "--druid-setting", "foo=bar"],
        BAD,
        ("unknown setting 'foo'",),
    ),
    Case(
        "cluster up DRUID_CONFORMANCE_CACHE",
        [*CLI, "cluster", "up"],
        BAD,
        ("DRUID_CONFORMANCE_CACHE", "not a directory"),
        {"DRUID_CONFORMANCE_CACHE": "{tmp}/a-file"},
    ),
    Case("cleanup run-id empty", [*CLI, "cleanup", "--run-id", ""], BAD, ("--run-id ''",)),
    Case(
        "explain setting",
        [*CLI, "explain", "--sql", "SELECT 1", "--setting", "foo=bar"],
        BAD,
        ("--setting", "unknown setting 'foo'"),
    ),
    Case(
        "replay druid-url",
        [*CLI, "replay", "{tmp}", "--druid-url", "ftp://x"],
        BAD,
        ("--druid-url", "http(s)"),
    ),
    Case(
        "benchmark scenarios",
        [*CLI, "benchmark", "--scenarios", "0"],
        BAD,
        ("--scenarios", "at least 1"),
    ),
    Case(
        "certify druid-setting",
        [*CLI, "certify", "--product", "{tmp}/product.yaml", "--druid-setting", "foo=bar"],
        BAD,
        ("unknown setting 'foo'",),
    ),
    Case(
        "certify reports-dir",
        [*CLI, "certify", "--product", "{tmp}/product.yaml", "--reports-dir", "{tmp}/a-file"],
        BAD,
        ("--reports-dir", "not a directory"),
    ),
    Case(
        "certify output",
        [*CLI, "certify", "--product", "{tmp}/product.yaml", "--output", "{tmp}"],
        BAD,
        ("--output", "is a directory"),
    ),
]


def _environment(extra: Mapping[str, str], tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRUID_", "DOCKER_"))}
    env.update(
        HOME=str(tmp / "home"),
        PATH=str(tmp / "bin"),  # empty: no apt-get, so no engine is installed
        DOCKER_HOST="unix:///nonexistent/docker.sock",  # no engine answers
    )
    env.update(extra)
    return env


Outcome = tuple[int, str, tuple[str, ...]]  # exit code, stdout and stderr, the words expected


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Every case run once, in parallel."""
    tmp = tmp_path_factory.mktemp("bad-input")
    (tmp / "bin").mkdir()
    (tmp / "a-file").write_text("not a directory\n")
    (tmp / "product.yaml").write_text('vendor: "V"\nproduct: "P"\n')
    with fake_druid(NOT_ADMIN) as not_admin:
        values = {"tmp": tmp, "closed_port": closed_port(), "not_admin_url": url_of(not_admin)}

        def run(case: Case) -> tuple[str, Outcome]:
            done = subprocess.run(
                [arg.format(**values) for arg in case.argv],
                cwd=ROOT,
                env=_environment({k: v.format(**values) for k, v in case.env.items()}, tmp),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            words = tuple(word.format(**values) for word in case.words)
            return case.id, (done.returncode, done.stdout + done.stderr, words)

        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            yield dict(pool.map(run, CASES))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_line_and_its_exit_code(case: Case, outcomes: dict[str, Outcome]) -> None:
    code, output, words = outcomes[case.id]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    assert code == case.code, output
    lines = [line for line in output.splitlines() if line.strip()]
    if case.one_line:
        assert len(lines) == 1, output
    naming = [line for line in lines if all(word in line for word in words)]
    assert naming, f"no line names {words}:\n{output}"


# ---------------------------------------------------------------------------- direct checks
# The same checks in this process, for the values the table above does not run as a subprocess.


@pytest.mark.parametrize(
    ("check", "value", "words"),
    [
        (options.seconds, "0", "above 0"),
        (options.seconds, "-5", "above 0"),
        (options.seconds, "nan", "above 0"),
        (options.seconds, "inf", "above 0"),
        (options.task_slots, "x", "at least 2"),
        (options.task_slots, "2.5", "at least 2"),
        (options.http_url, "", "is empty"),
        (options.http_url, "http://", "no host"),
        (options.http_url, "http://router:port", "not a URL"),
        (options.http_url, "http://[::1", "not a URL"),
        (options.http_url, "http://a b:8888", "no host"),
        (options.http_url, "router:8888", "http(s)"),
        (options.druid_version, "", "is empty"),
        (options.druid_version, "23.0.0", "older than any release"),
        (options.druid_version, "27.0", "not a Druid release number"),
        (options.docker_image, "", "is empty"),
        (options.docker_image, "Apache/Druid", "not an image reference"),
        (options.docker_image, "apache/druid:", "not an image reference"),
        (options.name, "", "letters, digits"),
        (options.name, "../x", "letters, digits"),
        (options.name, "-x", "letters, digits"),
        (options.name, "x" * 65, "letters, digits"),
    ],
)
def test_a_bad_value_names_its_option(check: Any, value: str, words: str) -> None:
    with pytest.raises(BadInputError) as raised:
        check("--the-option", value)
    assert "--the-option" in str(raised.value) and words in str(raised.value)
    assert exit_code(raised.value) == ExitCode.BAD_INPUT


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (options.seconds, "0.5"),
        (options.task_slots, "2"),
        (options.http_url, "https://router.example:8888/base"),
        (options.http_url, "http://[::1]:8888"),
        (options.druid_version, "27.0.0"),
        (options.name, "dev-cluster"),
        (options.name, "20261129T151954Z-e1a08d"),
    ],
)
def test_good_values_pass(check: Any, value: str) -> None:
    check("--the-option", value)


@pytest.mark.parametrize(
    "image",
    [
        "apache/druid:30.0.0",
        "druid-conformance/druid:27.0.0",
        "druid",
        "localhost:5000/team/druid:27.0.0-rc1",
        "registry.example.com/a_b/c__d/e-f:latest",
        "apache/druid@sha256:" + "0" * 64,
    ],
)
def test_image_references_docker_accepts_are_accepted(image: str) -> None:
    assert options.docker_image("--druid-image", image) == image


def test_paths_that_cannot_be_written(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    cases: list[tuple[Any, str | Path, str]] = [
        (options.writable_dir, a_file, "not a directory"),
        (options.writable_dir, a_file / "below", "cannot create it"),
        (options.writable_dir, "", "is empty"),
        (options.writable_file, tmp_path, "is a directory"),
        (options.writable_file, a_file / "bundle.tar.gz", "not a directory"),
    ]
    for check, value, words in cases:
        with pytest.raises(BadInputError, match=words):
            check("--the-option", value)
    assert options.writable_dir("--the-option", tmp_path / "new" / "dir").is_dir()


@pytest.mark.parametrize(
    ("user", "words"), [("", "DRUID_ADMIN_USER is empty"), ("a:b", "contains ':'")]
)
def test_an_admin_user_http_basic_cannot_send_is_refused(
    monkeypatch: pytest.MonkeyPatch, user: str, words: str
) -> None:
    monkeypatch.setenv("DRUID_ADMIN_PASSWORD", "secret")
    monkeypatch.setenv("DRUID_ADMIN_USER", user)
    with pytest.raises(BadInputError, match=words):
        admin_from_environment()


def test_the_cache_directory_is_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DRUID_CONFORMANCE_CACHE", "")
    with pytest.raises(BadInputError, match="DRUID_CONFORMANCE_CACHE is empty"):
        engine.check_state_dir()
    monkeypatch.setenv("DRUID_CONFORMANCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(engine, "STATE_DIR", tmp_path / "cache")
    assert engine.check_state_dir().is_dir()


@pytest.mark.parametrize("host", ["nonsense", "tcp://", "tcp://host:port"])
def test_a_docker_host_docker_cannot_parse_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("DOCKER_HOST", host)
    with pytest.raises(BadInputError, match="not a Docker address"):
        engine.ensure_engine()


def test_a_docker_host_that_does_not_answer_is_no_docker_and_sets_none_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{closed_port()}")

    def set_up() -> bool:
        raise AssertionError("a dockerd started here would not answer at DOCKER_HOST")

    monkeypatch.setattr(engine, "_can_administer", set_up)
    with pytest.raises(NoDockerError, match="no Docker engine answers at DOCKER_HOST"):
        engine.ensure_engine()


def test_a_setting_key_is_checked_before_its_value() -> None:
    with pytest.raises(ProfileError, match="unknown setting 'foo'"):
        parse_settings(["foo=bar"])
    assert parse_settings(["druid.auth.authorizeQueryContextParams=true"]) == {
        "druid.auth.authorizeQueryContextParams": True
    }


ADMIN = Credentials("admin", "secret")


def test_a_user_refused_status_is_authenticated_but_not_an_admin() -> None:
    with (
        fake_druid({"/status": (403, {"error": "Unauthorized"})}) as druid,
        pytest.raises(BadCredentialsError, match="lacks admin permissions") as raised,
    ):
        connect_external_cluster(url_of(druid), None, ADMIN)
    assert exit_code(raised.value) == ExitCode.BAD_CREDENTIALS
    assert "user 'admin'" in str(raised.value)


def test_a_user_refused_the_security_api_is_not_an_admin_in_two_requests() -> None:
    with (
        fake_druid(NOT_ADMIN) as druid,
        pytest.raises(BadCredentialsError, match="lacks admin permissions") as raised,
    ):
        connect_external_cluster(url_of(druid), None, ADMIN)
    assert exit_code(raised.value) == ExitCode.BAD_CREDENTIALS
    assert druid.seen == ["/status", f"/proxy/coordinator{USERS_PATH}"]


def test_rejected_credentials_are_still_rejected() -> None:
    with (
        fake_druid({"/status": (401, {"error": "Unauthorized"})}) as druid,
        pytest.raises(BadCredentialsError, match="rejected the admin credentials"),
    ):
        connect_external_cluster(url_of(druid), None, ADMIN)


def test_an_admin_is_accepted_and_the_coordinator_url_is_where_the_api_is_asked() -> None:
    routes = {"/status": STATUS_OK, f"/coordinator{USERS_PATH}": (200, ["admin"])}
    with fake_druid(routes) as druid:
        cluster = connect_external_cluster(url_of(druid), f"{url_of(druid)}/coordinator/", ADMIN)
    assert cluster.druid_version == "27.0.0"
    assert druid.seen == ["/status", f"/coordinator{USERS_PATH}"]


@pytest.mark.parametrize(
    ("routes", "words"),
    [
        ({"/status": (200, "<html>a web server</html>")}, "is this a Druid Router?"),
        ({"/status": (404, {})}, "is this a Druid Router?"),
        ({"/status": STATUS_OK}, "druid-basic-security"),  # the security API answers 404
    ],
    ids=["not Druid", "no status", "no security API"],
)
def test_a_url_that_answers_but_is_not_a_secured_druid_is_unreachable(
    routes: Mapping[str, tuple[int, Any]], words: str
) -> None:
    with (
        fake_druid(routes) as druid,
        pytest.raises(UnreachableError, match=words.replace("?", r"\?")) as raised,
    ):
        connect_external_cluster(url_of(druid), None, ADMIN)
    assert exit_code(raised.value) == ExitCode.UNREACHABLE


def test_a_refused_connection_is_unreachable() -> None:
    with pytest.raises(UnreachableError, match="connection refused"):
        connect_external_cluster(f"http://127.0.0.1:{closed_port()}", None, ADMIN)
