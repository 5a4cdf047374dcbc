"""The kill matrix of mutation testing (``druid-conformance mutate``), read from the runs it made.

Each mutant gets one run of the suite with ``-x`` against a cluster where that mutant is active;
the run's exit status says what happened to the mutant: 1 (a check disagreed, or a test failed)
**killed**, 0 (every check agreed with a broken Druid) **survived**, anything else (an
infrastructure error, an interruption) **error**, neither. For a killed mutant, the run's
``junit.xml`` names the first failing test, and its ``summary.json`` the most severe new finding
with its smallest example, whose check ``history.jsonl`` holds (statement, grants, statuses);
these make the matrix: mutant x the test and minimal example that caught it, and the survivors.
Read from the files, like every later use of a run, so a matrix can be rebuilt from them alone.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fixtures.errors import BadInputError
from reports import records
from reports.reproduce import replay_command
from reports.summary import exit_meaning

KILLED, SURVIVED, ERROR = "killed", "survived", "error"
# what ``druid-conformance mutate``'s own exit statuses mean (Matrix.exit_status)
EXIT_MEANINGS = {
    0: "every mutant was killed",
    1: "a mutant survived",
    16: "a mutant's run ended in an error: it is neither killed nor survived",
}
SCHEMA = 1
JSON_FILE = "mutation.json"
TEXT_FILE = "mutation.txt"
JUNIT = "junit.xml"


@dataclass(frozen=True)
class Failure:
    """The first failing test of a run, as ``junit.xml`` lists it: ``test`` is
    ``module::name`` (``test_properties::test_cell[status x SELECT_DATASOURCE x forbidden]``),
    ``kind`` ``failure`` or ``error``, ``message`` the first line of what pytest said."""

    test: str
    kind: str
    message: str


@dataclass(frozen=True)
class Example:
    """The smallest example of a run's most severe new finding: the check's case id, cell,
    operation, statement, the actor's grants (``READ DATASOURCE wiki``), Druid's status and
    the documented one, the deciding rule, the direction, and the command that replays it."""

    case_id: str
    cell: str
    operation: str
    sql: str
    permissions: tuple[str, ...]
    observed_status: int | None
    documented_status: int | None
    rule: str
    direction: str
    reproduce: str

    def describe(self) -> str:
        """``status answered 200 where 403 is documented (over-permissive, rule r): SELECT ...
        holding READ DATASOURCE wiki [cell; case id]``."""
        holding = ", ".join(self.permissions) or "nothing"
        return (
            f"{self.operation} answered {self.observed_status} where {self.documented_status} "
            f"is documented ({self.direction}, rule {self.rule}): {self.sql} holding {holding} "
            f"[{self.cell}; case {self.case_id}]"
        )


@dataclass(frozen=True)
class RunOutcome:
    """What one run of the suite came to: its directory (None when it left none), exit status
    and meaning, the number of checks it judged, its first failing test and the example of its
    most severe new finding (None when it has none)."""

    run_dir: Path | None
    exit_status: int
    meaning: str
    checks: int = 0
    failure: Failure | None = None
    example: Example | None = None
    errors: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """``killed`` (exit 1), ``survived`` (exit 0) or ``error`` (anything else)."""
        return {1: KILLED, 0: SURVIVED}.get(self.exit_status, ERROR)


@dataclass(frozen=True)
class MutantResult:
    """One row of the matrix: the mutant's ``name``, ``kind`` and the ``bug`` it models, how
    long its run took (``seconds``) and what that run came to."""

    name: str
    kind: str
    bug: str
    seconds: float
    outcome: RunOutcome

    @property
    def status(self) -> str:
        """``killed``, ``survived`` or ``error``: what its run came to."""
        return self.outcome.status


@dataclass(frozen=True)
class Matrix:
    """A whole mutation run: the Druid it ran on, the pytest arguments and settings of every
    run, the baseline (no mutant) and one result per mutant."""

    druid_version: str
    image: str
    pytest_args: tuple[str, ...]
    settings: Mapping[str, Any]
    baseline: MutantResult
    results: tuple[MutantResult, ...] = field(default=())

    def with_result(self, result: MutantResult) -> Matrix:
        """This matrix with one more mutant's result."""
        return Matrix(
            self.druid_version,
            self.image,
            self.pytest_args,
            self.settings,
            self.baseline,
            (*self.results, result),
        )

    def named(self, status: str) -> list[MutantResult]:
        """The results of that status (killed, survived, error), in the order run."""
        return [r for r in self.results if r.status == status]

    @property
    def exit_status(self) -> int:
        """1 when a mutant survived (also when another ended in error), else 16 when one ended
        in error, else 0: every mutant was killed."""
        if self.named(SURVIVED):
            return 1
        return 16 if self.named(ERROR) else 0


# ----------------------------------------------------------------------------- reading a run


def run_directory(reports_root: Path) -> Path | None:
    """The run a pytest process made under ``reports_root`` (its ``--reports-dir``): the newest
    subdirectory (run ids sort by time), None when there is none."""
    if not reports_root.is_dir():
        return None
    made = sorted(p for p in reports_root.iterdir() if p.is_dir())
    return made[-1] if made else None


def first_failure(junit: Path) -> Failure | None:
    """The first ``testcase`` of a junit.xml with a ``failure`` or ``error``, None when there is
    none or no such file; BadInputError when it is not XML."""
    if not junit.is_file():
        return None
    try:
        root = ElementTree.parse(junit).getroot()
    except ElementTree.ParseError as error:
        raise BadInputError(f"{junit}: not XML ({error})") from None
    for case in root.iter("testcase"):
        for kind in ("failure", "error"):
            found = case.find(kind)
            if found is None:
                continue
            module = case.get("classname", "").removeprefix("conformance.")
            text = found.get("message") or (found.text or "")
            lines = [line for line in text.strip().splitlines() if line.strip()]
            return Failure(
                f"{module}::{case.get('name', '?')}", kind, (lines[0] if lines else "")[:300]
            )
    return None


def _grant(permission: Mapping[str, Any]) -> str:
    return f"{permission.get('action')} {permission.get('type')} {permission.get('name')}"


def _example(run: records.RecordedRun, finding: Mapping[str, Any]) -> Example:
    case_id = str(finding.get("example"))
    try:
        check = run.find(case_id)
    except BadInputError:
        check = {}
    case = check.get("case", {})
    verdict = check.get("verdict", {})
    cells = finding.get("cells") or ["?"]
    documented = verdict.get("status")
    observed = check.get("observed_status", finding.get("observed_status"))
    return Example(
        case_id=case_id,
        cell=str(check.get("cell") or cells[0]),
        operation=str(case.get("operation", "?")),
        sql=str(case.get("sql", "?")),
        permissions=tuple(_grant(p) for p in case.get("permissions", [])),
        observed_status=int(observed) if observed is not None else None,
        documented_status=int(documented) if documented is not None else None,
        rule=str(finding.get("rule", "?")),
        direction=str(finding.get("direction", "?")),
        reproduce=replay_command(run.dir, case_id),
    )


def read_run(reports_root: Path, exit_status: int) -> RunOutcome:
    """What the run pytest made under ``reports_root`` came to; ``exit_status`` is pytest's.

    The example is the smallest of the most severe new finding of ``summary.json`` (``findings``
    are ranked), its details read from ``history.jsonl``. A run that left no directory (pytest
    stopped before its first report) is read from ``exit_status`` alone.
    """
    run_dir = run_directory(reports_root)
    if run_dir is None:
        return RunOutcome(None, exit_status, exit_meaning(exit_status))
    run = records.load(run_dir, require_history=False) if _readable(run_dir) else None
    summary = run.summary if run is not None else {}
    findings = [f for f in summary.get("findings", []) if f.get("outcome") == "new-deviation"]
    example = _example(run, findings[0]) if run is not None and findings else None
    end = records.RunEnd.of(summary) if summary else None
    return RunOutcome(
        run_dir=run_dir,
        exit_status=exit_status,
        meaning=exit_meaning(exit_status),
        checks=int(summary.get("checks", {}).get("total", 0)),
        failure=first_failure(run_dir / JUNIT),
        example=example,
        errors=end.errors if end is not None else (),
    )


def _readable(run_dir: Path) -> bool:
    return (run_dir / records.HISTORY).is_file() or (run_dir / records.SUMMARY).is_file()


# ----------------------------------------------------------------------------- writing


def _result_json(result: MutantResult) -> dict[str, Any]:
    outcome = result.outcome
    return {
        "name": result.name,
        "kind": result.kind,
        "bug": result.bug,
        "status": result.status,
        "seconds": round(result.seconds, 1),
        "exit_status": outcome.exit_status,
        "exit_meaning": outcome.meaning,
        "run_dir": str(outcome.run_dir) if outcome.run_dir is not None else None,
        "checks": outcome.checks,
        "caught_by": asdict(outcome.failure) if outcome.failure is not None else None,
        "example": asdict(outcome.example) if outcome.example is not None else None,
        "errors": list(outcome.errors),
    }


def to_json(matrix: Matrix) -> dict[str, Any]:
    """The matrix as ``mutation.json`` holds it."""
    return {
        "schema": SCHEMA,
        "druid_version": matrix.druid_version,
        "image": matrix.image,
        "pytest_args": list(matrix.pytest_args),
        "settings": dict(matrix.settings),
        "baseline": _result_json(matrix.baseline),
        "mutants": [_result_json(r) for r in matrix.results],
        "counts": {s: len(matrix.named(s)) for s in (KILLED, SURVIVED, ERROR)},
        "survivors": [r.name for r in matrix.named(SURVIVED)],
        "exit_status": matrix.exit_status,
        "exit_meaning": EXIT_MEANINGS[matrix.exit_status],
    }


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def text_lines(matrix: Matrix) -> list[str]:
    """The matrix for a terminal and ``mutation.txt``: one block per mutant (result, time, the
    test that caught it, its example and replay command), then the counts and the survivors."""
    args = " ".join(matrix.pytest_args) or "(the whole suite)"
    settings = ", ".join(f"{k}={v}" for k, v in matrix.settings.items()) or "Druid's defaults"
    baseline = matrix.baseline
    lines = [
        f"mutation testing of Druid {matrix.druid_version} ({matrix.image}); pytest -x {args}; "
        f"settings: {settings}",
        f"baseline (no mutant): {baseline.outcome.meaning}, {baseline.outcome.checks} checks, "
        f"{baseline.seconds:.0f} s",
        "",
    ]
    width = max([len(r.name) for r in matrix.results] + [6])
    lines.append(f"{'mutant':<{width}}  {'result':<8}  {'time':>6}  caught by")
    for result in matrix.results:
        outcome = result.outcome
        head = f"{result.name:<{width}}  {result.status.upper():<8}  {result.seconds:>5.0f}s  "
        indent = " " * len(head)
        if result.status == KILLED:
            caught = outcome.failure.test if outcome.failure is not None else "(no failing test)"
            lines.append(head + caught)
            if outcome.example is not None:
                lines.append(indent + _cut(outcome.example.describe(), 400))
                lines.append(indent + outcome.example.reproduce)
            elif outcome.failure is not None:
                lines.append(indent + _cut(outcome.failure.message, 300))
        elif result.status == SURVIVED:
            lines.append(head + f"- (all {outcome.checks} checks agreed)")
        else:
            why = outcome.errors[0] if outcome.errors else outcome.meaning
            lines.append(head + _cut(f"exit {outcome.exit_status}: {why}", 300))
        if outcome.run_dir is not None:
            lines.append(indent + f"run: {outcome.run_dir}")
    killed, survived, errors = (matrix.named(s) for s in (KILLED, SURVIVED, ERROR))
    lines += [
        "",
        f"{len(matrix.results)} mutants: {len(killed)} killed, {len(survived)} survived, "
        f"{len(errors)} error",
    ]
    for result in survived:
        lines.append(f"survivor: {result.name}: {result.bug}")
    for result in errors:
        lines.append(f"not judged (error): {result.name}")
    lines.append(
        "a replay command asks the cluster again: it shows the finding only while that mutant "
        "is active"
    )
    return lines


def write(directory: Path, matrix: Matrix) -> tuple[Path, Path]:
    """``mutation.json`` and ``mutation.txt`` in ``directory`` (made if absent)."""
    directory.mkdir(parents=True, exist_ok=True)
    as_json = directory / JSON_FILE
    as_json.write_text(json.dumps(to_json(matrix), indent=2) + "\n", encoding="utf-8")
    as_text = directory / TEXT_FILE
    as_text.write_text("\n".join(text_lines(matrix)) + "\n", encoding="utf-8")
    return as_json, as_text


def summary_line(results: Sequence[MutantResult]) -> str:
    """``3 killed, 1 survived, 0 error`` so far."""
    counts = {s: sum(1 for r in results if r.status == s) for s in (KILLED, SURVIVED, ERROR)}
    return ", ".join(f"{n} {s}" for s, n in counts.items())
