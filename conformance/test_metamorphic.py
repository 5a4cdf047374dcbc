"""Metamorphic checks on Druid itself (``docs/metamorphic.md``): Druid's answers compared with
its own answers, as SQLancer compares a database with itself, so no documentation is read.

- ``test_equivalent_statement``: a generated statement and one equivalent rewrite of it
  (``strategies/rewrites.py``), submitted by actors holding the same grants, get the same answer.
- ``test_grant_added``: an allowed submit stays allowed when its actor holds one grant more.
- ``test_required_set``: holding exactly the required set, a submit is allowed; without any one
  of its elements, refused.

Each example is one batch (``ScenarioRunner.answers``: the identity pool, one propagation
barrier, asked concurrently, not judged by the oracle); each comparison is recorded in the
history as a ``relation`` line, and a broken one fails with both exchanges and a command that
reruns it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from conformance.hypothesis_profiles import examples_per_cell
from conformance.oracle import VerdictKind
from conformance.runner.relations import (
    RELATION,
    Comparison,
    Observation,
    assert_relations_hold,
)
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner
from conformance.test_support import reproduce_command
from fixtures.client import Exchange
from fixtures.errors import aborts_on_infrastructure
from strategies.grant_relations import GrantVariant, added_grants, minus_one, named, with_grant
from strategies.grants import RoleSpec, UserSpec
from strategies.identities import passwords, user_names
from strategies.naming import Namer, make_namer
from strategies.queries import GeneratedQuery, queries
from strategies.rewrites import REWRITES, Inapplicable, Rewrite, Variant, rewrite
from strategies.scenario import Request, Scenario, credentials
from strategies.steering import Operation, required_permissions, scenarios

pytestmark = pytest.mark.druid

ASKED_REWRITES: tuple[Rewrite, ...] = tuple(
    r for r in REWRITES if r.name != "unqualify-druid-schema"
)
"""The pair of spellings ``druid.x`` and ``x`` is asked once, by ``qualify-druid-schema``: an
equivalence is symmetric, and one test fewer asks Druid fewer questions."""


@pytest.fixture(scope="session")
def namer(run: Run) -> Namer:
    """Fresh names for the users, roles and target datasources of these tests."""
    return make_namer(f"m{run.tag}")


def _examples() -> int:
    """The profile's examples per grant test, a third of them (ci: 2): each is a batch."""
    return max(1, math.ceil(settings().max_examples / 3))


def _submits(
    judge: Judge, namer: Namer, verdicts: Sequence[VerdictKind]
) -> st.SearchStrategy[Scenario]:
    """Submit scenarios judged as this run judges, aimed at ``verdicts``, without bystanders."""
    return scenarios(
        namer,
        operations=[Operation.SUBMIT],
        verdicts=verdicts,
        profile=judge.profile,
        settings=judge.settings,
        submitter_extras=judge.submitter_workaround,
        bystanders=0,
    )


def _unsteered(scenario: Scenario) -> Scenario:
    """The scenario, its submit carrying no steered case: the steering judged another
    statement or other grants (and nothing here is judged by the oracle)."""
    return replace(scenario, submit=replace(scenario.submit, steered=None))


def _observed(scenario: Scenario, exchanges: list[Exchange]) -> Observation:
    return Observation(scenario.sql, scenario.submitter.grants(), exchanges[0], scenario.context)


def _record(run: Run, comparisons: list[Comparison]) -> list[Comparison]:
    for comparison in comparisons:
        run.record_relation(comparison)
    return comparisons


def _compare(
    runner: ScenarioRunner,
    run: Run,
    request: pytest.FixtureRequest,
    relation: str,
    variant: str,
    original: Scenario,
    follow: Scenario,
) -> None:
    """Ask ``original`` and ``follow`` in one batch, judge ``relation`` on their answers (the
    follow-up named ``variant``), record the comparison and fail when it is broken."""
    first, second = runner.answers([original, follow])
    comparison = Comparison(
        RELATION[relation],
        variant,
        _observed(follow, second),
        _observed(original, first),
        f"submit x {original.kind}",
    )
    assert_relations_hold(_record(run, [comparison]), reproduce_command(request, run))


@pytest.mark.parametrize("how", ASKED_REWRITES, ids=lambda how: how.name)
def test_equivalent_statement(
    how: Rewrite,
    scenario_runner: ScenarioRunner,
    namer: Namer,
    judge: Judge,
    run: Run,
    request: pytest.FixtureRequest,
) -> None:
    """A statement and its rewrite, submitted with the same grants, get the same answer."""

    @st.composite
    def rewritten(draw: st.DrawFn) -> tuple[Scenario, Variant]:
        scenario = draw(_submits(judge, namer, (VerdictKind.ALLOWED, VerdictKind.FORBIDDEN)))
        variant = rewrite(scenario.sql, how)
        if isinstance(variant, Inapplicable):
            reject()  # another statement: this rewrite has nothing to change in this one
        return scenario, variant

    @settings(max_examples=examples_per_cell(run.facts.get("hypothesis_profile", "ci")))
    @given(rewritten())
    @aborts_on_infrastructure
    def equivalent(drawn: tuple[Scenario, Variant]) -> None:
        original, variant = drawn
        changed = _unsteered(replace(original, sql=variant.sql))
        _compare(
            scenario_runner,
            run,
            request,
            "equivalent-statement",
            variant.rewrite,
            original,
            changed,
        )

    equivalent()


def test_grant_added(
    scenario_runner: ScenarioRunner,
    namer: Namer,
    judge: Judge,
    run: Run,
    request: pytest.FixtureRequest,
) -> None:
    """An allowed submit stays allowed (no 403) when its actor holds one grant more."""

    @st.composite
    def with_one_more(draw: st.DrawFn) -> tuple[Scenario, Scenario, str]:
        scenario = draw(_submits(judge, namer, (VerdictKind.ALLOWED,)))
        actor = scenario.submitter
        grant = draw(added_grants(actor))
        more = with_grant(actor, grant)
        users = tuple(more if user == actor else user for user in scenario.users)
        superset = _unsteered(
            replace(scenario, users=users, submit=replace(scenario.submit, actor=more))
        )
        return scenario, superset, f"+ {named(grant)}"

    @settings(max_examples=_examples())
    @given(with_one_more())
    @aborts_on_infrastructure
    def monotone(drawn: tuple[Scenario, Scenario, str]) -> None:
        original, superset, added = drawn
        _compare(scenario_runner, run, request, "grant-added", added, original, superset)

    monotone()


@st.composite
def _holding(draw: st.DrawFn, namer: Namer, query: GeneratedQuery, held: GrantVariant) -> Scenario:
    """``query`` submitted by a fresh user whose one role holds ``held``'s grants."""
    role = RoleSpec(draw(user_names(namer, "role")), held.grants)
    user = UserSpec(draw(user_names(namer)), draw(passwords()), (role,))
    return Scenario(
        sql=query.sql,
        kind=query.kind.value,
        users=(user,),
        submit=Request("submit", user, credentials(user)),
        context=query.context,
    )


def test_required_set(
    scenario_runner: ScenarioRunner,
    namer: Namer,
    judge: Judge,
    run: Run,
    request: pytest.FixtureRequest,
) -> None:
    """Exactly the required set allows a submit; without any one of its elements, refused.

    The required set is what the oracle lists for the submit plus what the deviation registry
    says this Druid also wants before a task-API submission becomes a task
    (``Judge.workaround_for("submit")``; the statements API's own are not in it)."""

    @st.composite
    def family(draw: st.DrawFn) -> list[tuple[GrantVariant, Scenario]]:
        query = draw(queries(namer))
        required = required_permissions(
            query, Operation.SUBMIT, profile=judge.profile, settings=judge.settings
        )
        variants = minus_one((*required, *judge.workaround_for("submit")))
        return [(variant, draw(_holding(namer, query, variant))) for variant in variants]

    @settings(max_examples=_examples())
    @given(family())
    @aborts_on_infrastructure
    def minimal(drawn: list[tuple[GrantVariant, Scenario]]) -> None:
        answers = scenario_runner.answers([scenario for _, scenario in drawn])
        (exact, exact_scenario), *fewer = drawn
        source = _observed(exact_scenario, answers[0])
        label = f"submit x {exact_scenario.kind}"
        comparisons = [Comparison(RELATION["required-set-allows"], exact.name, source, None, label)]
        comparisons += [
            Comparison(
                RELATION["required-minus-one-denies"],
                variant.name,
                _observed(scenario, exchanges),
                source,
                label,
            )
            for (variant, scenario), exchanges in zip(fewer, answers[1:], strict=True)
        ]
        assert_relations_hold(_record(run, comparisons), reproduce_command(request, run))

    minimal()
