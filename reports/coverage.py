"""The coverage table: which (operation x query kind) met which verdict, and how often.

Written to ``reports/<run-id>/coverage.txt`` and summed up in one line at the end of a run, with
the feasible cells that were never hit named, so a run that missed a cell says which.
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


def summary(counts: Counter[tuple[str, str]], feasible: Sequence[str]) -> dict[str, Any]:
    """For summary.json: the feasible cells, how many were hit, which were not."""
    missing = missing_cells(counts, feasible)
    return {"feasible": list(feasible), "hit": len(feasible) - len(missing), "missing": missing}


def write(path: Path, checks: Sequence[Check], feasible: Sequence[str]) -> str:
    """Write the table; return the one-line summary."""
    counts = tally(checks)
    missing = missing_cells(counts, feasible)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = table(counts)
    if missing:
        text += "\nfeasible cells never hit:\n" + "".join(f"  {cell}\n" for cell in missing)
    path.write_text(text, encoding="utf-8")
    hit = len(feasible) - len(missing)
    line = f"coverage: {hit} of {len(feasible)} task-API cells hit ({path})"
    if missing:
        line += f"; missing: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
    return line
