"""Reading a run back from ``reports/<run-id>/``: its exchanges, its checks, its summary and
how it ended.

Every later use of a run (the HTML report, ``analyze``, ``replay``, certification bundles) reads
the same files the run wrote, so what they show is what was recorded, not what is in memory.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from conformance.oracle import Case, CaseError, decide
from conformance.runner import deviations
from conformance.runner.checks import Check
from fixtures.client import Exchange
from fixtures.errors import BadInputError
from reports.summary import exit_meaning

HISTORY = "history.jsonl"
SUMMARY = "summary.json"
TIMINGS = "timings.json"
COMPLETE_STATUSES = (0, 1)  # every selected check ran: they agreed, or one failed


@dataclass(frozen=True)
class RunEnd:
    """How a run ended, as its summary.json says: its exit status (None without summary.json),
    what that status means and the errors that ended it."""

    status: int | None
    meaning: str
    errors: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """The run judged every check it set out to (exit 0 or 1); otherwise its checks are
        only those made before it ended."""
        return self.status in COMPLETE_STATUSES

    def describe(self) -> str:
        """One line: 'the run ended with exit 16 (infrastructure error): ...'."""
        if self.status is None:
            return f"the run left no {SUMMARY} ({self.meaning})"
        text = f"the run ended with exit {self.status} ({self.meaning})"
        if self.errors:
            more = len(self.errors) - 1
            if self.status == 1:  # a finding outranks an error, which is still said
                text += ", and an error also happened"
            text += f": {self.errors[0]}" + (f" (and {more} more error(s))" if more else "")
        return text

    @classmethod
    def of(cls, summary: Mapping[str, Any]) -> RunEnd:
        status = summary.get("exit_status")
        if not isinstance(status, int):
            return cls(None, "it did not end normally: killed, or its reports were not written")
        meaning = summary.get("exit_meaning") or exit_meaning(status)
        # summary.json before "errors" was written listed only the infrastructure errors
        errors = summary.get("errors", summary.get("infrastructure_errors")) or []
        return cls(status, str(meaning), tuple(str(e) for e in errors))


@dataclass(frozen=True)
class RecordedRun:
    """One run as its directory holds it."""

    dir: Path
    exchanges: dict[int, dict[str, Any]]  # seq -> exchange line
    checks: list[dict[str, Any]]  # check lines, in the order judged
    summary: dict[str, Any] = field(default_factory=dict)  # summary.json, or timings.json
    # event lines ({"type": "event", "event": <name>, ...}, e.g. the property events), in order
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.dir.name

    @property
    def end(self) -> RunEnd:
        """How the run ended (from summary.json; unknown when only timings.json is there)."""
        return RunEnd.of(self.summary)

    def exchange_of(self, check: Mapping[str, Any]) -> dict[str, Any] | None:
        seq = check.get("exchange_seq")
        return self.exchanges.get(seq) if isinstance(seq, int) else None

    def find(self, case_id: str) -> dict[str, Any]:
        for check in self.checks:
            if check.get("case", {}).get("id") == case_id:
                return check
        raise BadInputError(f"{self.dir}: no check with case id {case_id!r}")


def load(run_dir: Path, require_history: bool = True) -> RecordedRun:
    """Read a run directory; a clear BadInputError for anything that is not one. Without
    ``require_history``, a run that ended before its first exchange (its summary.json says how)
    is read as one with no exchange and no check."""
    history = run_dir / HISTORY
    if history.is_file():
        lines = parse_history_lines(history.read_text(encoding="utf-8"), str(history))
    elif not require_history and (run_dir / SUMMARY).is_file():
        lines = HistoryLines({}, [], [])
    else:
        wanted = HISTORY if require_history else f"{HISTORY} or {SUMMARY}"
        raise BadInputError(f"{run_dir}: not a run directory (no {wanted})")
    return RecordedRun(run_dir, lines.exchanges, lines.checks, _summary(run_dir), lines.events)


class HistoryLines(NamedTuple):
    """A history.jsonl's lines by type (relation lines are not kept)."""

    exchanges: dict[int, dict[str, Any]]  # seq -> exchange line
    checks: list[dict[str, Any]]  # check lines, in order
    events: list[dict[str, Any]]  # event lines, in order


def parse_history(text: str, where: str) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """(exchanges by seq, check lines in order) of a history.jsonl's text, as
    ``parse_history_lines``."""
    lines = parse_history_lines(text, where)
    return lines.exchanges, lines.checks


def parse_history_lines(text: str, where: str) -> HistoryLines:
    """The exchange, check and event lines of a history.jsonl's text; ``where`` names it in
    errors. Raises BadInputError for a line that is not a JSON object, or an exchange line
    without an integer ``seq``."""
    exchanges: dict[int, dict[str, Any]] = {}
    checks: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
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
            try:
                exchanges[int(entry["seq"])] = entry
            except (KeyError, TypeError, ValueError):
                raise BadInputError(f"{where}:{number}: an exchange without its seq") from None
        elif entry.get("type") == "check":
            checks.append(entry)
        elif entry.get("type") == "event":
            events.append(entry)
    return HistoryLines(exchanges, checks, events)


def _summary(run_dir: Path) -> dict[str, Any]:
    for name in (SUMMARY, TIMINGS):
        path = run_dir / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise BadInputError(f"{path}: not JSON ({error})") from None
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
        str(check["label"]),
        case,
        verdict,
        recorded_exchange(run, check),
        check["druid_version"],
        login=tuple(str(trait) for trait in check.get("login", ())),
        traits=tuple(str(trait) for trait in check.get("traits", ())),
    )
    deviation = deviations.explain(judged)
    if deviation is None:
        return judged
    return dataclasses.replace(judged, deviation_id=deviation)
