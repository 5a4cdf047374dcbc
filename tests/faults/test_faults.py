"""Fault injection: the suite's promises when things go wrong, checked on a real Druid.

Each test injects one fault into a real run of ``pytest conformance`` (a subprocess) and asserts
what a user is promised: the exit code, how long the run took to end after the fault, nothing
left on the cluster (users, roles and datasources listed before and after), no secret in any
output (terminal, junit.xml, history, summaries, HTML, the Druid logs kept), and run files that
say how the run ended. Marked ``faults``: ``./dev test`` runs them after the unit tests
(``pytest tests -m faults``); ``pytest tests`` alone leaves them out.

One Druid at a time: a development cluster (``druid-conformance cluster up``) serves the
``--druid-url`` faults and is killed by the last of them; the suite-started faults run after it
is removed. Every wait is on an observable condition with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from fixtures.cleanup import Inventory, inventory
from fixtures.client import Credentials, DruidClient
from fixtures.cluster import RUN_LABEL
from fixtures.engine import STATE_DIR
from fixtures.provision import SecurityAdmin
from fixtures.secrets import spellings
from fixtures.seed import create_seeds
from fixtures.waiting import Condition, wait_until

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SELECTION = "test_authentication and (no_credentials or wrong_password)"
START_TIMEOUT = 900.0  # a cluster start and the seeds on a loaded 2-core machine
EXIT_TIMEOUT = 180.0  # from the fault to the end of the run


@dataclass(frozen=True)
class DevCluster:
    name: str
    url: str
    admin: Credentials

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DRUID_ADMIN_USER": self.admin.user,
            "DRUID_ADMIN_PASSWORD": self.admin.password,
        }

    def inventory(self) -> Inventory:
        coordinator = DruidClient(f"{self.url}/proxy/coordinator", self.admin)
        return inventory(SecurityAdmin(coordinator))


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "druid-conformance"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=START_TIMEOUT, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def dev_cluster() -> Iterator[DevCluster]:
    name = f"faults-{secrets.token_hex(3)}"
    started = _cli("cluster", "up", "--name", name)
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        values = dict(
            line.split("=", 1) for line in (STATE_DIR / f"{name}.env").read_text().splitlines()
        )
        yield DevCluster(
            name,
            values["DRUID_URL"],
            Credentials(values["DRUID_ADMIN_USER"], values["DRUID_ADMIN_PASSWORD"]),
        )
    finally:
        _cli("cluster", "down", "--name", name)


@dataclass
class Outcome:
    """One faulted run: its exit code, seconds from the fault to the exit, its files."""

    code: int
    seconds: float
    output: str
    run_dir: Path | None

    def files(self) -> dict[str, str]:
        found: dict[str, str] = {"terminal": self.output}
        if self.run_dir is not None:
            for path in sorted(self.run_dir.rglob("*")):
                if path.is_file():
                    found[str(path)] = path.read_text(encoding="utf-8", errors="replace")
        return found

    def summary(self) -> dict[str, object]:
        assert self.run_dir is not None, "the run left no directory"
        path = self.run_dir / "summary.json"
        assert path.is_file(), f"{self.run_dir} has no summary.json: {os.listdir(self.run_dir)}"
        data = json.loads(path.read_text())
        assert isinstance(data, dict)
        return data


def _run_dir(reports: Path) -> Path | None:
    dirs = sorted(p for p in reports.iterdir() if p.is_dir()) if reports.exists() else []
    return dirs[-1] if dirs else None


def _lines_of(reports: Path, kind: str) -> int:
    run_dir = _run_dir(reports)
    history = run_dir / "history.jsonl" if run_dir else None
    if history is None or not history.exists():
        return 0
    return history.read_text(encoding="utf-8").count(f'"type": "{kind}"')


def _as_in_a_terminal() -> None:
    """In the child: SIGINT as a terminal's Ctrl-C finds it. A shell that starts these tests in
    the background (``./dev test &``, a CI runner's ``bash -c '... &'``) leaves SIGINT ignored,
    and a Python started so never gets a KeyboardInterrupt: the SIGINT fault would go unseen."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str], reports: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    argv = [str(BIN / "pytest"), "conformance", "-p", "no:cacheprovider",
            "--reports-dir", str(reports), *args]  # fmt: skip
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_as_in_a_terminal,
    )


def _wait_for(what: str, check: Condition, process: subprocess.Popen[str]) -> None:
    def guarded() -> str | None:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the run ended ({process.returncode}) before {what}:\n{output}")
        return check.check()

    # polls at most 0.25 s apart: a fault "after the first check" lands well before the last
    wait_until(Condition(what, guarded), START_TIMEOUT, max_interval=0.25)


def _finish(
    process: subprocess.Popen[str], fault_at: float, reports: Path, timeout: float = EXIT_TIMEOUT
) -> Outcome:
    output, _ = process.communicate(timeout=timeout)
    return Outcome(process.returncode, time.monotonic() - fault_at, output, _run_dir(reports))


def _assert_no_secret(outcome: Outcome, secret_list: list[tuple[str, str]]) -> None:
    for password, user in secret_list:
        forms = spellings(password, frozenset({user}))
        for where, text in outcome.files().items():
            leaked = sorted(f for f in forms if len(f) >= 8 and f in text)
            assert not leaked, f"{where} holds a spelling of {user}'s password"


def _report(fault: str, outcome: Outcome, leftovers: object) -> None:
    row = {"fault": fault, "exit": outcome.code, "seconds_to_exit": round(outcome.seconds, 1),
           "leftovers": leftovers, "secrets_found": 0}  # fmt: skip
    print(f"FAULT {json.dumps(row)}")


def _assert_left_as_found(
    dev_cluster: DevCluster, before: Inventory, outcome: Outcome, code: int, fault: str
) -> None:
    """A --druid-url run that ended with ``code`` left the cluster as it found it, no secret."""
    after = dev_cluster.inventory()
    assert outcome.code == code, outcome.output[-3000:]
    assert after == before, f"left on the cluster: {after.difference(before)}"
    _assert_no_secret(outcome, [(dev_cluster.admin.password, dev_cluster.admin.user)])
    assert outcome.summary()["exit_status"] == code
    _report(fault, outcome, after.difference(before))


def _container_of(label_value: str | None) -> list[docker.models.containers.Container]:
    client = docker.from_env()
    try:
        label = f"{RUN_LABEL}={label_value}" if label_value else RUN_LABEL
        return list(client.containers.list(all=True, filters={"label": label}))
    finally:
        client.close()


# -- bad input: one line, the documented code, nothing started ------------------------------------
BAD_INPUT = [
    (["--hypothesis-profile", "nosuch"], {}, 15),
    (["--druid-setting", "foo=bar"], {}, 15),
    (["--druid-url", "http://127.0.0.1:9"], {"DRUID_ADMIN_PASSWORD": "x-not-used-x"}, 13),
    (["--druid-url", "http://127.0.0.1:9"], {"DRUID_ADMIN_PASSWORD": ""}, 15),
    (["--task-slots", "1"], {}, 15),
]


@pytest.mark.parametrize(("args", "env", "code"), BAD_INPUT)
def test_bad_input_is_one_line_and_its_code(
    args: list[str], env: dict[str, str], code: int, tmp_path: Path
) -> None:
    started = time.monotonic()
    process = _start(args, tmp_path, {**os.environ, **env})
    outcome = _finish(process, started, tmp_path)
    assert outcome.code == code, outcome.output
    assert "Traceback" not in outcome.output and "INTERNALERROR" not in outcome.output
    problem = [line for line in outcome.output.splitlines() if "druid-conformance" in line]
    assert len(problem) == 1, outcome.output
    _report(f"bad input {' '.join(args)}", outcome, None)


# -- faults against a cluster the user runs -------------------------------------------------------
def test_a_finished_run_leaves_the_cluster_as_it_was(
    dev_cluster: DevCluster, tmp_path: Path
) -> None:
    before = dev_cluster.inventory()
    started = time.monotonic()
    process = _start(["--druid-url", dev_cluster.url, "-k", SELECTION], tmp_path, dev_cluster.env())
    outcome = _finish(process, started, tmp_path, timeout=START_TIMEOUT)
    _assert_left_as_found(dev_cluster, before, outcome, 0, "none (a whole --druid-url run)")


def test_sigint_mid_run_cleans_up(dev_cluster: DevCluster, tmp_path: Path) -> None:
    # seeds made beforehand are part of what the cluster held: the run must leave them too
    create_seeds(DruidClient(dev_cluster.url, dev_cluster.admin))
    before = dev_cluster.inventory()
    process = _start(["--druid-url", dev_cluster.url, "-k", SELECTION], tmp_path, dev_cluster.env())
    _wait_for(
        "the run's first check",
        Condition("a check line", lambda: None if _lines_of(tmp_path, "check") else "none yet"),
        process,
    )
    fault_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    outcome = _finish(process, fault_at, tmp_path)
    _assert_left_as_found(dev_cluster, before, outcome, 2, "SIGINT mid-run (--druid-url)")


def test_a_killed_cluster_is_an_infrastructure_error_without_secrets(
    dev_cluster: DevCluster, tmp_path: Path
) -> None:
    process = _start(["--druid-url", dev_cluster.url, "-k", SELECTION], tmp_path, dev_cluster.env())
    _wait_for(
        "the run's first check",
        Condition("a check line", lambda: None if _lines_of(tmp_path, "check") else "none yet"),
        process,
    )
    for container in _container_of(dev_cluster.name):
        container.kill()
    fault_at = time.monotonic()
    outcome = _finish(process, fault_at, tmp_path)
    assert outcome.code == 16, outcome.output[-3000:]
    _assert_no_secret(outcome, [(dev_cluster.admin.password, dev_cluster.admin.user)])
    summary = outcome.summary()
    assert summary["exit_status"] == 16
    assert outcome.run_dir is not None
    _assert_names_a_failed_request(outcome)
    _report("Druid killed mid-run (--druid-url)", outcome, "n/a: the cluster is dead")


def _assert_names_a_failed_request(outcome: Outcome) -> None:
    """The error names (``history #N``) a request the history records as failed. A dying
    cluster fails a request either with no answer (status 0: refused, reset) or, while the
    Router outlives the Broker, with a 5xx: both are the request that failed."""
    assert outcome.run_dir is not None
    named = re.findall(r"\(history #(\d+)\)", outcome.output)
    assert named, "the error names no request of the history"
    history = [json.loads(line) for line in (outcome.run_dir / "history.jsonl").open()]
    exchanges = {e["seq"]: e for e in history if e.get("type") == "exchange"}
    statuses = {int(seq): exchanges.get(int(seq), {}).get("status") for seq in named}
    assert all(s == 0 or (s is not None and s >= 500) for s in statuses.values()), statuses


# -- faults with a cluster the suite starts (after the development cluster is gone) ---------------
def _suite_secrets(run_label: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for container in _container_of(run_label):
        env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
        found += [(env["DRUID_ADMIN_PASSWORD"], "admin"),
                  (env["DRUID_INTERNAL_PASSWORD"], "druid_system")]  # fmt: skip
    return found


def _started_container(reports: Path) -> Condition:
    def check() -> str | None:
        run_dir = _run_dir(reports)
        if run_dir is None:
            return "no run directory yet"
        running = [c for c in _container_of(run_dir.name) if c.status == "running"]
        return None if running and _lines_of(reports, "exchange") else "no answer from Druid yet"

    return Condition("the suite's cluster to answer", check)


@pytest.mark.parametrize("fault", ["SIGTERM", "kill"])
def test_a_suite_started_cluster_is_removed_after_a_fault(
    fault: str, dev_cluster_gone: None, tmp_path: Path
) -> None:
    process = _start(["-k", SELECTION], tmp_path, dict(os.environ))
    _wait_for("the suite's cluster to answer", _started_container(tmp_path), process)
    run_dir = _run_dir(tmp_path)
    assert run_dir is not None
    run_secrets = _suite_secrets(run_dir.name)
    fault_at = time.monotonic()
    if fault == "SIGTERM":
        process.send_signal(signal.SIGTERM)
    else:
        for container in _container_of(run_dir.name):
            container.kill()
    outcome = _finish(process, fault_at, tmp_path)
    assert outcome.code == (2 if fault == "SIGTERM" else 16), outcome.output[-3000:]
    left = [c.name for c in _container_of(run_dir.name)]
    assert not left, f"containers left: {left}"
    _assert_no_secret(outcome, run_secrets)
    assert outcome.summary()["exit_status"] == outcome.code
    _report(f"{fault} (suite-started cluster)", outcome, left)


@pytest.fixture
def dev_cluster_gone() -> None:
    """The suite-started faults need the machine's one cluster slot."""
    for container in _container_of(None):
        if container.labels.get(RUN_LABEL, "").startswith("faults-"):
            container.remove(force=True)
