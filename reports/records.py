"""Reading a run back from ``reports/<run-id>/``: its exchanges, its checks, its summary.

Every later use of a run (the HTML report, ``analyze``, ``replay``, certification bundles) reads
the same files the run wrote, so what they show is what was recorded, not what is in memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import deviations
from conformance.checks import Check
from conformance.errors import BadInputError
from conformance.oracle import Case, CaseError, decide
from fixtures.client import Exchange

HISTORY = "history.jsonl"
SUMMARY = "summary.json"
TIMINGS = "timings.json"


@dataclass(frozen=True)
class RecordedRun:
    """One run as its directory holds it."""

    dir: Path
    exchanges: dict[int, dict[str, Any]]  # seq -> exchange line
    checks: list[dict[str, Any]]  # check lines, in the order judged
    summary: dict[str, Any] = field(default_factory=dict)  # summary.json, or timings.json

    @property
    def id(self) -> str:
        return self.dir.name

    def exchange_of(self, check: Mapping[str, Any]) -> dict[str, Any] | None:
        seq = check.get("exchange_seq")
        return self.exchanges.get(seq) if isinstance(seq, int) else None

    def find(self, case_id: str) -> dict[str, Any]:
        for check in self.checks:
            if check.get("case", {}).get("id") == case_id:
                return check
        raise BadInputError(f"{self.dir}: no check with case id {case_id!r}")


def load(run_dir: Path) -> RecordedRun:
    """Read a run directory; a clear BadInputError for anything that is not one."""
    history = run_dir / HISTORY
    if not history.is_file():
        raise BadInputError(f"{run_dir}: not a run directory (no {HISTORY})")
    exchanges, checks = parse_history(history.read_text(encoding="utf-8"), str(history))
    return RecordedRun(run_dir, exchanges, checks, _summary(run_dir))


def parse_history(text: str, where: str) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """(exchanges by seq, check lines in order) of a history.jsonl's text."""
    exchanges: dict[int, dict[str, Any]] = {}
    checks: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadInputError(f"{where}:{number}: not JSON ({error})") from None
        if not isinstance(entry, dict):
            raise BadInputError(f"{where}:{number}: not a JSON object")
        if entry.get("type") == "exchange":
            exchanges[int(entry["seq"])] = entry
        elif entry.get("type") == "check":
            checks.append(entry)
    return exchanges, checks


def _summary(run_dir: Path) -> dict[str, Any]:
    for name in (SUMMARY, TIMINGS):
        path = run_dir / name
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
    return {}


def recorded_exchange(run: RecordedRun, check: Mapping[str, Any]) -> Exchange:
    """The exchange a check judged; from its observed status alone if the line is missing."""
    line = run.exchange_of(check) or {}
    return Exchange(
        method=str(line.get("method", "?")),
        path=str(line.get("path", "?")),
        user=line.get("user"),
        request_body=line.get("request_body"),
        status=int(line.get("status", check["observed_status"])),
        body=line.get("body"),
        seconds=float(line.get("seconds", 0.0)),
        started_at=float(line.get("started_at", 0.0)),
        seq=check.get("exchange_seq"),
    )


def rejudge(run: RecordedRun, check: Mapping[str, Any]) -> Check:
    """The recorded check judged again by the current oracle and deviation registry."""
    try:
        case = Case.from_json(check["case"])
        verdict = decide(case)
    except (CaseError, KeyError) as error:
        raise BadInputError(f"{run.dir}: check {check.get('cell')}: {error}") from None
    judged = Check(
        str(check["label"]), case, verdict, recorded_exchange(run, check), check["druid_version"]
    )
    deviation = deviations.explain(judged)
    if deviation is None:
        return judged
    return Check(judged.label, case, verdict, judged.exchange, judged.druid_version, deviation)
