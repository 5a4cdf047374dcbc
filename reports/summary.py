"""``summary.json``: a run in one small document, for CI dashboards, certification and people.

It names what was tested (Druid version, image, substitutions), how (suite version, oracle and
Hypothesis profiles, seed), how the run ended (its exit status, what that status means and the
errors that ended it), what came out (checks per verdict and outcome, deviations known and new,
security properties checked, pytest's own counts) and how long it took. A run writes it however
it ends, also when it ends at start-up with no check at all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance.runner import findings, properties
from conformance.runner.properties import PropertyOutcome
from conformance.runner.relations import RelationOutcome
from reports import coverage

SCHEMA = 1
DISTRIBUTION = "druid-msq-conformance"
OUTCOMES = ("agrees", "known-deviation", "new-deviation", "undecided")
RELATION_OUTCOMES = tuple(outcome.value for outcome in RelationOutcome)
PROPERTY_OUTCOMES = tuple(outcome.value for outcome in PropertyOutcome)
TEST_OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected")


# What a run's exit status means (README "Exit codes"): pytest's own 0-5, the suite's from 10
# (``conformance/exit_codes.py`` chooses them; a test keeps the two tables in step). Read here too
# for a summary written before ``exit_meaning`` was recorded.
EXIT_MEANINGS: dict[int, str] = {
    0: "every check passed",
    1: "a check failed",
    2: "interrupted",
    3: "internal error",
    4: "usage error",
    5: "no test collected",
    10: "no Docker engine",
    11: "the Druid image could not be built or pulled",
    12: "cluster did not become ready",
    13: "Druid unreachable",
    14: "admin credentials rejected or not an admin's",
    15: "bad input",
    16: "infrastructure error",
}


def exit_meaning(status: int) -> str:
    """What an exit status says, in a few words."""
    return EXIT_MEANINGS.get(status, f"unknown exit status {status}")


def suite_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def verdict_counts(checks: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """verdict -> outcome -> number of checks."""
    table: dict[str, Counter[str]] = {}
    for check in checks:
        verdict = str(check["verdict"]["verdict"])
        table.setdefault(verdict, Counter())[str(check["outcome"])] += 1
    return {verdict: dict(sorted(c.items())) for verdict, c in sorted(table.items())}


def relation_counts(relations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The metamorphic comparisons (Druid against itself, no oracle): ``total``, then how many
    ``holds``, ``broken`` and ``vacuous``, and the same per relation name."""
    per: dict[str, Counter[str]] = {}
    for line in relations:
        per.setdefault(str(line["relation"]), Counter())[str(line["outcome"])] += 1
    overall = Counter(str(line["outcome"]) for line in relations)
    return {
        "total": len(relations),
        **{outcome: overall.get(outcome, 0) for outcome in RELATION_OUTCOMES},
        "by_relation": {name: dict(sorted(counts.items())) for name, counts in sorted(per.items())},
    }


def property_summary(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The security properties checked (``properties.expect``'s events; other events are
    skipped): ``total``, ``outcomes`` (each :class:`PropertyOutcome` value -> number of
    checks), and ``fixed`` and ``new``: the ``{"property", "scope"}`` pairs that held although a
    break is registered, and those broken where none is, each once, sorted. A registered break
    that no longer happens is said here, as ``deviations.fixed`` says a fixed deviation."""
    checked = [e for e in events if e.get("event") == properties.EVENT]
    counts = Counter(str(e.get("outcome")) for e in checked)

    def pairs(outcome: PropertyOutcome) -> list[dict[str, str]]:
        seen = {
            (str(e.get("property")), str(e.get("scope", "")))
            for e in checked
            if e.get("outcome") == outcome.value
        }
        return [{"property": prop, "scope": scope} for prop, scope in sorted(seen)]

    return {
        "total": len(checked),
        "outcomes": {outcome: counts.get(outcome, 0) for outcome in PROPERTY_OUTCOMES},
        "fixed": pairs(PropertyOutcome.FIXED),
        "new": pairs(PropertyOutcome.NEW_BREAK),
    }


def deviation_summary(checks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    known = Counter(str(c["deviation"]) for c in checks if c["outcome"] == "known-deviation")
    new = [c for c in checks if c["outcome"] == "new-deviation"]
    kinds: dict[str, Counter[str]] = {}
    for check in checks:
        if check.get("finding"):
            kinds.setdefault(str(check["finding"]), Counter())[str(check["outcome"])] += 1
    return {
        "known": dict(sorted(known.items())),
        "new": len(new),
        "new_cases": [str(c["case"]["id"]) for c in new],
        "new_cells": sorted({str(c["cell"]) for c in new}),
        "by_kind": {kind: dict(sorted(n.items())) for kind, n in sorted(kinds.items())},
        "undecided": dict(
            Counter(str(c["verdict"]["reason"]) for c in checks if c["outcome"] == "undecided")
        ),
    }


def build(
    run_id: str,
    facts: Mapping[str, Any],
    timings: Mapping[str, float],
    checks: Sequence[Mapping[str, Any]],
    tests: Mapping[str, int],
    exit_status: int,
    infrastructure_errors: Sequence[str] = (),
    fixed_deviations: Sequence[str] = (),
    selection: Sequence[str] = (),
    feasible: Sequence[str] = (),
    errors: Sequence[str] = (),
    throughput: Mapping[str, Any] | None = None,
    feasible_statements: Sequence[str] = (),
    not_judged: Mapping[str, int] | None = None,
    not_applicable: Sequence[str] = (),
    reconfirmed: Sequence[str] = (),
    relations: Sequence[Mapping[str, Any]] = (),
    events: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """``feasible``: the task-API cells the run could hit (its settings decide), for coverage;
    ``feasible_statements`` the statements API's; ``not_judged``: questions the run could not
    judge (``Run.unjudged``); ``not_applicable``: registry entries whose releases exclude the
    run's; ``reconfirmed``: entries seen past their ``last_confirmed``.
    ``errors``: what ended the run early (the start-up error, the interruption); ``errors`` in
    the document lists them followed by every infrastructure error. ``relations``: the
    metamorphic comparisons' history lines (``Comparison.to_json``), counted apart from the
    checks; ``events``: the history's event lines (``RecordedRun.events``), whose security
    property checks make ``properties`` (``property_summary``)."""
    outcomes = Counter(str(c["outcome"]) for c in checks)
    return {
        "schema": SCHEMA,
        "run_id": run_id,
        "suite_version": suite_version(),
        "druid_version": facts.get("druid_version"),
        "image": facts.get("image"),
        "druid_source": facts.get("druid_source"),
        "substitutions": facts.get("substitutions"),
        "oracle_profile": facts.get("oracle_profile"),
        "settings": facts.get("settings", {}),
        "hypothesis_profile": facts.get("hypothesis_profile"),
        "hypothesis_seed": facts.get("hypothesis_seed"),
        "selection": list(selection),
        "exit_status": exit_status,
        "exit_meaning": exit_meaning(exit_status),
        "errors": [*errors, *infrastructure_errors],
        "tests": {name: int(tests.get(name, 0)) for name in TEST_OUTCOMES},
        "checks": {"total": len(checks), **{k: outcomes.get(k, 0) for k in OUTCOMES}},
        "verdicts": verdict_counts(checks),
        "relations": relation_counts(relations),
        "properties": property_summary(events),
        "coverage": coverage.summary(checks, feasible),
        "statements_coverage": coverage.summary(checks, feasible_statements),
        "not_judged": dict(not_judged or {}),
        "findings": [finding.to_json() for finding in findings.group(checks)],
        "deviations": {
            **deviation_summary(checks),
            "fixed": list(fixed_deviations),
            "not_applicable": list(not_applicable),
            "reconfirmed": list(reconfirmed),
        },
        "infrastructure_errors": list(infrastructure_errors),
        "certification_refused": facts.get("certification_refused"),
        "timings": dict(timings),
        "throughput": dict(throughput or {}),
        "facts": dict(facts),
    }


def write(path: Path, summary: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def headline(document: Mapping[str, Any]) -> str:
    """One line of what a run's checks came to, from its summary: ``319 checks: 298 agree,
    21 known (21 documentation conflicts), 0 new, 0 undecided``, then the metamorphic relations
    and the security property checks when the run made some."""
    checks = document.get("checks", {})
    kinds = document.get("deviations", {}).get("by_kind", {})
    conflicts = sum(kinds.get("documentation-conflict", {}).values())
    aside = f" ({conflicts} documentation conflicts)" if conflicts else ""
    line = (
        f"{checks.get('total', 0)} checks: {checks.get('agrees', 0)} agree, "
        f"{checks.get('known-deviation', 0)} known{aside}, {checks.get('new-deviation', 0)} new, "
        f"{checks.get('undecided', 0)} undecided"
    )
    relations = document.get("relations", {})
    if relations.get("total"):
        line += (
            f"; {relations['total']} metamorphic relations: {relations.get('holds', 0)} hold, "
            f"{relations.get('broken', 0)} broken, {relations.get('vacuous', 0)} vacuous"
        )
    checked = document.get("properties", {})
    if checked.get("total"):
        outcomes = checked.get("outcomes", {})
        line += (
            f"; {checked['total']} security property checks: "
            f"{outcomes.get(PropertyOutcome.HOLDS, 0)} hold, "
            f"{outcomes.get(PropertyOutcome.KNOWN_BREAK, 0)} known breaks, "
            f"{outcomes.get(PropertyOutcome.NEW_BREAK, 0)} new breaks"
        )
        fixed = outcomes.get(PropertyOutcome.FIXED, 0)
        line += f", {fixed} fixed?" if fixed else ""
    return line


def property_lines(document: Mapping[str, Any]) -> list[str]:
    """One line per security property whose registered break no longer happened in this
    run, naming the scopes it held in (as the terminal says ``FIXED: known deviation ...``)."""
    scopes: dict[str, list[str]] = {}
    for pair in document.get("properties", {}).get("fixed", []):
        scopes.setdefault(str(pair["property"]), []).append(str(pair["scope"]))
    version = document.get("druid_version")
    return [
        f"FIXED?: known break of security property {name} no longer occurs on Druid {version}"
        + (f" ({', '.join(s for s in where if s)})" if any(where) else "")
        + "; see its [[break]] in conformance/runner/properties.toml"
        for name, where in sorted(scopes.items())
    ]


def finding_lines(checks: Sequence[Mapping[str, Any]], limit: int = 10) -> list[str]:
    """One line per finding (``findings.group``), most severe first; at most ``limit``, then
    how many more the report lists."""
    found = findings.group(checks)
    lines = [finding.headline() for finding in found[:limit]]
    if len(found) > limit:
        lines.append(f"... and {len(found) - limit} more findings in report.html")
    return lines
