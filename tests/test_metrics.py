"""metrics.txt: a run's figures in the OpenMetrics text format, read back with an OpenMetrics
parser and compared with the summary.json they were made from (recorded runs, no Druid)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from reports import metrics, summary
from tests.recorded_runs import RUN_ID
from tests.test_reports import make_wide_run

PREFIX = "druid_conformance"


def document(tmp_path: Path) -> dict[str, Any]:
    """The summary of a recorded run with findings of two severities, and made-up figures."""
    path = make_wide_run(tmp_path) / "summary.json"
    data: dict[str, Any] = json.loads(path.read_text())
    data.update(
        oracle_profile="druid-27",
        hypothesis_seed=1234,
        timings={"cluster_start_to_ready": 41.5, "seed_datasources": 90.27},
        throughput={
            "checked_operations": 8,
            "wall_seconds": 308.066,
            "checked_operations_per_second_of_wall_time": 0.026,
            "test_call_seconds": 194.542,
            "checked_operations_per_second_of_test_calls": 0.041,
            "scenario_checked_operations": 0,
            "scenario_seconds": 0.0,
            "checked_operations_per_second_of_scenario_time": None,
        },
    )
    return data


def parse(text: str) -> list[Metric]:
    """The families an OpenMetrics parser reads from the text (it raises on any departure
    from the format, a missing ``# EOF`` included)."""
    return list(text_string_to_metric_families(text))  # type: ignore[no-untyped-call]


def samples(text: str) -> dict[str, list[Sample]]:
    """Family name -> its samples, as ``parse`` reads them."""
    return {family.name: family.samples for family in parse(text)}


def value(found: dict[str, list[Sample]], family: str, **labels: str) -> float:
    (match,) = [s.value for s in found[f"{PREFIX}_{family}"] if s.labels == labels]
    return float(match)


def test_the_text_is_openmetrics_and_ends_with_eof(tmp_path: Path) -> None:
    text = metrics.render(document(tmp_path))
    assert text.endswith("\n# EOF\n")
    families = parse(text)
    types = {family.name: (family.type, family.unit) for family in families}
    assert types[f"{PREFIX}_checks"] == ("counter", "")
    assert types[f"{PREFIX}_timing_seconds"] == ("gauge", "seconds")
    assert types[PREFIX] == ("info", "")
    for family in families:
        names = {s.name for s in family.samples}
        if family.type == "counter":
            assert names <= {f"{family.name}_total"}, family
        if family.unit:
            assert family.name.endswith(f"_{family.unit}")
            assert f"# UNIT {family.name} {family.unit}\n" in text
        assert f"# HELP {family.name} " in text and f"# TYPE {family.name} {family.type}\n" in text


def test_the_figures_are_those_of_the_summary(tmp_path: Path) -> None:
    data = document(tmp_path)
    found = samples(metrics.render(data))
    for outcome in summary.OUTCOMES:
        assert value(found, "checks", outcome=outcome) == data["checks"][outcome]
    assert sum(s.value for s in found[f"{PREFIX}_checks"]) == data["checks"]["total"]
    by_labels: Counter[tuple[str, ...]] = Counter()
    for finding in data["findings"]:
        key = ("severity", "direction", "kind", "outcome")
        by_labels[tuple(finding[k] for k in key)] += finding["count"]
    shown = {
        (s.labels["severity"], s.labels["direction"], s.labels["kind"], s.labels["outcome"]): (
            s.value
        )
        for s in found[f"{PREFIX}_disagreements"]
    }
    assert shown == by_labels and len(shown) == 3  # the two critical findings share labels
    assert value(found, "findings", severity="critical", outcome="new-deviation") == 2
    assert value(found, "coverage_feasible_cells") == len(data["coverage"]["feasible"])
    assert value(found, "coverage_hit_cells") == data["coverage"]["hit"]
    assert value(found, "checked_operations") == 8
    assert value(found, "wall_seconds") == 308.066
    assert value(found, "checked_operations_per_second", of="test_calls") == 0.041
    rates = {s.labels["of"] for s in found[f"{PREFIX}_checked_operations_per_second"]}
    assert rates == {"wall_time", "test_calls"}  # no time to divide by: left out
    assert value(found, "timing_seconds", name="seed_datasources") == 90.27
    assert value(found, "exit_status") == data["exit_status"] == 1
    assert value(found, "errors") == 0
    assert value(found, "tests", outcome="passed") == 3
    (info,) = found[PREFIX]
    assert info.name == f"{PREFIX}_info" and info.value == 1
    assert info.labels == {
        "druid_version": "27.0.0",
        "oracle_profile": "druid-27",
        "hypothesis_profile": "ci",
        "hypothesis_seed": "1234",
        "run_id": RUN_ID,
        "suite_version": data["suite_version"],
        "exit_meaning": "a check failed",
    }


def test_label_values_are_escaped(tmp_path: Path) -> None:
    data = document(tmp_path)
    data["druid_version"] = 'odd "27"\\build\nline'
    data["timings"] = {'a "quoted" name': 1.0}
    found = samples(metrics.render(data))
    assert found[PREFIX][0].labels["druid_version"] == 'odd "27"\\build\nline'
    assert value(found, "timing_seconds", name='a "quoted" name') == 1.0


@pytest.mark.parametrize("status", [12, None])
def test_a_run_that_ended_at_start_up_has_its_metrics(status: int | None) -> None:
    """A summary with no check, no finding and no figures (a start-up end), or barely any."""
    data: dict[str, Any] = {"run_id": "r", "exit_status": status, "errors": ["no cluster"]}
    found = samples(metrics.render(data))
    assert value(found, "checks", outcome="agrees") == 0
    assert found[f"{PREFIX}_disagreements"] == []
    assert value(found, "errors") == 1
    assert (f"{PREFIX}_exit_status" in found) == (status is not None)
    if status is not None:
        assert value(found, "exit_status") == status


def test_write_puts_it_next_to_the_summary(tmp_path: Path) -> None:
    data = document(tmp_path)
    path = metrics.write(tmp_path / RUN_ID / metrics.FILE, data)
    assert path.name == "metrics.txt"
    assert path.read_text(encoding="utf-8") == metrics.render(data)


def test_metamorphic_relations_are_counted_by_relation_and_outcome() -> None:
    relations = [
        {"relation": "grant-added", "outcome": "holds"},
        {"relation": "grant-added", "outcome": "holds"},
        {"relation": "equivalent-statement", "outcome": "broken"},
    ]
    found = samples(metrics.render(summary.build("r", {}, {}, [], {}, 1, relations=relations)))
    assert value(found, "relations", relation="grant-added", outcome="holds") == 2
    assert value(found, "relations", relation="equivalent-statement", outcome="broken") == 1
    assert samples(metrics.render({"run_id": "r"}))[f"{PREFIX}_relations"] == []
