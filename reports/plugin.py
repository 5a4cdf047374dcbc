"""The pytest plugin that writes a run's reports: junit.xml, summary.json and report.html.

``conftest.py`` registers it with one call (:func:`install`), so report writing stays out of the
suite's fixtures. It also ends every failed check's text with how to reproduce it (the replay
command and curl), from the new deviations recorded while that test ran.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conformance import cluster_settings
from conformance.run import Run
from reports import html, records, scrubbing, summary
from reports.reproduce import reproduction
from strategies.steering import feasible_cells

JUNIT = "junit.xml"
REPORT = "report.html"
PLUGIN_NAME = "druid-conformance-reports"


def install(config: pytest.Config, run: Run) -> None:
    """Route junit.xml into the run's directory (unless --junitxml was given) and register."""
    if getattr(config.option, "xmlpath", None) is None:
        config.option.xmlpath = str(run.dir / JUNIT)
    config.pluginmanager.register(RunReports(run), PLUGIN_NAME)
    scrubbing.install(config, run.dir)  # no secret in any of them (fixtures/secrets.py)


class RunReports:
    def __init__(self, run: Run) -> None:
        self.run = run
        self._first_check: dict[str, int] = {}
        self._session: pytest.Session | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session  # its exitstatus is final only after every sessionfinish

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._first_check[nodeid] = len(self.run.checks)
        self.run.heartbeat.start(nodeid)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.when == "call" and report.failed:
            hint = self.reproduction_hint(item.nodeid)
            if hint:
                report.sections.append(("druid-conformance: reproduce", hint))
        return report

    def reproduction_hint(self, nodeid: str) -> str:
        """Replay and curl for the last new deviation this test recorded (Hypothesis replays
        the minimal failing example last)."""
        recorded = self.run.checks[self._first_check.get(nodeid, 0) :]
        new = [c for c in recorded if c.outcome.value == "new-deviation"]
        if not new:
            return ""
        last = new[-1]
        line = {**last.to_json(), "exchange_seq": last.exchange.seq}
        return reproduction(self.run.dir, line, last.exchange.to_json())

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(
        self, terminalreporter: Any, exitstatus: int, config: pytest.Config
    ) -> None:
        if not self.run.did_anything:
            return
        self.run.history.close()
        status = int(self._session.exitstatus if self._session is not None else exitstatus)
        try:
            paths = write_reports(self.run, terminalreporter.stats, status, config)
        except Exception as error:  # a broken report must not hide the verdicts above it
            terminalreporter.write_line(
                f"druid-conformance: writing the reports failed: {type(error).__name__}: {error}",
                red=True,
            )
            if self._session is not None:
                self._session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
            return
        for path in paths:
            terminalreporter.write_line(f"report: {path}")


def _test_counts(stats: dict[str, list[Any]]) -> dict[str, int]:
    return {outcome: len(stats.get(outcome, [])) for outcome in summary.TEST_OUTCOMES}


def feasible_cell_names(config: pytest.Config) -> list[str]:
    """The task-API cells this run can hit: its ``--druid-setting``s decide which exist."""
    return [str(cell) for cell in feasible_cells(settings=cluster_settings.of(config))]


def write_reports(
    run: Run, stats: dict[str, list[Any]], exit_status: int, config: pytest.Config
) -> list[Path]:
    """summary.json from the run, then report.html from what the run directory holds."""
    run.dir.mkdir(parents=True, exist_ok=True)
    recorded = records.load(run.dir) if run.history.path.exists() else None
    checks = recorded.checks if recorded is not None else []
    feasible = feasible_cell_names(config)
    document = summary.build(
        run.id,
        run.facts,
        run.timings,
        checks,
        _test_counts(stats),
        exit_status,
        run.infrastructure_errors,
        run.fixed_deviations,
        selection=list(config.invocation_params.args),
        feasible=feasible,
    )
    paths = [summary.write(run.dir / records.SUMMARY, document)]
    if recorded is not None:
        paths.append(html.write(run.dir / REPORT, recorded, feasible))
    junit = Path(str(getattr(config.option, "xmlpath", "") or ""))
    if junit.name and junit.exists():
        paths.insert(0, junit)
    return paths
