"""One run of the suite: its id, its output directory, its history and its measured figures."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.checks import Check
from conformance.heartbeat import Heartbeat
from reports.history import History


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass
class Run:
    id: str
    dir: Path
    history: History
    timings: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    infrastructure_errors: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    fixed_deviations: list[str] = field(default_factory=list)
    operations: int = 0
    operation_seconds: float = 0.0
    heartbeat: Heartbeat = field(default_factory=Heartbeat)

    @classmethod
    def create(cls, reports_root: Path) -> Run:
        run_id = new_run_id()
        run_dir = reports_root / run_id  # made by the first thing written into it
        return cls(run_id, run_dir, History(run_dir / "history.jsonl"))

    @property
    def tag(self) -> str:
        """A short name-safe tag for the users, roles and datasources this run creates."""
        return self.id.rsplit("-", 1)[1]

    def time(self, name: str, seconds: float) -> None:
        self.timings[name] = round(seconds, 3)

    def record_check(self, check: Check) -> None:
        self.checks.append(check)
        self.history.record_check({**check.to_json(), "exchange_seq": check.exchange.seq})
        self.heartbeat.checked(check.outcome.value)

    def time_operations(self, count: int, seconds: float) -> None:
        """Checked operations and the wall time they took, for the throughput figure."""
        self.operations += count
        self.operation_seconds += seconds

    @property
    def did_anything(self) -> bool:
        return bool(self.history.count or self.timings or self.infrastructure_errors)

    def write_summary(self) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / "timings.json"
        path.write_text(json.dumps({"timings": self.timings, **self.facts}, indent=2, default=str))
        return path
