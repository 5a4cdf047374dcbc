"""One run of the suite: its id, its output directory, its history, how it ended and its measured
figures."""

from __future__ import annotations

import json
import resource
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from conformance.runner.checks import Check
from conformance.runner.heartbeat import Heartbeat
from conformance.runner.relations import Comparison
from fixtures.client import Exchange
from fixtures.open_queries import OpenQueries

HISTORY = "history.jsonl"


class HistorySink(Protocol):
    """Where a run's events go: the runner writes through this, never imports the writer.

    ``reports.history.History`` is the one the suite uses (the layer above gives it to
    :meth:`Run.create`); a test may give any object with these methods.
    """

    path: Path
    count: int  # exchanges recorded so far

    def record(self, exchange: Exchange) -> int: ...
    def record_check(self, check: dict[str, Any]) -> None: ...
    def record_relation(self, comparison: dict[str, Any]) -> None: ...
    def record_event(self, event: str, data: dict[str, Any]) -> None: ...
    def secret(self, value: str, user: str | None = None) -> None: ...
    def close(self) -> None: ...


def new_run_id() -> str:
    """``20260101T120000Z-1a2b3c``: the UTC time of the start and 6 random hex digits."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def peak_memory_mib() -> float:
    """This process's peak resident set size so far, in MiB (``getrusage``; Linux: KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclass
class Run:
    """One run and what it measured. Times are seconds: ``timings`` by name, ``started`` and
    ``finished`` on the monotonic clock; ``facts`` go to ``timings.json`` as they are;
    ``operations`` and ``operation_seconds`` are the scenarios' checked requests and their time.
    """

    id: str
    dir: Path
    history: HistorySink
    timings: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    infrastructure_errors: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    relations: list[Comparison] = field(default_factory=list)  # Druid compared with itself
    fixed_deviations: list[str] = field(default_factory=list)
    not_applicable_deviations: list[str] = field(default_factory=list)  # not this release's
    reconfirmed_deviations: list[str] = field(default_factory=list)  # past last_confirmed
    unjudged: Counter[str] = field(default_factory=Counter)  # see not_judged
    operations: int = 0
    operation_seconds: float = 0.0
    test_call_seconds: float = 0.0  # the tests' call phases (no fixture set-up or teardown)
    heartbeat: Heartbeat = field(default_factory=Heartbeat)
    queries: OpenQueries = field(default_factory=OpenQueries)  # submitted, not yet ended
    setup_error: str | None = None  # what ended the run at start-up (before pytest.exit)
    interruption: str | None = None  # Ctrl-C, SIGTERM or another pytest.exit
    # what the checks came to (a headline, then one line per finding), once summarised
    closing: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)  # the session's start (configure)
    finished: float | None = None  # the session's end (sessionfinish), see finish()

    @classmethod
    def create(cls, reports_root: Path, history: Callable[[Path], HistorySink]) -> Run:
        """A new run writing into ``reports_root/<run-id>/``; ``history`` makes its sink from
        the path of its ``history.jsonl``."""
        run_id = new_run_id()
        run_dir = reports_root / run_id  # made by the first thing written into it
        return cls(run_id, run_dir, history(run_dir / HISTORY))

    @property
    def tag(self) -> str:
        """A short name-safe tag for the users, roles and datasources this run creates."""
        return self.id.rsplit("-", 1)[1]

    def time(self, name: str, seconds: float) -> None:
        """Record how long ``name`` took, in seconds (rounded to the millisecond)."""
        self.timings[name] = round(seconds, 3)

    def add_time(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to the total of ``name`` (a phase timed many times, e.g.
        ``provisioning``), rounded to the millisecond."""
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 3)

    def record_check(self, check: Check) -> None:
        """Keep a check, write its line (with its exchange's number) to the history, and count
        it for the heartbeat."""
        self.checks.append(check)
        self.history.record_check({**check.to_json(), "exchange_seq": check.exchange.seq})
        self.heartbeat.checked(check.outcome.value)

    def record_relation(self, comparison: Comparison) -> None:
        """Keep a metamorphic comparison and write its line to the history, apart from the
        checks: it compares Druid with itself, no oracle verdict is involved."""
        self.relations.append(comparison)
        self.history.record_relation(comparison.to_json())

    def not_judged(self, label: str, reason: str) -> None:
        """A question the run meant to ask but could not judge (e.g. the results of a query
        that did not succeed): counted by ``label: reason`` and written to the history."""
        self.unjudged[f"{label}: {reason}"] += 1
        self.history.record_event("not-judged", {"label": label, "reason": reason})

    def time_operations(self, count: int, seconds: float) -> None:
        """Checked operations and the wall time they took, for the throughput figure."""
        self.operations += count
        self.operation_seconds += seconds

    @property
    def did_anything(self) -> bool:
        """Whether the run recorded an exchange, a timing, an error or an interruption."""
        return bool(
            self.history.count
            or self.timings
            or self.infrastructure_errors
            or self.setup_error
            or self.interruption
        )

    def ending_errors(self) -> list[str]:
        """What ended the run before its checks were done: the start-up error, the interruption
        (the infrastructure errors of its tests are listed apart)."""
        return [e for e in (self.setup_error, self.interruption) if e]

    def finish(self) -> None:
        """The session ended: the run's wall time stops here (the first call counts)."""
        if self.finished is None:
            self.finished = time.monotonic()

    @property
    def wall_seconds(self) -> float:
        """From the session's start to its end (or to now, before it ended)."""
        end = self.finished if self.finished is not None else time.monotonic()
        return end - self.started

    def throughput(self) -> dict[str, Any]:
        """Checked operations per second, three ways: of the scenarios' own time (the requests
        judged and the oracle, without provisioning), of the tests' call phases (provisioning and
        propagation included, fixtures such as the cluster start not), and of the run's wall time
        (everything from start-up to the summary: image, cluster, seeding, every test). Also the
        seconds of provisioning writes and of propagation waits within the tests, and the
        process's peak resident memory (MiB)."""
        checks = len(self.checks)
        wall = self.wall_seconds

        def rate(count: int, seconds: float) -> float | None:
            return round(count / seconds, 3) if seconds > 0 else None

        return {
            "checked_operations": checks,
            "wall_seconds": round(wall, 3),
            "checked_operations_per_second_of_wall_time": rate(checks, wall),
            "test_call_seconds": round(self.test_call_seconds, 3),
            "checked_operations_per_second_of_test_calls": rate(checks, self.test_call_seconds),
            "scenario_checked_operations": self.operations,
            "scenario_seconds": round(self.operation_seconds, 3),
            "checked_operations_per_second_of_scenario_time": rate(
                self.operations, self.operation_seconds
            ),
            # where the tests' time went: writes to the security API, waits for propagation
            "provisioning_seconds": self.timings.get("provisioning", 0.0),
            "propagation_barrier_seconds": self.timings.get("propagation_barrier", 0.0),
            "peak_memory_mib": peak_memory_mib(),
        }

    def write_summary(self) -> Path:
        """timings.json: the timings, the throughput figures and the run's facts."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / "timings.json"
        document = {"timings": self.timings, "throughput": self.throughput(), **self.facts}
        path.write_text(json.dumps(document, indent=2, default=str))
        return path
