"""The documented examples' stated answers (read from their passages) are the oracle's too.

The conformance suite runs these rows against Druid; here, without Druid, the oracle must give
every answer a row states, so that an oracle error cannot hide behind a Druid that shares it.
"""

from __future__ import annotations

import pytest

from conformance.documented_examples import FOLLOW_UPS, ROWS, Row
from conformance.oracle import Case, decide
from conformance.runner.checks import same_answer
from fixtures.provision import Grant

OUT = "ex_out"


def _case(row: Row, request: str) -> Case:
    operation, _, who = request.partition(" (")
    actor = row.submitter if request == "submit" or who == "submitter)" else row.other
    grants = tuple(Grant(g.type, g.name.replace("{out}", OUT), g.action) for g in actor)
    return Case(
        id=f"{row.id}:{request}",
        operation=operation,
        sql=row.sql.replace("{out}", OUT),
        permissions=tuple(g.to_permission() for g in grants),
        actor_is_submitter=request == "submit" or who == "submitter)",
    )


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_the_oracle_gives_every_answer_the_row_states(row: Row) -> None:
    for request, stated in row.expect.items():
        verdict = decide(_case(row, request))
        assert same_answer(stated, verdict.status or 0), (
            f"{request}: the row's passages say {stated}, the oracle {verdict.status} "
            f"({verdict.rule.id}: {verdict.reason})"
        )


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_a_row_states_every_request_it_makes(row: Row) -> None:
    assert row.because, "a row cites the passages it is read from"
    if same_answer(row.expect["submit"], 200):
        assert set(row.expect) == {"submit", *FOLLOW_UPS}
    else:
        assert set(row.expect) == {"submit"}, "a refused submit asks nothing else"
