"""A run's files say how it ended, and the tools that read them say so too (no Druid).

The sessions below are real pytest sessions in a subprocess, with the suite's own hooks and its
report plugin: one that meets an infrastructure error (exit 16), one that ends at start-up
(exit 12, through ``_fail_setup``), one interrupted before any exchange (exit 2), and the real
``conformance/`` suite pointed at a closed port (exit 13).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import analyze, certify, main
from conformance.conftest import throughput_lines
from conformance.runner.run import Run
from reports import html, records, summary
from reports.history import History
from tests.recorded_runs import make_run

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = """
from pathlib import Path
from typing import Any

import pytest

from conformance.conftest import (
    RUN_KEY,
    pytest_report_teststatus,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
from conformance.runner.run import Run
from conformance import plugin
from reports.history import History


def pytest_configure(config):
    run = Run.create(Path(__file__).parent / "reports", History)
    config.stash[RUN_KEY] = run
    plugin.install(config, run)


@pytest.fixture(scope="session")
def run(pytestconfig):
    return pytestconfig.stash[RUN_KEY]
"""

INFRASTRUCTURE = """
from fixtures.errors import InfrastructureError
from tests.recorded_runs import ROWS, _check


def test_agrees(run):
    run.checks.append(_check(ROWS[0], 1, run.history))


def test_druid_fails(run):
    raise InfrastructureError("POST /druid/v2/sql/task answered 503: no broker")
"""

BOTH = """
from conformance.runner.checks import assert_conforms
from fixtures.errors import InfrastructureError
from tests.recorded_runs import Row, _check

VALID = Row("submit x SELECT_DATASOURCE", "submit", 'SELECT page FROM "wikipedia"',
            (("DATASOURCE", "wikipedia", "READ"),), 500)


def test_a_live_druid_answers_500(run):
    check = _check(VALID, 1, run.history)
    run.checks.append(check)
    assert_conforms([check])


def test_the_connection_is_refused(run):
    raise InfrastructureError("GET /druid/indexer/v1/task/t/status as u: connection refused")
"""

STARTUP = """
import pytest

from conformance.conftest import _fail_setup
from fixtures.errors import ClusterStartError


@pytest.fixture(scope="session")
def cluster(run):
    _fail_setup(ClusterStartError("sys.servers never listed a historical within 1 s"), run)


def test_needs_a_cluster(cluster):
    pass
"""

INTERRUPTED = """
def test_interrupted(run):
    run.time("image_build_reused", 0.5)
    raise KeyboardInterrupt("signal 15")
"""


def session(tmp_path: Path, test: str, *args: str) -> tuple[int, str, Path]:
    """Run ``test`` with the suite's hooks; (exit status, output, the run's directory)."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_it.py").write_text(test)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    runs = sorted((tmp_path / "reports").iterdir())
    assert len(runs) == 1, done.stdout + done.stderr
    return done.returncode, done.stdout + done.stderr, runs[0]


def summary_of(run_dir: Path) -> dict[str, Any]:
    data = json.loads((run_dir / records.SUMMARY).read_text())
    assert isinstance(data, dict)
    return data


def test_an_infrastructure_error_is_in_every_file_and_analyze_says_so(tmp_path: Path) -> None:
    code, output, run_dir = session(tmp_path, INFRASTRUCTURE)
    assert code == 16, output
    data = summary_of(run_dir)
    assert data["exit_status"] == 16
    assert data["exit_meaning"] == "infrastructure error"
    (error,) = data["errors"]
    assert "answered 503: no broker" in error
    assert data["checks"] == {
        "total": 1,
        "agrees": 1,
        "known-deviation": 0,
        "new-deviation": 0,
        "undecided": 0,
    }
    page = (run_dir / "report.html").read_text()
    banner = page.split('<div id="run-end"', 1)[1].split("</div>", 1)[0]
    assert 'class="end failed" data-exit-status="16"' in banner
    assert "exit 16 (infrastructure error)" in banner and "answered 503: no broker" in banner
    assert "Its checks are incomplete" in banner
    assert page.index('id="run-end"') < page.index('id="matrix"')  # it opens the page
    assert "druid-conformance: the run ended with exit 16 (infrastructure error)" in output

    status, lines = analyze.analyze(run_dir)
    assert status == 16
    name = run_dir.name
    assert lines[-2] == f"{name}: 1 of 1 checks judged as recorded (verdicts reproduced exactly)"
    assert lines[-1].startswith(f"{name}: the run ended with exit 16 (infrastructure error): ")
    assert "answered 503: no broker" in lines[-1]
    assert lines[-1].endswith("; its checks are incomplete")


def test_a_500_to_a_valid_request_is_a_finding_and_outranks_an_error(tmp_path: Path) -> None:
    """A 5xx from a live Druid is judged: a finding (server error, major); a refused
    connection stays an infrastructure ERROR; with both, the run exits 1 and says both."""
    junit = tmp_path / "junit.xml"
    code, output, run_dir = session(tmp_path, BOTH, f"--junitxml={junit}")
    assert code == 1, output
    xml = junit.read_text()
    assert '<property name="severity" value="major"' in xml
    assert '<property name="finding" value="MAJOR server-error, new: rule ' in xml
    data = summary_of(run_dir)
    assert data["checks"]["new-deviation"] == 1
    (finding,) = data["findings"]
    assert (finding["direction"], finding["severity"], finding["observed_status"]) == (
        "server-error",
        "major",
        500,
    )
    (error,) = data["errors"]
    assert "connection refused" in error
    assert "ERROR (infrastructure)" in output
    assert "NEW-DEVIATION [major, server-error]" in output
    assert "exit 1 (a check failed), and an error also happened: " in output


def test_a_run_that_ends_at_start_up_leaves_its_summary_and_report(tmp_path: Path) -> None:
    code, output, run_dir = session(tmp_path, STARTUP)
    assert code == 12, output
    assert {p.name for p in run_dir.iterdir()} == {
        "junit.xml",
        "summary.json",
        "metrics.txt",
        "report.html",
        "timings.json",
    }
    data = summary_of(run_dir)
    assert data["exit_status"] == 12
    assert data["exit_meaning"] == "cluster did not become ready"
    assert data["errors"] == ["sys.servers never listed a historical within 1 s"]
    assert data["checks"] == {
        "total": 0,
        "agrees": 0,
        "known-deviation": 0,
        "new-deviation": 0,
        "undecided": 0,
    }
    page = (run_dir / "report.html").read_text()
    assert 'data-exit-status="12"' in page and "sys.servers never listed a historical" in page
    # pytest prints no terminal summary for exit 12: the plugin says it all the same
    assert "the run ended with exit 12 (cluster did not become ready)" in output
    assert f"report: {run_dir / 'summary.json'}" in output

    status, lines = analyze.analyze(run_dir)
    assert status == 16
    assert lines == [
        f"{run_dir.name}: 0 of 0 checks judged as recorded (verdicts reproduced exactly)",
        f"{run_dir.name}: the run ended with exit 12 (cluster did not become ready): sys.servers "
        "never listed a historical within 1 s; its checks are incomplete",
    ]


def test_an_interrupted_run_names_no_history_it_did_not_write(tmp_path: Path) -> None:
    code, output, run_dir = session(tmp_path, INTERRUPTED)
    assert code == 2, output
    assert not (run_dir / records.HISTORY).exists()
    assert "history: none: no exchange with Druid was recorded" in output
    assert records.HISTORY not in output
    data = summary_of(run_dir)
    assert data["exit_status"] == 2 and data["exit_meaning"] == "interrupted"
    assert data["errors"] == ["KeyboardInterrupt (signal 15)"]
    assert 'data-exit-status="2"' in (run_dir / "report.html").read_text()
    assert main(["analyze", str(run_dir)]) == 16


def closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def test_the_suite_against_an_unreachable_url_writes_why(tmp_path: Path) -> None:
    """The real conformance/ suite: no cluster is started, the URL refuses the connection."""
    url = f"http://127.0.0.1:{closed_port()}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "conformance/test_basics.py",
            "--druid-url",
            url,
            "--reports-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "DRUID_ADMIN_USER": "admin", "DRUID_ADMIN_PASSWORD": "not-used-123"},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 13, output
    (run_dir,) = tmp_path.iterdir()
    data = summary_of(run_dir)
    assert data["exit_status"] == 13 and data["exit_meaning"] == "Druid unreachable"
    (error,) = data["errors"]
    assert f"cannot reach Druid at {url}" in error
    assert 'data-exit-status="13"' in (run_dir / "report.html").read_text()


def ended(run_dir: Path, status: int | None, errors: list[str]) -> Path:
    """The recorded run, as if it had ended with ``status`` (None: no summary.json)."""
    path = run_dir / records.SUMMARY
    if status is None:
        path.unlink()
        return run_dir
    data = summary_of(run_dir)
    data.update(exit_status=status, errors=errors)
    data.pop("exit_meaning")
    path.write_text(json.dumps(data))
    return run_dir


def test_analyze_of_a_run_without_summary_says_so(tmp_path: Path) -> None:
    run_dir = ended(make_run(tmp_path), None, [])
    status, lines = analyze.analyze(run_dir)
    assert status == 16
    assert lines[-1].startswith(f"{run_dir.name}: the run left no summary.json (")
    assert lines[-1].endswith("; its checks are incomplete")


@pytest.mark.parametrize("status", [0, 1])
def test_a_run_that_ended_with_0_or_1_is_complete(tmp_path: Path, status: int) -> None:
    run_dir = ended(make_run(tmp_path), status, [])
    assert records.load(run_dir).end.complete
    assert analyze.analyze(run_dir)[0] == 0
    page = html.render(records.load(run_dir), [])
    assert f'class="end {"ok" if status == 0 else "failed"}" data-exit-status="{status}"' in page
    assert "incomplete" not in page


def test_an_older_summary_reads_its_meaning_and_infrastructure_errors(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    data = summary_of(run_dir)
    for key in ("exit_meaning", "errors", "throughput"):
        data.pop(key)
    data.update(exit_status=16, infrastructure_errors=["test_x: refused"])
    (run_dir / records.SUMMARY).write_text(json.dumps(data))
    end = records.load(run_dir).end
    assert end == records.RunEnd(16, "infrastructure error", ("test_x: refused",))
    assert end.describe() == "the run ended with exit 16 (infrastructure error): test_x: refused"


def test_throughput_names_what_each_figure_divides_by(tmp_path: Path) -> None:
    run = Run.create(tmp_path, History)
    run.started -= 155.0
    run.finish()
    run.checks.extend([None] * 28)  # type: ignore[list-item]  # only counted
    run.time_operations(28, 4.1)
    run.test_call_seconds = 100.0
    run.add_time("provisioning", 20.0)
    run.add_time("provisioning", 10.0)  # a phase's times add up
    run.add_time("propagation_barrier", 20.0)
    figures = run.throughput()
    assert figures["checked_operations"] == 28
    assert 155.0 <= figures["wall_seconds"] < 156.0
    assert figures["checked_operations_per_second_of_wall_time"] == pytest.approx(0.18, abs=0.01)
    assert figures["checked_operations_per_second_of_test_calls"] == 0.28
    assert figures["checked_operations_per_second_of_scenario_time"] == pytest.approx(6.829, 1e-3)
    lines = throughput_lines(figures)
    assert "28 checked operations in 155.0 s of wall time" in lines[0]
    assert "= 0.18/s" in lines[0] and "100.0 s of test calls = 0.28/s" in lines[0]
    assert "28 of them in 4.1 s of scenario time" in lines[1] and lines[1].endswith("= 6.83/s")
    assert lines[2].startswith(
        "time in test calls: provisioning 30.0 s (30%), propagation barrier 20.0 s (20%), "
        "scenarios 4.1 s (4%); peak memory "
    )
    assert figures["peak_memory_mib"] > 10  # this very process: a Python with pytest loaded
    assert throughput_lines(Run.create(tmp_path, History).throughput()) == []  # no check, no figure


def test_certify_of_a_run_that_ended_at_start_up_says_how_and_writes_no_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    product_file = tmp_path / "product.yaml"
    product_file.write_text("vendor: V\nproduct: P\n")

    def fake_pytest(command: list[str], grace: float = 0.0) -> int:
        run_dir = reports / "20260101T000000Z-abc123"
        document = summary.build(
            run_dir.name, {}, {}, [], {}, 13, errors=["cannot reach Druid at http://x: refused"]
        )
        summary.write(run_dir / records.SUMMARY, document)
        (run_dir / "junit.xml").write_text("<testsuites/>")
        return 13

    monkeypatch.setattr(certify, "run_pytest", fake_pytest)
    out = tmp_path / "bundle.tar.gz"
    arguments = ["--reports-dir", str(reports), "-o", str(out), "--druid-url", "http://x:1"]
    assert main(["certify", "--product", str(product_file), *arguments]) == 13
    assert (
        "certify: no bundle: the run ended with exit 13 (Druid unreachable): cannot reach Druid "
        "at http://x: refused"
    ) in capsys.readouterr().out
    assert not out.exists()
