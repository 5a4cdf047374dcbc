"""The pytest plugin that writes a run's reports: junit.xml, summary.json and report.html.

``conftest.py`` registers it with one call (:func:`install`), so report writing stays out of the
suite's fixtures. It also ends every failed check's text with how to reproduce it (the replay
command and curl), from the new deviations recorded while that test ran.

The reports are written when the session finishes, however it ends: pytest calls the terminal
summary only for some exit statuses (not for a ``pytest.exit`` at start-up with the suite's own
codes, 10-16), and a run that ended there must still say how in its directory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conformance import cluster_settings, scrubbing
from conformance.oracle import get_profile
from conformance.runner.findings import group
from conformance.runner.run import Run
from fixtures.secrets import SECRETS
from reports import html, metrics, records, summary
from reports.reproduce import reproduction
from strategies.steering import feasible_cells, feasible_statement_cells

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
        self._written: list[Path] = []
        self._end: records.RunEnd | None = None
        self._failure: str | None = None  # writing the reports failed
        self._summarized = False  # pytest called the terminal summary

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.run.test_call_seconds += report.duration

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Ctrl-C, SIGTERM (conftest turns it into KeyboardInterrupt) or a pytest.exit."""
        error = excinfo.value
        if isinstance(error, pytest.exit.Exception):
            if self.run.setup_error is None:  # _fail_setup recorded its own
                self.run.interruption = f"pytest.exit: {error.msg}"
        else:  # SIGTERM comes as KeyboardInterrupt("signal 15")
            self.run.interruption = f"{type(error).__name__} ({error or 'Ctrl-C or SIGINT'})"

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
        if report.when == "call":  # junitxml writes the teardown report's, copied from the item
            item.user_properties += self.finding_properties(item.nodeid)
        return report

    def finding_properties(self, nodeid: str) -> list[tuple[str, str]]:
        """junit.xml ``<property>``s of the test's findings (``findings.group``): the highest
        severity first as ``severity``, then one ``finding`` per group, most severe first."""
        recorded = self.run.checks[self._first_check.get(nodeid, 0) :]
        found = group(c.to_json() for c in recorded)
        if not found:
            return []
        return [("severity", found[0].severity.value)] + [
            ("finding", finding.headline()) for finding in found
        ]

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
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """After every other sessionfinish (conftest's sets exit 16, junitxml writes junit.xml):
        the exit status is final, and the run's directory gets its summary and report."""
        self.run.finish()
        if not (self.run.dir.exists() or self.run.did_anything):
            return  # e.g. --junitxml elsewhere and nothing done: no run directory to explain
        self.run.history.close()
        status = int(session.exitstatus)
        errors = masked([*self.run.ending_errors(), *self.run.infrastructure_errors])
        self._end = records.RunEnd(status, summary.exit_meaning(status), tuple(errors))
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        stats = terminal.stats if terminal is not None else {}
        try:
            self._written = write_reports(self.run, stats, status, session.config)
        except Exception as error:  # a broken report must not hide the verdicts
            self._failure = (
                f"druid-conformance: writing the reports failed: {type(error).__name__}: {error}"
            )
            if status in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
                session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        self._summarized = True
        self._tell(terminalreporter)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Exit statuses without a terminal summary (start-up ends): say it here."""
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if not self._summarized and terminal is not None:
            self._tell(terminal)

    def _tell(self, terminal: Any) -> None:
        if self._failure is not None:
            terminal.write_line(self._failure, red=True)
            return
        if not self._written or self._end is None:
            return
        if self.run.closing:
            terminal.write_line(f"druid-conformance: {self.run.closing[0]}")
        for line in self.run.closing[1:]:
            terminal.write_line(f"  {line}", red=line.startswith("CRITICAL"))
        if self._end.status != 0:
            terminal.write_line(f"druid-conformance: {self._end.describe()}", red=True)
        for path in self._written:
            terminal.write_line(f"report: {path}")


def masked(errors: list[str]) -> list[str]:
    """Error messages with the run's secrets masked (they are written and printed)."""
    return [SECRETS.scrub(error) for error in errors]


def _test_counts(stats: dict[str, list[Any]]) -> dict[str, int]:
    return {outcome: len(stats.get(outcome, [])) for outcome in summary.TEST_OUTCOMES}


def feasible_cell_names(config: pytest.Config) -> list[str]:
    """The task-API cells this run can hit: its ``--druid-setting``s decide which exist."""
    return [str(cell) for cell in feasible_cells(settings=cluster_settings.of(config))]


def feasible_statement_cell_names(config: pytest.Config, run: Run) -> list[str]:
    """The statements API's cells this run can hit: its profile's operations (none before
    Druid 27) and its settings decide which exist."""
    profile = run.facts.get("oracle_profile")
    if not profile:
        return []
    operations = get_profile(str(profile)).operations
    return list(feasible_statement_cells(operations, cluster_settings.of(config)))


def write_reports(
    run: Run, stats: dict[str, list[Any]], exit_status: int, config: pytest.Config
) -> list[Path]:
    """summary.json from the run, report.html from what the run directory holds and the summary,
    timings.json; also for a run that ended before its first exchange."""
    run.dir.mkdir(parents=True, exist_ok=True)
    if run.history.path.exists():
        recorded = records.load(run.dir)
    else:
        recorded = records.RecordedRun(run.dir, {}, [])
    feasible = feasible_cell_names(config)
    document = summary.build(
        run.id,
        run.facts,
        run.timings,
        recorded.checks,
        _test_counts(stats),
        exit_status,
        masked(run.infrastructure_errors),
        run.fixed_deviations,
        selection=list(config.invocation_params.args),
        feasible=feasible,
        errors=masked(run.ending_errors()),
        throughput=run.throughput(),
        feasible_statements=feasible_statement_cell_names(config, run),
        not_judged=run.unjudged,
        not_applicable=run.not_applicable_deviations,
        reconfirmed=run.reconfirmed_deviations,
        relations=[comparison.to_json() for comparison in run.relations],
        events=recorded.events,
    )
    run.closing = [
        summary.headline(document),
        *summary.finding_lines(recorded.checks),
        *summary.property_lines(document),
    ]
    paths = [summary.write(run.dir / records.SUMMARY, document)]
    paths.append(metrics.write(run.dir / metrics.FILE, document))  # OpenMetrics text
    recorded = dataclasses.replace(recorded, summary=document)
    paths.append(html.write(run.dir / REPORT, recorded, feasible))
    run.write_summary()  # timings.json, also when conftest's terminal summary does not run
    junit = Path(str(getattr(config.option, "xmlpath", "") or ""))
    if junit.name and junit.exists():
        paths.insert(0, junit)
    return paths
