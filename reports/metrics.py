"""``metrics.txt``: a run's figures in the OpenMetrics text format, for dashboards and alerting.

Made from summary.json's document alone (:func:`render` is a pure function of it), so a stored
run's metrics can be written again from its summary. prometheus_client writes the text (``# HELP``,
``# TYPE``, ``# UNIT``, escaping, the final ``# EOF``); this module only says which families there
are. Every family starts with ``druid_conformance_``:

- ``checks_total{outcome}``: checks by outcome (agrees, known-deviation, new-deviation,
  undecided);
- ``relations_total{relation,outcome}``: the metamorphic comparisons (holds, broken, vacuous);
- ``disagreements_total{severity,direction,kind,outcome}``: the disagreeing checks (summary's
  ``findings``, summed over rule and observed status); ``findings{severity,outcome}``: how many
  findings (groups) there are;
- ``coverage_feasible_cells``, ``coverage_hit_cells``: the task-API cells the run could hit and
  those it hit;
- ``checked_operations_total``, ``wall_seconds``, ``test_call_seconds``,
  ``scenario_checked_operations_total``, ``scenario_seconds``,
  ``checked_operations_per_second{of}``: the throughput (``of``: wall_time, test_calls,
  scenario_time; a rate with no time to divide by is left out);
- ``timing_seconds{name}``: each of the run's timings;
- ``tests_total{outcome}``: pytest's own counts;
- ``exit_status``, ``errors``: how the run ended and how many errors ended it;
- ``info{druid_version,oracle_profile,hypothesis_profile,hypothesis_seed,run_id,suite_version,
  exit_meaning}``: the run's facts as an info metric (value 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.openmetrics.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

PREFIX = "druid_conformance"
FILE = "metrics.txt"
CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
OUTCOMES = ("agrees", "known-deviation", "new-deviation", "undecided")
INFO_KEYS = (
    "druid_version",
    "oracle_profile",
    "hypothesis_profile",
    "hypothesis_seed",
    "run_id",
    "suite_version",
    "exit_meaning",
)
# throughput key -> (family, unit: a counter without one, a gauge in seconds with one; help)
THROUGHPUT = {
    "checked_operations": ("checked_operations", "", "Checked operations (checks) of the run."),
    "wall_seconds": ("wall", "seconds", "The run's wall time, from start-up to its summary."),
    "test_call_seconds": ("test_call", "seconds", "Time spent in the tests' call phases."),
    "scenario_checked_operations": (
        "scenario_checked_operations",
        "",
        "Checked operations of the scenarios (requests judged, without provisioning).",
    ),
    "scenario_seconds": ("scenario", "seconds", "The scenarios' own time."),
    "provisioning_seconds": ("provisioning", "seconds", "Writes to the security API in tests."),
    "propagation_barrier_seconds": (
        "propagation_barrier",
        "seconds",
        "Waits until security changes reached the Broker and the Overlord.",
    ),
}
RATES = {
    "checked_operations_per_second_of_wall_time": "wall_time",
    "checked_operations_per_second_of_test_calls": "test_calls",
    "checked_operations_per_second_of_scenario_time": "scenario_time",
}


def _number(value: Any) -> float | None:
    """A finite figure from the document, or None (absent, null, not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _checks(document: Mapping[str, Any]) -> Iterator[Metric]:
    counts = document.get("checks") or {}
    family = CounterMetricFamily(
        f"{PREFIX}_checks",
        "Checks by outcome: Druid's answer against the documented one.",
        labels=["outcome"],
    )
    for outcome in OUTCOMES:
        family.add_metric([outcome], _number(counts.get(outcome)) or 0.0)
    yield family


def _relations(document: Mapping[str, Any]) -> Iterator[Metric]:
    by_relation = (document.get("relations") or {}).get("by_relation") or {}
    family = CounterMetricFamily(
        f"{PREFIX}_relations",
        "Metamorphic comparisons (Druid against itself) by relation and outcome.",
        labels=["relation", "outcome"],
    )
    for name, counts in sorted(by_relation.items()):
        for outcome, count in sorted(counts.items()):
            family.add_metric([name, outcome], _number(count) or 0.0)
    yield family


def _findings(document: Mapping[str, Any]) -> Iterator[Metric]:
    found: list[Mapping[str, Any]] = list(document.get("findings") or [])
    checks: Counter[tuple[str, str, str, str]] = Counter()
    groups: Counter[tuple[str, str]] = Counter()
    for finding in found:
        severity, direction, kind, outcome = (
            str(finding.get(k)) for k in ("severity", "direction", "kind", "outcome")
        )
        checks[(severity, direction, kind, outcome)] += int(finding.get("count", 0))
        groups[(severity, outcome)] += 1
    disagreements = CounterMetricFamily(
        f"{PREFIX}_disagreements",
        "Disagreeing checks by severity, direction, finding kind and outcome (known or new).",
        labels=["severity", "direction", "kind", "outcome"],
    )
    for key, n in sorted(checks.items()):
        disagreements.add_metric(list(key), n)
    yield disagreements
    findings = GaugeMetricFamily(
        f"{PREFIX}_findings",
        "Findings (disagreements grouped by rule, direction and observed status) by severity "
        "and outcome.",
        labels=["severity", "outcome"],
    )
    for pair, n in sorted(groups.items()):
        findings.add_metric(list(pair), n)
    yield findings


def _coverage(document: Mapping[str, Any]) -> Iterator[Metric]:
    coverage = document.get("coverage") or {}
    feasible = len(coverage.get("feasible") or [])
    yield GaugeMetricFamily(
        f"{PREFIX}_coverage_feasible_cells",
        "Task-API cells (operation x query kind x verdict) the run's settings make feasible.",
        value=feasible,
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_coverage_hit_cells",
        "Feasible task-API cells at least one check hit.",
        value=_number(coverage.get("hit")) or 0.0,
    )


def _throughput(document: Mapping[str, Any]) -> Iterator[Metric]:
    throughput = document.get("throughput") or {}
    for key, (name, unit, help_text) in THROUGHPUT.items():
        value = _number(throughput.get(key))
        if value is None:
            continue
        if unit:
            yield GaugeMetricFamily(f"{PREFIX}_{name}", help_text, value=value, unit=unit)
        else:
            yield CounterMetricFamily(f"{PREFIX}_{name}", help_text, value=value)
    rates = GaugeMetricFamily(
        f"{PREFIX}_checked_operations_per_second",
        "Checked operations per second of the wall time, of the tests' calls, or of the "
        "scenarios' own time.",
        labels=["of"],
    )
    for key, of in RATES.items():
        value = _number(throughput.get(key))
        if value is not None:
            rates.add_metric([of], value)
    if rates.samples:
        yield rates


def _timings(document: Mapping[str, Any]) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        f"{PREFIX}_timing",
        "The run's measured timings (cluster start to ready, seeding, ...).",
        labels=["name"],
        unit="seconds",
    )
    for name, seconds in sorted((document.get("timings") or {}).items()):
        value = _number(seconds)
        if value is not None:
            family.add_metric([str(name)], value)
    yield family


def _ending(document: Mapping[str, Any]) -> Iterator[Metric]:
    tests = CounterMetricFamily(f"{PREFIX}_tests", "pytest's tests by outcome.", labels=["outcome"])
    for outcome, n in (document.get("tests") or {}).items():
        value = _number(n)
        if value is not None:
            tests.add_metric([str(outcome)], value)
    yield tests
    status = _number(document.get("exit_status"))
    if status is not None:
        yield GaugeMetricFamily(
            f"{PREFIX}_exit_status",
            "The run's exit status (0 every check passed, 1 a check failed, others: README "
            "'Exit codes').",
            value=status,
        )
    yield GaugeMetricFamily(
        f"{PREFIX}_errors",
        "Errors that ended the run or happened in its infrastructure.",
        value=len(document.get("errors") or []),
    )


def _info(document: Mapping[str, Any]) -> Iterator[Metric]:
    facts = {key: "" if document.get(key) is None else str(document[key]) for key in INFO_KEYS}
    yield InfoMetricFamily(
        PREFIX, "What was tested and how: Druid version, profiles, seed, run.", value=facts
    )


class _Summary(Collector):
    """A collector of one summary document's figures."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    def collect(self) -> Iterable[Metric]:
        for part in (
            _info,
            _checks,
            _relations,
            _findings,
            _coverage,
            _throughput,
            _timings,
            _ending,
        ):
            yield from part(self.document)


def render(document: Mapping[str, Any]) -> str:
    """The OpenMetrics text of a summary.json document, ending with ``# EOF``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Summary(document))
    text: bytes = generate_latest(registry)  # type: ignore[no-untyped-call]
    return text.decode("utf-8")


def write(path: Path, document: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(document), encoding="utf-8")
    return path
