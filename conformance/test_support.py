"""Assertions that explain themselves: the rule, its passage and the exchange that broke it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from conformance.runner.checks import Outcome, same_answer
from conformance.runner.run import Run
from conformance.runner.scenario import Judge
from fixtures.client import DruidClient, Exchange
from fixtures.provision import Grant

SEED_001 = "Apache Druid 24.0 docs, multi-stage-query/security.md (seed 001)"
SPEC_HTTP = "shared/SPEC.md section 2, the HTTP surface"

# make_user(grants) -> a client of a fresh user holding those grants (conformance/conftest.py)
UserFactory = Callable[[list[Grant]], DruidClient]


def insert_one_row(target: str) -> str:
    """An INSERT of one literal row into ``target`` (quoted): it reads no table, and needs only
    WRITE DATASOURCE on ``target``."""
    return (
        f"INSERT INTO \"{target}\" SELECT TIMESTAMP '2024-01-01 00:00:00' AS __time, "
        "'x' AS page PARTITIONED BY DAY"
    )


def reproduce_command(request: pytest.FixtureRequest, run: Run) -> str:
    """The command that reruns the requesting test with the run's Hypothesis profile and seed:
    the last line of every failure's text."""
    command = f"pytest '{request.node.nodeid}'"
    command += f" --hypothesis-profile {run.facts.get('hypothesis_profile', 'ci')}"
    if "hypothesis_seed" in run.facts:
        command += f" --hypothesis-seed {run.facts['hypothesis_seed']}"
    return command + "  (add --druid-url to reuse a running cluster)"


@dataclass(frozen=True)
class Rule:
    source: str
    passage: str


def expect(
    judge: Judge,
    exchange: Exchange,
    documented: int,
    rule: Rule,
    *,
    operation: str,
    sql: str,
    grants: Sequence[Grant] = (),
    authenticated: bool = True,
    task_exists: bool = True,
) -> None:
    """Judge ``exchange`` (``operation`` on ``sql`` by an actor holding ``grants``, who
    submitted it) like every check, and compare as every check does (``same_answer``: by class
    for 2xx, exactly otherwise). ``documented`` is what ``rule`` says; the oracle must read the
    run's profile and settings the same way (AssertionError otherwise: a bug of the suite). A
    disagreement the deviation registry explains passes, as it does in every other test (e.g.
    ``SELECT 1`` under ``authorizeQueryContextParams``: DRUID-CONTEXT-AUTH-QUERYID); any other
    raises AssertionError with the rule, its passage and the exchange."""
    body = exchange.request_body if isinstance(exchange.request_body, dict) else {}
    check = judge.check(
        f"{operation} (basics)",
        operation,
        exchange,
        sql=sql,
        context=dict(body.get("context") or {}),
        permissions=tuple(g.to_permission() for g in grants),
        actor_is_submitter=True,
        authenticated=authenticated,
        task_exists=task_exists,
    )
    oracle = check.verdict.status
    if oracle is None or not same_answer(documented, oracle):
        raise AssertionError(
            f"the oracle reads this case otherwise than the test: {check.verdict.status} "
            f"({check.verdict.reason}), the test says {documented} ({rule.source})"
        )
    if check.outcome is not Outcome.NEW_DEVIATION:
        return
    shown = (
        json.dumps(exchange.body)[:500]
        if not isinstance(exchange.body, str)
        else exchange.body[:500]
    )
    raise AssertionError(
        f"Druid answered {exchange.status}, the documentation says {documented}.\n"
        f'  rule: {rule.source}\n  passage: "{rule.passage}"\n'
        f"  request: {exchange.method} {exchange.path} as {exchange.user or 'nobody'} "
        f"{json.dumps(exchange.request_body) if exchange.request_body is not None else ''}\n"
        f"  response: {exchange.status} {shown}"
    )
