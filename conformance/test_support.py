"""Assertions that explain themselves: the rule, its passage and the exchange that broke it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance.runner.checks import same_answer
from conformance.runner.run import Run
from fixtures.client import DruidClient, Exchange
from fixtures.provision import Grant

SEED_001 = "Apache Druid 24.0 docs, multi-stage-query/security.md (seed 001)"
SPEC_HTTP = "shared/SPEC.md section 2, the HTTP surface"

# make_user(grants) -> a client of a fresh user holding those grants (conformance/conftest.py)
UserFactory = Callable[[list[Grant]], DruidClient]


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


def expect(exchange: Exchange, documented: int, rule: Rule) -> None:
    """Compare as every check does (``same_answer``: by class for 2xx, exactly otherwise)."""
    if same_answer(documented, exchange.status):
        return
    body = (
        json.dumps(exchange.body)[:500]
        if not isinstance(exchange.body, str)
        else exchange.body[:500]
    )
    raise AssertionError(
        f"Druid answered {exchange.status}, the documentation says {documented}.\n"
        f'  rule: {rule.source}\n  passage: "{rule.passage}"\n'
        f"  request: {exchange.method} {exchange.path} as {exchange.user or 'nobody'} "
        f"{json.dumps(exchange.request_body) if exchange.request_body is not None else ''}\n"
        f"  response: {exchange.status} {body}"
    )
