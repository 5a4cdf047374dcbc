"""Every known deviation is re-checked in every run on the versions it applies to.

Each entry's minimal example is run as a scenario. If Druid still answers as the entry says, the
deviation is present (known, not a failure; on a release past the entry's ``last_confirmed``
the summary says so, to raise it). If Druid now answers as documented, it is reported as FIXED
in the run's summary, so the entry can be narrowed or removed. Anything else is new. An entry
whose releases do not include the run's is recorded as not applicable (a pass, not a skip).
"""

from __future__ import annotations

import dataclasses
import secrets
import warnings

import pytest

from conformance import cluster_settings
from conformance.runner import deviations
from conformance.runner.checks import Outcome, assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import (
    STATEMENTS_API,
    TASK_API,
    Judge,
    ScenarioRunner,
    fresh_identity,
)
from fixtures.provision import Grant
from strategies.scenario import Scenario

pytestmark = pytest.mark.druid
ENTRIES = deviations.registry()


class DeviationFixed(UserWarning):
    """A registered deviation no longer occurs."""


def _grants(raw: tuple[dict[str, str], ...]) -> list[Grant]:
    return [Grant(g["type"], g["name"], g["action"]) for g in raw]


def example_scenario(entry: deviations.Deviation, tag: str) -> Scenario:
    example = entry.example
    out = f"dev_{tag}_{secrets.token_hex(3)}"
    submitter = fresh_identity(f"dsub_{tag}", _grants(example.submitter), out)
    if example.submitter_password is not None:  # an entry about the credentials' shape
        submitter = dataclasses.replace(submitter, password=example.submitter_password)
    others = (
        ()
        if example.actor is None
        else (fresh_identity(f"dact_{tag}", _grants(example.actor), out),)
    )
    return Scenario.everyone_asks(
        example.sql.replace("{out}", out), f"deviation {entry.id}", submitter, others
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The entries that can occur under the run's --druid-setting(s): one that needs another
    setting is not this run's question (not a skip: a certification refuses skips)."""
    if "entry" in metafunc.fixturenames:
        settings = cluster_settings.of(metafunc.config)
        entries = [e for e in ENTRIES if e.applies_under(settings)]
        metafunc.parametrize("entry", entries, ids=[e.id for e in entries])


def test_known_deviation(
    entry: deviations.Deviation, scenario_runner: ScenarioRunner, judge: Judge, run: Run
) -> None:
    if not entry.applies_to(judge.druid_version):
        # not this release's question: recorded, not skipped (a certification refuses skips)
        run.not_applicable_deviations.append(entry.id)
        return
    if entry.rechecked_by is not None:
        # one scenario cannot show it; the named test judges it in the same run (and reports
        # it fixed): recorded here, not skipped
        run.facts.setdefault("deviations_rechecked_elsewhere", {})[entry.id] = entry.rechecked_by
        return
    scenario = example_scenario(entry, run.tag)
    if entry.example.submitter_password is not None:
        # its users keep the example's password: made for it, not taken from the identity pool
        scenario_runner = scenario_runner.with_pool(None)
    # an example on the statements API (statements.submit, ...) is asked through it
    api = STATEMENTS_API if entry.example.operation.startswith("statements.") else TASK_API
    checks = scenario_runner.run(scenario, api=api)
    assert_conforms(checks)  # a disagreement the entry does not explain is new
    # the example's actor is its one other user, or the submitter when it has none (by role
    # in the scenario, not by name: the run's identity pool acts under its own names)
    acting_is_submitter = not scenario.others
    target = [
        c
        for c in checks
        if c.case.operation == entry.example.operation
        and c.case.actor_is_submitter == acting_is_submitter
    ]
    assert target, f"the example of {entry.id} never reached {entry.example.operation}"
    seen = any(c.outcome is Outcome.KNOWN_DEVIATION for c in target)
    if seen and entry.range and not entry.range.confirmed(judge.druid_version):
        run.reconfirmed_deviations.append(entry.id)  # raise its last_confirmed
    if all(c.outcome is Outcome.AGREES for c in target):
        run.fixed_deviations.append(entry.id)
        warnings.warn(
            f"{entry.id} no longer occurs on Druid {judge.druid_version}: Druid now answers "
            f"as documented. Narrow or remove the entry in conformance/runner/deviations/.",
            DeviationFixed,
            stacklevel=1,
        )
    else:
        assert any(c.deviation_id == entry.id for c in target), [c.explain() for c in target]
