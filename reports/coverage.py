"""The coverage table: which (operation x query kind) met which verdict, and how often.

Written to ``reports/<run-id>/coverage.txt`` (and ``statements-coverage.txt`` for the statements
API) and summed up in one line at the end of a run, with the feasible cells that were never hit
named, and those hit only by checks that did not agree, so a run that missed a cell, or reached
it only through disagreements, says which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.runner.checks import Check

VERDICT_COLUMNS = ("allowed", "forbidden", "unauthenticated", "not_found", "invalid")


def tally(checks: Iterable[Check]) -> Counter[tuple[str, str]]:
    """(label, verdict) -> number of checks, where a label is 'operation x kind'."""
    return Counter((c.label, c.verdict.verdict.value) for c in checks)


def tally_records(checks: Iterable[Mapping[str, Any]]) -> Counter[tuple[str, str]]:
    """The same from recorded check lines (``history.jsonl``), as reports and ``verify`` read."""
    return Counter((str(c["label"]), str(c["verdict"]["verdict"])) for c in checks)


def table(counts: Counter[tuple[str, str]]) -> str:
    labels = sorted({label for label, _ in counts})
    width = max([len(label) for label in labels] + [len("operation x kind")])
    lines = ["operation x kind".ljust(width) + "".join(f"{v:>17}" for v in VERDICT_COLUMNS)]
    for label in labels:
        row = "".join(f"{counts.get((label, v), 0) or '.':>17}" for v in VERDICT_COLUMNS)
        lines.append(label.ljust(width) + row)
    return "\n".join(lines) + "\n"


def missing_cells(counts: Counter[tuple[str, str]], feasible: Sequence[str]) -> list[str]:
    """Feasible cells ('submit x SELECT_JOIN x forbidden') that no check hit."""
    hit = {f"{label} x {verdict}" for label, verdict in counts}
    return [cell for cell in feasible if cell not in hit]


def summary(checks: Sequence[Mapping[str, Any]], feasible: Sequence[str]) -> dict[str, Any]:
    """For summary.json, from check lines: the feasible cells; how many were asked (``hit``:
    a check hit them) and which were not (``missing``); how many were ``agreed`` (a check hit
    them and Druid answered as documented) and which were asked only by checks that did not
    agree (``asked_not_agreed``: known or new deviations, or undecided)."""
    missing = missing_cells(tally_records(checks), feasible)
    agreed = {str(c["cell"]) for c in checks if c["outcome"] == "agrees"}
    asked_only = [cell for cell in feasible if cell not in missing and cell not in agreed]
    return {
        "feasible": list(feasible),
        "hit": len(feasible) - len(missing),
        "agreed": len(feasible) - len(missing) - len(asked_only),
        "missing": missing,
        "asked_not_agreed": asked_only,
    }


def write(
    path: Path, checks: Sequence[Check], feasible: Sequence[str], api: str = "task-API"
) -> str:
    """Write the table; return the one-line summary: cells asked, and of those agreed."""
    counts = tally(checks)
    found = summary([c.to_json() for c in checks], feasible)
    missing, asked_only = found["missing"], found["asked_not_agreed"]
    path.parent.mkdir(parents=True, exist_ok=True)
    text = table(counts)
    if missing:
        text += "\nfeasible cells never hit:\n" + "".join(f"  {cell}\n" for cell in missing)
    if asked_only:
        text += "\ncells hit only by checks that did not agree:\n"
        text += "".join(f"  {cell}\n" for cell in asked_only)
    path.write_text(text, encoding="utf-8")
    line = (
        f"coverage: {found['hit']} of {len(feasible)} {api} cells asked, {found['agreed']} "
        f"agreed ({path})"
    )
    if missing:
        line += f"; missing: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
    if asked_only:
        more = " ..." if len(asked_only) > 5 else ""
        line += f"; asked, never agreed: {', '.join(asked_only[:5])}{more}"
    return line
