"""What a disagreement is, which way Druid errs, and how bad that is: the words of a finding.

A check disagrees when Druid's status is not the documented one. Three independent labels say
what that means to a reader:

- ``FindingKind``: a Druid deviation, or a documentation conflict (Druid answers as another
  documented passage says, one that contradicts the rule the verdict follows);
- ``Direction``: over-permissive (Druid allowed what the documentation forbids), over-restrictive
  (Druid refused what it allows), a server error (5xx from a live cluster), or a wrong status
  (refused, but otherwise than documented, e.g. 403 for a bad query that is documented 400);
- ``Severity``: from the direction, as a security suite ranks them (``SEVERITY``).

The table ``SEVERITY`` is the one place that ranks; a vendor who ranks otherwise edits it.
``group`` makes one finding of the disagreements with the same rule, direction and observed
status, with a count and the smallest example.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "SEVERITY",
    "Direction",
    "FindingGroup",
    "FindingKind",
    "Severity",
    "direction_of",
    "group",
]


class FindingKind(StrEnum):
    """What a disagreement is: Druid answering otherwise than every documented passage (a Druid
    deviation), or as another documented passage says, one that contradicts the rule the
    verdict follows (a documentation conflict: the pages disagree, and Druid took a side)."""

    DRUID_DEVIATION = "druid-deviation"
    DOCUMENTATION_CONFLICT = "documentation-conflict"


class Direction(StrEnum):
    """Which way Druid errs, from the documented and the observed status."""

    OVER_PERMISSIVE = "over-permissive"  # documented a refusal (4xx), Druid answered 2xx
    OVER_RESTRICTIVE = "over-restrictive"  # documented 2xx, Druid refused (4xx)
    SERVER_ERROR = "server-error"  # a live Druid answered 5xx
    WRONG_STATUS = "wrong-status"  # documented one refusal, Druid gave another


class Severity(StrEnum):
    """How bad a finding is, most severe first (``rank``: 0 is the most severe)."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"

    @property
    def rank(self) -> int:
        """0 for critical, 1 for major, 2 for minor: findings sort by it."""
        return list(Severity).index(self)


# Allowing what the documentation forbids is the failure a security model exists to prevent;
# refusing what it allows, or failing with a 5xx, breaks users; a refusal with the wrong
# status (403 for a bad query) misleads them about why.
SEVERITY: dict[Direction, Severity] = {
    Direction.OVER_PERMISSIVE: Severity.CRITICAL,
    Direction.OVER_RESTRICTIVE: Severity.MAJOR,
    Direction.SERVER_ERROR: Severity.MAJOR,
    Direction.WRONG_STATUS: Severity.MINOR,
}


def direction_of(documented: int, observed: int) -> Direction:
    """The direction of a disagreement between HTTP statuses (``documented`` is never 5xx).

    Raises ValueError when they agree (2xx by class, else exactly): agreement has no direction.
    """
    if observed >= 500:
        return Direction.SERVER_ERROR
    documented_ok, observed_ok = documented // 100 == 2, observed // 100 == 2
    if (documented_ok and observed_ok) or documented == observed:
        raise ValueError(f"{documented} and {observed} agree: no direction")
    if observed_ok:
        return Direction.OVER_PERMISSIVE
    if documented_ok:
        return Direction.OVER_RESTRICTIVE
    return Direction.WRONG_STATUS


@dataclass(frozen=True)
class FindingGroup:
    """Disagreements that are one finding: the same outcome (known or new), kind, deciding
    rule, direction and observed status. ``checks`` are history check lines (``Check.to_json``
    shape), the smallest example first (shortest statement, then fewest permissions)."""

    outcome: str
    kind: str
    rule: str
    direction: str
    observed_status: int
    checks: tuple[Mapping[str, Any], ...]

    @property
    def severity(self) -> Severity:
        """The severity of the group's direction."""
        return SEVERITY[Direction(self.direction)]

    @property
    def example(self) -> Mapping[str, Any]:
        """The smallest example."""
        return self.checks[0]

    def to_json(self) -> dict[str, Any]:
        """``{"severity", "direction", "kind", "outcome", "rule", "observed_status", "count",
        "deviation", "cells", "example"}``; ``example`` is the smallest check's case id."""
        example = self.example
        return {
            "severity": self.severity.value,
            "direction": self.direction,
            "kind": self.kind,
            "outcome": self.outcome,
            "rule": self.rule,
            "observed_status": self.observed_status,
            "count": len(self.checks),
            "deviation": example.get("deviation"),
            "cells": sorted({str(c["cell"]) for c in self.checks}),
            "example": example["case"]["id"],
        }

    def headline(self) -> str:
        """``CRITICAL over-permissive, new: rule r, cancel answered 200 where 403 is
        documented (3 checks; smallest: <sql>)``."""
        example = self.example
        known = f"known {example['deviation']}" if example.get("deviation") else "new"
        conflict = ", documentation conflict" if self.kind == "documentation-conflict" else ""
        return (
            f"{self.severity.value.upper()} {self.direction}{conflict}, {known}: rule "
            f"{self.rule}, {example['case']['operation']} answered {self.observed_status} where "
            f"{example['verdict']['status']} is documented ({len(self.checks)} checks; smallest: "
            f"{example['case']['sql']})"
        )


def group(lines: Iterable[Mapping[str, Any]]) -> list[FindingGroup]:
    """Group the disagreeing check lines into findings, most severe first, new before known,
    then the largest groups. Lines without a ``finding`` (agreeing, undecided) are left out."""
    groups: dict[tuple[str, str, str, str, int], list[Mapping[str, Any]]] = {}
    for line in lines:
        if not line.get("finding") or not line.get("direction"):
            continue
        key = (
            str(line["outcome"]),
            str(line["finding"]),
            str(line["verdict"]["rule"]["id"]),
            str(line["direction"]),
            int(line["observed_status"]),
        )
        groups.setdefault(key, []).append(line)
    found = [
        FindingGroup(*key, checks=tuple(sorted(members, key=_size)))
        for key, members in groups.items()
    ]
    return sorted(
        found, key=lambda g: (g.severity.rank, g.outcome != "new-deviation", -len(g.checks))
    )


def _size(line: Mapping[str, Any]) -> tuple[int, int, str]:
    case = line["case"]
    return len(str(case["sql"])), len(case.get("permissions", [])), str(case["id"])
