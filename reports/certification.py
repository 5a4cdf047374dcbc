"""What a certification bundle must show: the rules ``verify`` applies and ``certify`` assembles.

A bundle certifies a product when its manifest is intact, the run used the ``certification``
Hypothesis profile on the whole suite, nothing was skipped, deselected, failed or erred, every
feasible coverage cell was checked (counted from the recorded history, not taken from the
summary), no infrastructure error happened and no new deviation was found. Known deviations
are allowed: they are Druid's own, documented in the registry, and listed in the bundle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fixtures.errors import BadInputError
from reports import bundle, coverage, product, records
from strategies.steering import feasible_cells

PRODUCT = "PRODUCT.yaml"
CONFIG = "config.json"
RUN_PREFIX = "run/"
SUMMARY = RUN_PREFIX + "summary.json"
HISTORY = RUN_PREFIX + "history.jsonl"
PROFILE = "certification"


def _json(files: Mapping[str, bytes], name: str) -> dict[str, Any]:
    try:
        data = json.loads(files[name])
    except KeyError:
        raise BadInputError(f"the bundle has no {name}") from None
    except json.JSONDecodeError as error:
        raise BadInputError(f"{name}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise BadInputError(f"{name}: not a JSON object")
    return data


def run_problems(summary: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    found = []
    if summary.get("hypothesis_profile") != PROFILE:
        found.append(f"Hypothesis profile {summary.get('hypothesis_profile')!r}, not {PROFILE!r}")
    if config.get("partial"):
        found.append(f"only part of the suite ran: {' '.join(config.get('selection', []))}")
    tests = summary.get("tests", {})
    for outcome in ("skipped", "deselected", "failed", "error"):
        if tests.get(outcome):
            found.append(f"{tests[outcome]} test(s) {outcome}")
    if not tests.get("passed"):
        found.append("no test passed")
    new = summary.get("checks", {}).get("new-deviation", 0)
    if new:
        found.append(f"{new} new deviation(s): {', '.join(summary['deviations']['new_cells'])}")
    if summary.get("infrastructure_errors"):
        found.append(f"infrastructure errors: {summary['infrastructure_errors']}")
    if summary.get("certification_refused"):
        found.append(f"the run refused certification: {summary['certification_refused']}")
    if summary.get("exit_status") != 0:
        found.append(f"the run exited {summary.get('exit_status')}")
    return found


def recorded_checks(files: Mapping[str, bytes]) -> list[dict[str, Any]]:
    """The check lines of the bundle's history."""
    if HISTORY not in files:
        raise BadInputError(f"the bundle has no {HISTORY}")
    return records.parse_history(files[HISTORY].decode(errors="replace"), HISTORY)[1]


def coverage_of(files: Mapping[str, bytes], summary: Mapping[str, Any]) -> tuple[int, list[str]]:
    """(feasible cells, those no recorded check hit). The cells are those the run recorded as
    feasible (its settings decide), or, for a summary without them, this suite's."""
    recorded = summary.get("coverage", {}).get("feasible")
    feasible = (
        [str(cell) for cell in recorded]
        if isinstance(recorded, list)
        else [str(c) for c in feasible_cells(settings=summary.get("settings") or {})]
    )
    counts = coverage.tally_records(recorded_checks(files))
    return len(feasible), coverage.missing_cells(counts, feasible)


def coverage_problems(feasible: int, missing: list[str]) -> list[str]:
    if not missing:
        return []
    shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
    return [f"{len(missing)} of {feasible} feasible cells never checked: {shown}"]


def check(files: Mapping[str, bytes]) -> tuple[dict[str, Any], list[str]]:
    """(what the bundle says, why it does not certify — empty when it does)."""
    found = bundle.problems(files)
    if PRODUCT not in files:
        return {}, [*found, f"no {PRODUCT}"]
    described = product.parse_yaml(files[PRODUCT].decode(errors="replace"), PRODUCT)
    summary, config = _json(files, SUMMARY), _json(files, CONFIG)
    for key in ("vendor", "product", "druid_version"):
        if not described.get(key):
            found.append(f"{PRODUCT} names no {key}")
    if described.get("druid_version") != summary.get("druid_version"):
        found.append(
            f"{PRODUCT} says Druid {described.get('druid_version')}, the run tested "
            f"{summary.get('druid_version')}"
        )
    declared = described.get("declared_druid_version")
    if declared and declared != described.get("druid_version"):
        found.append(
            f"{PRODUCT} declared Druid {declared}, but the cluster reported "
            f"{described.get('druid_version')}: a certification is for the version tested"
        )
    found += run_problems(summary, config)
    feasible, missing = coverage_of(files, summary)
    found += coverage_problems(feasible, missing)
    facts = {"product": described, "summary": summary, "config": config}
    return {**facts, "cells": {"feasible": feasible, "hit": feasible - len(missing)}}, found
