"""The suite's core property: for generated worlds, queries and actors, Druid answers submit,
status and cancel as the oracle (the documentation) says.

``test_cell`` runs once per operation and query kind (33 on Druid 27), each example a batch of
one scenario per verdict of that pair (the coverage cells, 98 on Druid 27), with the grants
steered at the cell's verdict, so that every cell is hit in every run; the other tests draw
batches freely across cells, on the task API and on the statements API. A batch's scenarios are
provisioned behind one propagation barrier and asked concurrently (``ScenarioRunner.run_batch``).
A disagreement that no known deviation explains fails with Hypothesis' minimal example, the
oracle's reasoning, the HTTP exchange and a command that reruns it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from conformance import cluster_settings
from conformance.hypothesis_profiles import examples_per_cell
from conformance.oracle.profiles import get_profile
from conformance.runner.checks import Check, assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import STATEMENTS_API, TASK_API, Judge, ScenarioRunner
from conformance.test_support import reproduce_command
from fixtures.errors import aborts_on_infrastructure
from strategies.naming import Namer, make_namer
from strategies.steering import (
    Cell,
    Operation,
    Scenario,
    feasible_cells,
    scenarios,
    with_drawn_readers,
)

pytestmark = pytest.mark.druid

# The one executor, under the name the bodies below call it by: a derandomised profile (ci)
# seeds each body's examples with a hash of its source, so a new name would draw new examples.
run_steered = ScenarioRunner.run_batch

BATCH = 3
"""Scenarios per example of the free-drawing tests (as many as ``PARALLEL_SCENARIOS``): each
test runs its profile's examples divided by this, so it asks as many scenarios as before."""

READERS = 2
"""Users who ask a statements-API ``results`` question besides the scenario's aimed actor
(``strategies.steering.with_drawn_readers``). Each such scenario runs its query to the end
(two task JVMs, most of a run's CPU on 2 cores), so the test asks its profile's examples as
questions: three per query, a third of the queries."""


def cell_groups(cells: Sequence[Cell]) -> list[tuple[Cell, ...]]:
    """The cells grouped by operation and query kind, in the order of first appearance: the
    verdicts of one question, provisioned and asked as one batch."""
    groups: dict[tuple[Operation, object], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.operation, cell.kind), []).append(cell)
    return [tuple(group) for group in groups.values()]


def _group_id(group: tuple[Cell, ...]) -> str:
    return f"{group[0].operation.value} x {group[0].kind.value}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One ``test_cell`` per operation and query kind with a cell under the run's
    ``--druid-setting``s."""
    if "cells" in metafunc.fixturenames:
        cells = feasible_cells(settings=cluster_settings.of(metafunc.config))
        metafunc.parametrize("cells", cell_groups(cells), ids=_group_id)


def _batches(
    scenario: SearchStrategy[Scenario], distinct_kinds: bool = False
) -> SearchStrategy[list[Scenario]]:
    """``BATCH`` scenarios; with ``distinct_kinds``, each of another kind of statement (where a
    profile asks a single batch, Hypothesis's first example would otherwise be one simplest
    statement thrice)."""
    unique_by = (lambda s: s.kind) if distinct_kinds else None
    return st.lists(scenario, min_size=BATCH, max_size=BATCH, unique_by=unique_by)


def _batch_examples(questions_per_scenario: int = 1) -> int:
    """The profile's examples per test, as batches of ``BATCH`` scenarios, each asking its
    operation ``questions_per_scenario`` times."""
    return max(1, math.ceil(settings().max_examples / (BATCH * questions_per_scenario)))


@pytest.fixture(scope="session")
def namer(run: Run) -> Namer:
    """Fresh names for every user, role and datasource: nothing leaks between examples."""
    return make_namer(f"p{run.tag}")


def _scenarios_for(judge: Judge, namer: Namer, **narrowing: Any) -> SearchStrategy[Scenario]:
    """Scenarios judged as this run judges: its oracle profile, its cluster's settings, and the
    grants a known deviation makes Druid want before a task exists (status and cancel only)."""
    return scenarios(
        namer,
        profile=judge.profile,
        settings=judge.settings,
        submitter_extras=judge.submitter_workaround,
        **narrowing,
    )


def _checked(checks: list[list[Check]], request: pytest.FixtureRequest, run: Run) -> None:
    flat = [check for scenario_checks in checks for check in scenario_checks]
    assert_conforms(flat, reproduce=reproduce_command(request, run))


def test_cell(
    cells: tuple[Cell, ...],
    scenario_runner: ScenarioRunner,
    namer: Namer,
    judge: Judge,
    run: Run,
    request: pytest.FixtureRequest,
) -> None:
    """Every verdict of one operation and query kind: a batch of one scenario per cell."""

    @settings(max_examples=examples_per_cell(run.facts.get("hypothesis_profile", "ci")))
    @given(st.tuples(*(_scenarios_for(judge, namer, cells=[cell]) for cell in cells)))
    @aborts_on_infrastructure
    def conforms(batch: tuple[Scenario, ...]) -> None:
        _checked(run_steered(scenario_runner, batch, TASK_API), request, run)

    conforms()


def test_free_scenarios(
    scenario_runner: ScenarioRunner,
    namer: Namer,
    judge: Judge,
    run: Run,
    request: pytest.FixtureRequest,
) -> None:
    """Any cell, several roles per user, bystanders: the combinations the cells do not fix."""

    @settings(max_examples=_batch_examples())
    @given(_batches(_scenarios_for(judge, namer, bystanders=2)))
    @aborts_on_infrastructure
    def conforms(batch: list[Scenario]) -> None:
        _checked(run_steered(scenario_runner, batch, TASK_API), request, run)

    conforms()


@pytest.mark.parametrize("operation", ["submit", "status", "results", "cancel"])
def test_statements_api(
    operation: str,
    scenario_runner: ScenarioRunner,
    namer: Namer,
    judge: Judge,
    run: Run,
    request: pytest.FixtureRequest,
) -> None:
    """The same generated worlds through /druid/v2/sql/statements, owner and non-owner; a
    query's results are asked by ``READERS`` more users (the query is waited on once, until it
    ends, then each asks)."""
    if f"statements.{operation}" not in get_profile(judge.profile).operations:
        pytest.skip(f"the statements API has no {operation} in profile {judge.profile}")
    # results are steered like status (both read the query); the oracle judges by the API's rules
    steer = Operation.STATUS if operation == "results" else Operation(operation)
    scenario = _scenarios_for(judge, namer, operations=[steer])
    readers = READERS if operation == "results" else 0
    if readers:
        scenario = with_drawn_readers(scenario, namer, readers)

    @settings(max_examples=_batch_examples(1 + readers))
    @given(_batches(scenario, distinct_kinds=bool(readers)))
    @aborts_on_infrastructure
    def conforms(batch: list[Scenario]) -> None:
        checks = run_steered(scenario_runner, batch, STATEMENTS_API, operation)
        _checked(checks, request, run)

    conforms()
