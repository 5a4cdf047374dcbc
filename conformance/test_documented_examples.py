"""Worked examples of the documented rules (``conformance/documented_examples.py``), run.

Each row submits, asks for the status as both users, and cancels. Every answer must be the one
the row states from its passages; the oracle must state the same (``tests/`` checks that
without Druid), and Druid's answers are judged by the oracle, so known deviations still apply.
"""

from __future__ import annotations

import pytest

from conformance.documented_examples import ROWS, Row, request_of
from conformance.runner.checks import Check, assert_conforms, same_answer
from conformance.runner.run import Run
from conformance.runner.scenario import ScenarioRunner, fresh_identity
from strategies.scenario import Scenario

pytestmark = pytest.mark.druid


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_documented_example(row: Row, scenario_runner: ScenarioRunner, run: Run) -> None:
    out = f"ex_{run.tag}_{row.id.replace('-', '_')}"
    scenario = Scenario.everyone_asks(
        row.sql.replace("{out}", out),
        row.id,
        fresh_identity(f"sub_{run.tag}", row.submitter, out),
        (fresh_identity(f"oth_{run.tag}", row.other, out),),
    )
    checks = scenario_runner.run(scenario)
    _assert_stated(row, checks)
    assert_conforms(checks)


def _assert_stated(row: Row, checks: list[Check]) -> None:
    """Every request was one the row states, and the oracle gave the stated answer."""
    for check in checks:
        request = request_of(check.case.operation, check.case.actor_is_submitter)
        assert request in row.expect, f"{row.id}: {request} asked, the row states no answer"
        stated = row.expect[request]
        assert same_answer(stated, check.verdict.status or 0), (
            f"{row.id}: {request}: the row's passages say {stated}, the oracle "
            f"{check.verdict.status} ({check.verdict.rule.id})"
        )
