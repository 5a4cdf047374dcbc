"""One check: the oracle's verdict next to Druid's answer, and what their difference means.

Generation (``strategies/``), execution (``conformance/runner/scenario.py``) and judgement
(here) are kept apart, as schemathesis keeps them: a check knows nothing of how its input was
made.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from conformance.oracle import Case, Conflict, Verdict
from conformance.runner.findings import (
    SEVERITY,
    Direction,
    FindingKind,
    Severity,
    direction_of,
    group,
)
from fixtures.client import Exchange


class Outcome(StrEnum):
    """How a check came out: Druid answered as documented, or did not and a known deviation
    explains it (reported, not failed), or did not and nothing explains it (the run fails), or
    the oracle could not say what the documentation requires (undecided: reported, never
    counted as agreement, and never a failure: there is nothing to disagree with)."""

    AGREES = "agrees"
    KNOWN_DEVIATION = "known-deviation"
    NEW_DEVIATION = "new-deviation"
    UNDECIDED = "undecided"


def same_answer(documented: int | None, observed: int) -> bool:
    """2xx compares by class (the docs say 200 where Druid may say 202); the rest exactly.
    An undecided verdict (``documented`` None) is the same as no answer."""
    if documented is None:
        return False
    if documented // 100 == 2:
        return observed // 100 == 2
    return documented == observed


@dataclass(frozen=True)
class Check:
    """The oracle's verdict on a case and the exchange Druid answered it with."""

    label: str  # e.g. "submit x SELECT_JOIN" — the coverage cell without the verdict
    case: Case
    verdict: Verdict
    exchange: Exchange
    druid_version: str
    deviation_id: str | None = None  # set when a known deviation explains a disagreement
    login: tuple[str, ...] = ()  # the sent credentials' traits (``Credentials.traits``)
    # what the request was built to be beyond its case, e.g. ``sqlQueryId-in-use`` (a context
    # value another user's running query already has): a registry entry's ``when.request``
    traits: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        """Whether Druid's status is the documented one (``same_answer``: 2xx by class)."""
        return same_answer(self.verdict.status, self.exchange.status)

    @property
    def outcome(self) -> Outcome:
        """Undecided when the verdict is; else agrees, else a known or a new deviation by
        whether ``deviation_id`` is set."""
        if not self.verdict.decided:
            return Outcome.UNDECIDED
        if self.agrees:
            return Outcome.AGREES
        return Outcome.KNOWN_DEVIATION if self.deviation_id else Outcome.NEW_DEVIATION

    @property
    def finding_kind(self) -> FindingKind | None:
        """None unless the check disagrees; a documentation conflict when Druid's answer is the
        one a conflicting passage gives (``Verdict.conflicts``), else a Druid deviation."""
        if self.outcome in (Outcome.AGREES, Outcome.UNDECIDED):
            return None
        if any(same_answer(c.status, self.exchange.status) for c in self.verdict.conflicts):
            return FindingKind.DOCUMENTATION_CONFLICT
        return FindingKind.DRUID_DEVIATION

    @property
    def direction(self) -> Direction | None:
        """Which way Druid errs (``findings.direction_of``); None unless the check disagrees."""
        if self.finding_kind is None or self.verdict.status is None:
            return None
        return direction_of(self.verdict.status, self.exchange.status)

    @property
    def severity(self) -> Severity | None:
        """How bad the disagreement is (``findings.SEVERITY``); None unless it disagrees."""
        direction = self.direction
        return SEVERITY[direction] if direction else None

    @property
    def cell(self) -> str:
        """The coverage cell: the label and the verdict, ``submit x SELECT_JOIN x forbidden``."""
        return f"{self.label} x {self.verdict.verdict.value}"

    def to_json(self) -> dict[str, Any]:
        """The history's check line: label, cell, outcome, finding (its kind), direction and
        severity (when the check disagrees), deviation, druid_version, the case
        (``case_to_json``), the verdict (``Verdict.to_json``) and the observed status."""
        return {
            "label": self.label,
            "cell": self.cell,
            "outcome": self.outcome.value,
            "finding": self.finding_kind.value if self.finding_kind else None,
            "direction": self.direction.value if self.direction else None,
            "severity": self.severity.value if self.severity else None,
            "deviation": self.deviation_id,
            "druid_version": self.druid_version,
            "case": case_to_json(self.case),
            "verdict": self.verdict.to_json(),
            "observed_status": self.exchange.status,
            **({"login": list(self.login)} if self.login else {}),
            **({"traits": list(self.traits)} if self.traits else {}),
        }

    def explain(self) -> str:
        """What a reader needs to judge a disagreement, in one block."""
        v = self.verdict
        rule = v.rule
        body = self.exchange.body
        shown = body[:400] if isinstance(body, str) else json.dumps(body)[:400]
        ranked = f" [{self.severity.value}, {self.direction}]" if self.severity else ""
        lines = [
            f"{self.outcome.value.upper()}{ranked}: Druid {self.druid_version} answered "
            f"{self.exchange.status} to {self.case.operation}; the documentation says "
            f"{v.status} ({v.verdict.value}).",
            f"  rule {rule.id}: {rule.page} ({rule.version})",
            f'  passage: "{rule.passage.strip()}"',
            f"  oracle: {v.reason}",
            f"  required: {', '.join(map(str, v.required)) or 'nothing'}",
            f"  missing:  {', '.join(map(str, v.missing)) or 'nothing'}",
            f"  actor holds: {_holds(self.case)}"
            f" ({'the submitter' if self.case.actor_is_submitter else 'not the submitter'})",
            f"  statement: {self.case.sql}",
            f"  request:  {self.exchange.method} {self.exchange.path} as "
            f"{self.exchange.user or 'nobody'}",
            f"  response: {self.exchange.status} {shown}",
        ]
        for other in v.rules:
            if other.id != rule.id:
                lines.insert(3, f'  also rule {other.id} ({other.page}): "{_short(other.passage)}"')
        for conflict in v.conflicts:
            lines.insert(3, f"  {_conflict_line(conflict)}")
        if self.finding_kind is FindingKind.DOCUMENTATION_CONFLICT:
            lines.insert(
                1, "  a documentation conflict: Druid answers as a conflicting passage says"
            )
        if self.deviation_id:
            lines.insert(
                1, f"  known deviation {self.deviation_id} (conformance/runner/deviations/)"
            )
        return "\n".join(lines)


def _conflict_line(conflict: Conflict) -> str:
    needs = ", ".join(map(str, conflict.required)) or "nothing"
    return (
        f"conflicting rule {conflict.rule.id} ({conflict.rule.page}) would require {needs} "
        f'and answer {conflict.status}: "{_short(conflict.rule.passage)}"'
    )


def _holds(case: Case) -> str:
    held = ", ".join(f"{p.action.value} {p.type} {p.pattern!r}" for p in case.permissions)
    return held or "nothing"


class NewDeviation(AssertionError):
    """Druid disagrees with the documentation and no known deviation explains it."""


def assert_conforms(checks: Sequence[Check], reproduce: str = "") -> None:
    """Fail with every unexplained disagreement, one block per finding (``findings.group``:
    the smallest example, with the count of the others), most severe first.

    Raises NewDeviation (an AssertionError: pytest shows a failure) when a check is a new
    deviation; ``reproduce`` (a command) is appended to its message.
    """
    new = {id(c): c for c in checks if c.outcome is Outcome.NEW_DEVIATION}
    if not new:
        return
    lines = {id(c): {**c.to_json(), "ref": id(c)} for c in new.values()}
    blocks = []
    for finding in group(lines.values()):
        smallest = new[finding.example["ref"]]
        more = len(finding.checks) - 1
        also = f"\n  ... and {more} more check(s) of this finding" if more else ""
        blocks.append(smallest.explain() + also)
    text = "\n\n".join(blocks)
    if reproduce:
        text += f"\n\nreproduce:\n{reproduce}"
    raise NewDeviation(text)


def _short(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def case_to_json(case: Case) -> dict[str, Any]:
    """The whole case, in the oracle's JSON-lines schema (``Case.from_json`` reads it back)."""
    existing = case.existing_datasources
    return {
        "id": case.id,
        "profile": case.profile,
        "settings": dict(case.settings),
        "operation": case.operation,
        "sql": case.sql,
        "context": dict(case.context),
        "permissions": [p.to_json() for p in case.permissions],
        "authenticated": case.authenticated,
        "actor_is_submitter": case.actor_is_submitter,
        "existing_datasources": sorted(existing) if existing is not None else None,
        "task_exists": case.task_exists,
    }
