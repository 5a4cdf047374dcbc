"""``druid-conformance analyze RUN_DIR``: judge a recorded run again, without Druid.

Every check line of the history holds the whole case and Druid's answer, so the current oracle
and deviation registry can judge it again. With both unchanged the verdicts are reproduced
exactly (exit 0); after an edit to the rule tables or the registry it lists what changed
(exit 1), which is how a rule or registry change is reviewed before it is committed.

A run that did not end with 0 or 1 (interrupted, ended at start-up, an infrastructure error) or
left no summary.json judged only some of its checks: analyze still judges those again, then says
in one line how the run ended, and exits 16 whatever the verdicts: its checks are incomplete.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.exit_codes import ExitCode
from fixtures.errors import BadInputError
from reports import records


@dataclass(frozen=True)
class Difference:
    case_id: str
    cell: str
    what: str  # "verdict" / "outcome" fields that differ, old -> new

    def __str__(self) -> str:
        return f"CHANGED {self.case_id} ({self.cell}): {self.what}"


def _judged(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """What a verdict decides, for comparison: the deciding rule by its id (its quoted text and
    note may be edited without changing a verdict), conflicts by rule id and status (none when
    a history predates them), everything else as recorded."""
    found = {key: value for key, value in verdict.items() if key not in ("rule", "conflicts")}
    found["rule"] = (verdict.get("rule") or {}).get("id")
    found["conflicts"] = [
        {"rule": c["rule"]["id"], "status": c["status"]} for c in verdict.get("conflicts") or []
    ]
    return found


def _verdict_changes(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    old, new = _judged(recorded), _judged(now)
    keys = sorted(set(old) | set(new))
    return [
        f"{key}: {json.dumps(old.get(key))[:120]} -> {json.dumps(new.get(key))[:120]}"
        for key in keys
        if old.get(key) != new.get(key)
    ]


def compare(run: records.RecordedRun, check: Mapping[str, Any]) -> Difference | None:
    """None when the current oracle and registry judge the recorded check as recorded."""
    try:
        judged = records.rejudge(run, check)
    except BadInputError as error:  # e.g. a line the history's redaction damaged
        return Difference(str(check["case"].get("id")), str(check["cell"]), f"unreadable: {error}")
    changes = _verdict_changes(check["verdict"], judged.verdict.to_json())
    if judged.outcome.value != check["outcome"]:
        changes.append(f"outcome: {check['outcome']} -> {judged.outcome.value}")
    if judged.deviation_id != check.get("deviation"):
        changes.append(f"deviation: {check.get('deviation')} -> {judged.deviation_id}")
    if not changes:
        return None
    return Difference(str(check["case"]["id"]), str(check["cell"]), "; ".join(changes))


def analyze(run_dir: Path, verbose: bool = False) -> tuple[int, list[str]]:
    """(exit code, lines to print)."""
    run = records.load(run_dir, require_history=False)
    lines: list[str] = []
    differences = 0
    for check in run.checks:
        difference = compare(run, check)
        if difference is not None:
            differences += 1
            lines.append(str(difference))
        elif verbose:
            lines.append(f"unchanged {check['case']['id']} ({check['cell']}): {check['outcome']}")
    total = len(run.checks)
    lines.append(
        f"{run.id}: {total - differences} of {total} checks judged as recorded"
        + (f", {differences} changed" if differences else " (verdicts reproduced exactly)")
    )
    end = run.end
    if not end.complete:
        lines.append(f"{run.id}: {end.describe()}; its checks are incomplete")
        return int(ExitCode.INFRASTRUCTURE), lines
    return (int(ExitCode.NEW_DEVIATIONS) if differences else 0), lines


def handle(args: argparse.Namespace) -> int:
    code, lines = analyze(Path(args.run_dir), args.verbose)
    for line in lines:
        print(line)
    return code


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="judge a recorded run again with the current oracle and registry (no Druid)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a reports/<run-id> directory")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also list every unchanged check"
    )
    parser.set_defaults(handler=handle)
