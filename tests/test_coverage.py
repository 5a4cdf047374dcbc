"""Coverage: cells asked and agreed, the statements API's cells, questions not judged."""

from __future__ import annotations

from pathlib import Path

from conformance.oracle import Action, Case, Permission, decide, get_profile
from conformance.runner.checks import Check
from conformance.runner.run import Run
from fixtures.client import Exchange
from reports import coverage
from reports.history import History
from strategies.steering import feasible_statement_cells


def _check(observed: int) -> Check:
    case = Case(
        id=f"c{observed}",
        operation="submit",
        sql='SELECT page FROM "wikipedia"',
        permissions=(Permission("wikipedia", "DATASOURCE", Action.READ),),
    )
    exchange = Exchange("POST", "/x", "u", {}, observed, {}, 0.01, 0.0)
    return Check("submit x SELECT_DATASOURCE", case, decide(case), exchange, "27.0.0")


def test_a_cell_reached_only_by_disagreement_is_asked_not_agreed(tmp_path: Path) -> None:
    cells = ["submit x SELECT_DATASOURCE x allowed", "submit x SELECT_JOIN x allowed"]
    line = coverage.write(tmp_path / "coverage.txt", [_check(403)], cells)
    assert "1 of 2 task-API cells asked, 0 agreed" in line
    assert "missing: submit x SELECT_JOIN x allowed" in line
    assert "asked, never agreed: submit x SELECT_DATASOURCE x allowed" in line
    text = (tmp_path / "coverage.txt").read_text()
    assert "cells hit only by checks that did not agree:\n  submit x SELECT_DATASOURCE" in text
    agreed = coverage.write(tmp_path / "c2.txt", [_check(403), _check(200)], cells[:1])
    assert "1 of 1 task-API cells asked, 1 agreed" in agreed


def test_the_statements_api_has_cells_where_the_profile_has_it() -> None:
    cells = feasible_statement_cells(get_profile("druid-27").operations)
    assert "statements.submit x SELECT_JOIN x forbidden" in cells
    assert "statements.results x INSERT_FROM_LITERAL x allowed" in cells
    assert "statements.cancel x SELECT_LITERAL x forbidden" in cells  # not the submitter
    assert "statements.submit x SELECT_LITERAL x forbidden" not in cells  # needs nothing
    assert feasible_statement_cells(get_profile("druid-24").operations) == ()


def test_a_question_not_judged_is_counted_and_recorded(tmp_path: Path) -> None:
    run = Run.create(tmp_path, History)
    run.not_judged("statements.results x INSERT_FROM_LITERAL", "the query ended FAILED")
    run.not_judged("statements.results x INSERT_FROM_LITERAL", "the query ended FAILED")
    run.history.close()
    assert run.unjudged == {"statements.results x INSERT_FROM_LITERAL: the query ended FAILED": 2}
    assert (run.dir / "history.jsonl").read_text().count('"event": "not-judged"') == 2
