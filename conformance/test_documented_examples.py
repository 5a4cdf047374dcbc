"""Worked examples of the documented rules, as a table (like Kafka's authorizer tests).

Each row is a statement, what its submitter holds and what another user holds; running it
submits, asks for the status as both, and cancels once. Every answer is judged by the oracle, so
a row needs no expected value of its own: the rule tables are the expectation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.runner.checks import assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import ScenarioRunner, fresh_identity
from fixtures.provision import Grant
from strategies.scenario import Scenario

pytestmark = pytest.mark.druid

EXTERN_INLINE = (
    'TABLE(EXTERN(\'{"type":"inline","data":"2024-01-01T00:00:00Z,a\\n"}\', '
    '\'{"type":"csv","columns":["t","page"]}\', '
    '\'[{"name":"t","type":"string"},{"name":"page","type":"string"}]\'))'
)


def read(name: str) -> Grant:
    return Grant("DATASOURCE", name, "READ")


def write(name: str) -> Grant:
    return Grant("DATASOURCE", name, "WRITE")


EXTERNAL = Grant("EXTERNAL", "EXTERNAL", "READ")
QUERY_SELECT = read("__query_select")


@dataclass(frozen=True)
class Row:
    id: str
    sql: str  # {out} is replaced by a fresh output datasource
    submitter: tuple[Grant, ...]
    other: tuple[Grant, ...]


ROWS = (
    Row(
        "select-read",
        'SELECT page FROM "wikipedia"',
        (read("wikipedia"), QUERY_SELECT),
        (QUERY_SELECT,),
    ),
    Row("select-no-read", 'SELECT page FROM "wikipedia"', (QUERY_SELECT,), ()),
    Row(
        "select-other-lacks-stub",
        'SELECT page FROM "wikipedia"',
        (read("wikipedia"),),
        (read("wikipedia"),),
    ),
    Row("select-literal-no-grants", "SELECT 1", (), ()),
    Row("select-regex-prefix", 'SELECT page FROM "wikipedia"', (read("wiki.*"),), ()),
    Row("select-near-miss", 'SELECT page FROM "wikipedia"', (read("wiki"),), ()),
    Row("select-case", 'SELECT page FROM "Wiki"', (read("wiki"),), ()),
    Row(
        "select-join-one-missing",
        'SELECT w.page FROM "wikipedia" w JOIN "koalas" k ON w.page = k.page',
        (read("wikipedia"),),
        (),
    ),
    Row(
        "insert-write-and-read",
        'INSERT INTO "{out}" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY',
        (read("wikipedia"), write("{out}"), read("{out}")),
        (read("{out}"),),
    ),
    Row(
        "insert-write-only",
        'INSERT INTO "{out}" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY',
        (read("wikipedia"), write("{out}")),
        (write("{out}"),),
    ),
    Row(
        "insert-read-only-target",
        'INSERT INTO "{out}" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY',
        (read("wikipedia"), read("{out}")),
        (),
    ),
    Row(
        "insert-extern",
        f'INSERT INTO "{{out}}" SELECT TIME_PARSE(t) AS __time, page FROM {EXTERN_INLINE} '
        "PARTITIONED BY DAY",
        (EXTERNAL, write("{out}"), read("{out}")),
        (read("{out}"),),
    ),
    Row(
        "insert-extern-no-external",
        f'INSERT INTO "{{out}}" SELECT TIME_PARSE(t) AS __time, page FROM {EXTERN_INLINE} '
        "PARTITIONED BY DAY",
        (write("{out}"), read("{out}")),
        (),
    ),
    Row(
        "replace-all",
        'REPLACE INTO "{out}" OVERWRITE ALL SELECT __time, page FROM "koalas" '
        "PARTITIONED BY ALL TIME",
        (read("koalas"), write("{out}"), read("{out}")),
        (read("{out}"), write("{out}")),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_documented_example(row: Row, scenario_runner: ScenarioRunner, run: Run) -> None:
    out = f"ex_{run.tag}_{row.id.replace('-', '_')}"
    scenario = Scenario.everyone_asks(
        row.sql.replace("{out}", out),
        row.id,
        fresh_identity(f"sub_{run.tag}", row.submitter, out),
        (fresh_identity(f"oth_{run.tag}", row.other, out),),
    )
    assert_conforms(scenario_runner.run(scenario))
