"""The equivalent-statement rewrites (``strategies/rewrites.py``), without Druid: what each
writes, that each variant parses and reads and writes what the original does (the oracle's
required permissions are the same), and that a rewrite with nothing to change says why."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from conformance.oracle import Case, decide
from conformance.oracle.dialect import parse_one, render
from strategies.naming import make_namer
from strategies.queries import ALL_KINDS, GeneratedQuery, query_of_kind
from strategies.rewrites import (
    REWRITE,
    REWRITES,
    Inapplicable,
    Rewrite,
    RewriteError,
    Variant,
    rewrite,
    variants,
)

NAMER = make_namer("rw_test")
JOIN = (
    'SELECT l.page AS page, r.added AS added FROM "wikipedia" AS l '
    'INNER JOIN "wiki" AS r ON l.page = r.page'
)
CTE_INGEST = (
    'INSERT INTO "t_ds1" WITH src_cte AS (SELECT page FROM "wikipedia") '
    'SELECT c.page AS page FROM src_cte AS c LEFT JOIN "wiki" AS o ON c.page = o.page '
    "PARTITIONED BY DAY"
)

# (rewrite, statement, the variant it writes)
WRITES = [
    (
        "inline-with",
        CTE_INGEST,
        'INSERT INTO "t_ds1" SELECT c.page AS page FROM (SELECT page FROM "wikipedia") AS c '
        'LEFT JOIN "wiki" AS o ON c.page = o.page PARTITIONED BY DAY',
    ),
    (
        "inline-with",  # a CTE read by a later one; an unaliased reference keeps the CTE's name
        "WITH a AS (SELECT page FROM wiki), b AS (SELECT page FROM a) SELECT b.page FROM b",
        "SELECT b.page FROM (SELECT page FROM (SELECT page FROM wiki) AS a) AS b",
    ),
    (
        "qualify-druid-schema",  # not the CTE's name, not the target
        CTE_INGEST,
        'INSERT INTO "t_ds1" WITH src_cte AS (SELECT page FROM druid."wikipedia") '
        'SELECT c.page AS page FROM src_cte AS c LEFT JOIN druid."wiki" AS o ON c.page = o.page '
        "PARTITIONED BY DAY",
    ),
    (
        "qualify-target",
        'REPLACE INTO "t_ds2" OVERWRITE ALL SELECT __time, page, added FROM "wiki" '
        "PARTITIONED BY DAY",
        'REPLACE INTO druid."t_ds2" OVERWRITE ALL SELECT __time, page, added FROM "wiki" '
        "PARTITIONED BY DAY",
    ),
    (
        "unqualify-druid-schema",
        'INSERT INTO druid.t SELECT page FROM druid."wiki" PARTITIONED BY DAY',
        'INSERT INTO t SELECT page FROM "wiki" PARTITIONED BY DAY',
    ),
    (
        "quote-identifiers",
        "SELECT page, SUM(added) AS total FROM wiki GROUP BY page",
        'SELECT "page", SUM("added") AS "total" FROM "wiki" GROUP BY "page"',
    ),
    (
        "unquote-identifiers",  # a keyword and a name with a space stay quoted
        'SELECT "page", "select", "a b" FROM "Wiki"',
        'SELECT page, "select", "a b" FROM Wiki',
    ),
    (
        "rename-table-alias",
        JOIN,
        'SELECT l_m.page AS page, r.added AS added FROM "wikipedia" AS l_m '
        'INNER JOIN "wiki" AS r ON l_m.page = r.page',
    ),
    (
        "rename-table-alias",  # the fresh name is one the statement does not use
        'SELECT l.page FROM "wiki" AS l WHERE l.page IN (SELECT l_m FROM "koalas")',
        'SELECT l_m2.page FROM "wiki" AS l_m2 WHERE l_m2.page IN (SELECT l_m FROM "koalas")',
    ),
    (
        "rename-column-alias",  # total is named by ORDER BY: the next alias is renamed
        'SELECT COUNT(*) AS total, MAX(added) AS top FROM "wiki" ORDER BY total',
        'SELECT COUNT(*) AS total, MAX(added) AS top_m FROM "wiki" ORDER BY total',
    ),
]


@pytest.mark.parametrize(("name", "sql", "expected"), WRITES, ids=[w[0] for w in WRITES])
def test_each_rewrite_writes_its_variant(name: str, sql: str, expected: str) -> None:
    assert rewrite(sql, REWRITE[name]) == Variant(name, expected)
    parse_one(expected)  # the dialect reads it back


# (rewrite, statement, a word of the reason it gives for not applying)
DOES_NOT_APPLY = [
    ("inline-with", "SELECT page FROM wiki", "no WITH"),
    ("inline-with", "WITH a AS (SELECT 1 AS x) SELECT page FROM wiki", "never referenced"),
    ("inline-with", "WITH a (p) AS (SELECT page FROM wiki) SELECT p FROM a", "column list"),
    (
        "inline-with",
        "WITH a AS (SELECT page FROM wiki) SELECT * FROM (WITH b AS (SELECT 1 AS x) "
        "SELECT x FROM b) AS s, a",
        "inside a subquery",
    ),
    ("qualify-druid-schema", "SELECT 0 AS c0", "no datasource"),
    ("qualify-druid-schema", "WITH a AS (SELECT 1 AS x) SELECT x FROM a", "no datasource"),
    ("qualify-target", "SELECT page FROM wiki", "not an INSERT"),
    ("qualify-target", "INSERT INTO druid.t SELECT 1 AS x PARTITIONED BY DAY", "no target"),
    ("unqualify-druid-schema", "SELECT page FROM wiki", "no datasource"),
    (
        "unqualify-druid-schema",
        "WITH wiki AS (SELECT 1 AS page) SELECT page FROM druid.wiki",
        "refer to a CTE",
    ),
    ("quote-identifiers", "SELECT 1", "no unquoted"),
    ("unquote-identifiers", 'SELECT "a b", "from" FROM wiki', "no quoted"),
    ("rename-table-alias", "SELECT page FROM wiki", "no table alias"),
    ("rename-table-alias", "SELECT w.page FROM wiki AS w JOIN koalas AS w ON 1 = 1", "twice"),
    ("rename-column-alias", "INSERT INTO t SELECT 1 AS x PARTITIONED BY DAY", "ingest"),
    ("rename-column-alias", "SELECT page FROM wiki", "no output column alias"),
    ("rename-column-alias", "SELECT page AS p FROM wiki GROUP BY p", "no output column alias"),
]


@pytest.mark.parametrize(
    ("name", "sql", "reason"), DOES_NOT_APPLY, ids=[f"{d[0]}: {d[2]}" for d in DOES_NOT_APPLY]
)
def test_a_rewrite_that_cannot_apply_says_why(name: str, sql: str, reason: str) -> None:
    result = rewrite(sql, REWRITE[name])
    assert isinstance(result, Inapplicable), result
    assert result.rewrite == name
    assert reason in result.reason


def test_a_rewrite_that_changes_nothing_is_inapplicable() -> None:
    same = Rewrite("same", "nothing", lambda tree: tree)
    assert rewrite("SELECT page FROM wiki", same) == Inapplicable(
        "same", "the rewrite changes nothing"
    )


def test_a_rewrite_writing_unreadable_sql_is_a_rewrite_error() -> None:
    def broken(tree: exp.Expr) -> exp.Expr:
        tree.set("from_", exp.From(this=exp.to_table("EXTERN")))
        return exp.Var(this="SELECT FROM WHERE")

    with pytest.raises(RewriteError, match="does not parse"):
        rewrite("SELECT page FROM wiki", Rewrite("broken", "breaks", broken))


def test_the_rewrites_are_named_once_and_listed_in_order() -> None:
    names = [r.name for r in REWRITES]
    assert len(set(names)) == len(names)
    assert [v.rewrite for v in variants("SELECT 1")] == names


# --------------------------------------------------------------------------- equivalence


def _required(sql: str) -> tuple[object, ...]:
    """What the oracle says submitting ``sql`` needs: the resources it reads and writes."""
    verdict = decide(Case(id="rw", operation="submit", sql=sql))
    return tuple(sorted(map(str, verdict.required)))


def _all_quoted(sql: str) -> str:
    tree = parse_one(sql)
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("quoted", True)
    return render(tree)


@settings(max_examples=150, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_KINDS).flatmap(lambda kind: query_of_kind(kind, NAMER)))
def test_every_variant_of_a_generated_statement_is_equivalent(query: GeneratedQuery) -> None:
    """Each variant parses, differs from the original, and needs exactly what the original
    needs (a rewrite that qualified a CTE's name or dropped a CTE would read another
    datasource, or none); quoting changes only quotes, schema qualification only schemas."""
    sql = query.sql
    needed = _required(sql)
    for variant in variants(sql):
        if isinstance(variant, Inapplicable):
            continue
        assert variant.sql != sql
        parse_one(variant.sql)
        assert _required(variant.sql) == needed, variant
        if variant.rewrite in ("quote-identifiers", "unquote-identifiers"):
            assert _all_quoted(variant.sql) == _all_quoted(sql)
        if variant.rewrite == "qualify-druid-schema":
            back = rewrite(variant.sql, REWRITE["unqualify-druid-schema"])
            assert isinstance(back, Variant) and back.sql == render(parse_one(sql))


def test_generated_statements_reach_every_rewrite() -> None:
    """The real-Druid test asks each rewrite on generated statements: each must apply to some
    (``unqualify-druid-schema`` too, since the generators write ``druid."x"``)."""
    reached: set[str] = set()

    @settings(max_examples=200, database=None, derandomize=True)
    @given(st.sampled_from(ALL_KINDS).flatmap(lambda kind: query_of_kind(kind, NAMER)))
    def collect(query: GeneratedQuery) -> None:
        sql = query.sql
        reached.update(v.rewrite for v in variants(sql) if isinstance(v, Variant))

    collect()
    assert reached == {r.name for r in REWRITES}
