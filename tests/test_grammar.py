"""The documented grammar as an allow-list: what is Druid SQL, what is not, what the pages leave
open, edition by edition (conformance/oracle/grammar.toml, docs/oracle.md "The grammar")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlglot import exp

from conformance.oracle import Case, Verdict, VerdictKind, decide
from conformance.oracle.dialect import (
    InvalidSQL,
    UnsupportedSyntax,
    parse,
    parse_cached,
    render_script,
)
from conformance.oracle.grammar import GrammarError, grammar, load_grammar, scan
from conformance.oracle.permissions import RESOURCE_TYPES, Action, Permission
from conformance.oracle.profiles import PROFILES
from strategies.naming import make_namer
from strategies.queries import ALL_KINDS, GeneratedQuery, queries
from tests.strategies_sql import Generated, scripts

ALLOWED, INVALID, UNDECIDED = VerdictKind.ALLOWED, VerdictKind.INVALID, VerdictKind.UNDECIDED
EVERY_GRANT = tuple(Permission(".*", t, a) for t in sorted(RESOURCE_TYPES) for a in Action)
PROFILE_NAMES = sorted(PROFILES)
OLD = ("druid-24", "imply-2022.06")  # Apache Druid 24.0's documentation


def judge(sql: str, profile: str, permissions: tuple[Permission, ...] = EVERY_GRANT) -> Verdict:
    return decide(
        Case(id="g", operation="submit", sql=sql, profile=profile, permissions=permissions)
    )


# --------------------------------------------------------------------------- the brief's examples


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_explain_plan_for_is_documented_but_not_modelled(profile: str) -> None:
    sql = "EXPLAIN PLAN FOR SELECT page FROM wikipedia"
    for permissions in (EVERY_GRANT, ()):
        verdict = judge(sql, profile, permissions)
        assert verdict.verdict is UNDECIDED and verdict.status is None
        assert verdict.rule.id == "common.undecided"
        assert "EXPLAIN PLAN FOR" in verdict.reason and "not modelled" in verdict.reason


def test_explain_checks_the_statement_it_explains() -> None:
    with pytest.raises(InvalidSQL, match=r"SELECT \.\.\. INTO"):
        parse("EXPLAIN PLAN FOR SELECT * INTO w FROM wikipedia")
    with pytest.raises(InvalidSQL, match="EXPLAIN without PLAN FOR"):
        parse("EXPLAIN SELECT 1")
    with pytest.raises(UnsupportedSyntax, match="EXPLAIN PLAN FOR"):
        parse("explain plan with implementation for SELECT 1")  # Calcite's options: still EXPLAIN
    # a status or cancel of a task whose statement is an EXPLAIN: undecided too, not an error
    status = decide(Case(id="s", operation="status", sql="EXPLAIN PLAN FOR SELECT 1"))
    assert status.verdict is UNDECIDED


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("SELECT * INTO w FROM wikipedia", "SELECT ... INTO"),
        ("SELECT * FROM wikipedia FOR UPDATE", "FOR UPDATE"),
        ("SELECT * FROM ONLY wikipedia", "FROM ONLY"),
    ],
)
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_other_dialects_sql_is_a_bad_query_whatever_is_held(
    sql: str, construct: str, profile: str
) -> None:
    for permissions in (EVERY_GRANT, ()):
        verdict = judge(sql, profile, permissions)
        assert (verdict.verdict, verdict.status) == (INVALID, 400), verdict.reason
        assert verdict.rule.id == "common.invalid-sql"
        assert construct in verdict.reason


# --------------------------------------------------------------------------- by edition

# (statement, verdict on druid-24 and imply-2022.06, on druid-27, on druid-latest), with every
# grant: ALLOWED means the documentation has it (the rule tables judge it)
BY_EDITION: list[tuple[str, VerdictKind, VerdictKind, VerdictKind]] = [
    # the documented structure, in every edition
    ("SELECT DISTINCT page FROM wikipedia", ALLOWED, ALLOWED, ALLOWED),
    ("SELECT ALL page FROM wikipedia", ALLOWED, ALLOWED, ALLOWED),
    (
        "WITH t (a, b) AS (SELECT page, added FROM wikipedia) SELECT a FROM t",
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    (
        "SELECT page, COUNT(*) FROM wikipedia GROUP BY page HAVING COUNT(*) > 1",
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    ("SELECT page FROM wikipedia GROUP BY GROUPING SETS ((page), ())", ALLOWED, ALLOWED, ALLOWED),
    ("SELECT page FROM wikipedia GROUP BY ROLLUP (page)", ALLOWED, ALLOWED, ALLOWED),
    ("SELECT page FROM wikipedia GROUP BY CUBE (page)", ALLOWED, ALLOWED, ALLOWED),
    (
        "SELECT __time FROM wikipedia ORDER BY __time DESC LIMIT 5 OFFSET 2",
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    ("SELECT page FROM a UNION ALL SELECT page FROM b", ALLOWED, ALLOWED, ALLOWED),
    ("SELECT * FROM (SELECT page FROM a UNION ALL SELECT page FROM b)", ALLOWED, ALLOWED, ALLOWED),
    ("SELECT * FROM a INNER JOIN b ON a.k = b.k", ALLOWED, ALLOWED, ALLOWED),
    ("SELECT * FROM a LEFT OUTER JOIN lookup.l ON a.k = l.k", ALLOWED, ALLOWED, ALLOWED),
    ("SELECT * FROM a WHERE k IN (SELECT k FROM b)", ALLOWED, ALLOWED, ALLOWED),
    ("SELECT COUNT(DISTINCT page) FROM wikipedia", ALLOWED, ALLOWED, ALLOWED),
    # excluded by the pages: UNION without ALL, join forms outside [ INNER | LEFT ] JOIN ... ON
    ("SELECT page FROM a UNION SELECT page FROM b", INVALID, INVALID, INVALID),
    ("SELECT page FROM a UNION DISTINCT SELECT page FROM b", INVALID, INVALID, INVALID),
    ("SELECT * FROM a LEFT JOIN b", INVALID, INVALID, INVALID),
    ("SELECT * FROM a OUTER JOIN b ON a.k = b.k", INVALID, INVALID, INVALID),
    ("SELECT * FROM a CROSS JOIN b ON a.k = b.k", INVALID, INVALID, INVALID),
    # the SQL-based ingestion reference's sort-merge join types, from Druid 26.0
    ("SELECT * FROM a RIGHT JOIN b ON a.k = b.k", INVALID, ALLOWED, ALLOWED),
    ("SELECT * FROM a FULL OUTER JOIN b ON a.k = b.k", INVALID, ALLOWED, ALLOWED),
    ("SELECT * FROM a CROSS JOIN b", INVALID, ALLOWED, ALLOWED),
    ("SELECT * FROM a, b", INVALID, ALLOWED, ALLOWED),
    # UNNEST from 26.0 (before: ISO SQL the pages do not mention), PIVOT/UNPIVOT from 29.0
    ("SELECT x FROM a CROSS JOIN UNNEST(MV_TO_ARRAY(tags)) AS t(x)", UNDECIDED, ALLOWED, ALLOWED),
    ("SELECT * FROM UNNEST(ARRAY[1, 2]) AS t(x)", UNDECIDED, ALLOWED, ALLOWED),
    (
        "SELECT * FROM wikipedia PIVOT (SUM(deleted) AS s FOR cityName IN ('Paris' AS p))",
        INVALID,
        INVALID,
        ALLOWED,
    ),
    (
        "SELECT * FROM wikipedia UNPIVOT (changes FOR action IN (added, deleted))",
        INVALID,
        INVALID,
        ALLOWED,
    ),
    # silent: ISO SQL the pages neither list nor exclude
    ("SELECT page FROM a INTERSECT SELECT page FROM b", UNDECIDED, UNDECIDED, UNDECIDED),
    ("SELECT page FROM a EXCEPT SELECT page FROM b", UNDECIDED, UNDECIDED, UNDECIDED),
    ("SELECT * FROM a NATURAL JOIN b", UNDECIDED, UNDECIDED, UNDECIDED),
    ("SELECT * FROM a JOIN b USING (k)", UNDECIDED, UNDECIDED, UNDECIDED),
    ("SELECT * FROM a, LATERAL (SELECT 1) AS t", UNDECIDED, UNDECIDED, UNDECIDED),
    ("SELECT * FROM a TABLESAMPLE BERNOULLI (10)", UNDECIDED, UNDECIDED, UNDECIDED),
    ("SELECT * FROM a FETCH FIRST 5 ROWS ONLY", UNDECIDED, UNDECIDED, UNDECIDED),
    ("SELECT * FROM a ORDER BY __time NULLS LAST", UNDECIDED, UNDECIDED, UNDECIDED),
    ("WITH RECURSIVE t AS (SELECT 1) SELECT * FROM t", UNDECIDED, UNDECIDED, UNDECIDED),
    ("SELECT * FROM (VALUES (1, 2)) AS t (a, b)", UNDECIDED, UNDECIDED, UNDECIDED),
    ("VALUES (1, 2)", UNDECIDED, UNDECIDED, UNDECIDED),
    # window functions: documented from 28.0 with conditions the oracle does not model
    ("SELECT SUM(added) OVER (PARTITION BY page) FROM a", UNDECIDED, UNDECIDED, UNDECIDED),
    (
        "SELECT SUM(added) OVER w FROM a GROUP BY page, added WINDOW w AS (PARTITION BY page)",
        UNDECIDED,
        UNDECIDED,
        UNDECIDED,
    ),
    # other dialects' SQL
    ("SELECT * FROM a QUALIFY ROW_NUMBER() OVER (ORDER BY __time) = 1", INVALID, INVALID, INVALID),
    ("SELECT DISTINCT ON (page) page FROM a", INVALID, INVALID, INVALID),
    ("SELECT * FROM a LIMIT 5 BY page", INVALID, INVALID, INVALID),
    ("SELECT * FROM a SEMI JOIN b ON a.k = b.k", INVALID, INVALID, INVALID),
    ("SELECT * FROM a ASOF JOIN b ON a.k = b.k", INVALID, INVALID, INVALID),
    ("SELECT * FROM a CROSS APPLY f(a.k)", INVALID, INVALID, INVALID),
    ("SELECT * EXCEPT (page) FROM a", INVALID, INVALID, INVALID),
    ("SELECT * FROM a WITH (NOLOCK)", INVALID, INVALID, INVALID),
    ("SELECT * FROM a FINAL", INVALID, INVALID, INVALID),
    ("SELECT * FROM a FOR SHARE", INVALID, INVALID, INVALID),
    ("SELECT * FROM a CLUSTER BY page", INVALID, INVALID, INVALID),
    ("SELECT page FROM a GROUP BY ALL", INVALID, INVALID, INVALID),
    ("SELECT * FROM a WHERE k IN (SELECT k FROM b FOR UPDATE)", INVALID, INVALID, INVALID),
]


@pytest.mark.parametrize(("sql", "old", "v27", "latest"), BY_EDITION)
def test_constructs_by_edition(
    sql: str, old: VerdictKind, v27: VerdictKind, latest: VerdictKind
) -> None:
    expected = {"druid-24": old, "imply-2022.06": old, "druid-27": v27, "druid-latest": latest}
    got = {profile: judge(sql, profile).verdict for profile in expected}
    assert got == expected, [judge(sql, p).reason for p in expected]


def test_reasons_name_the_construct_and_the_release() -> None:
    right = judge("SELECT * FROM a RIGHT JOIN b ON a.k = b.k", "druid-24")
    assert "RIGHT JOIN is documented from Apache Druid 26.0" in right.reason
    assert "profile druid-24 judges Apache Druid 24.0" in right.reason
    unnest = judge("SELECT * FROM UNNEST(ARRAY[1]) AS t(x)", "imply-2022.06")
    assert "UNNEST is documented from Apache Druid 26.0" in unnest.reason
    assert "silent" in unnest.reason
    union = judge("SELECT 1 UNION SELECT 2", "druid-latest")
    assert "UNION without ALL" in union.reason and "query.union-distinct" in union.reason
    intersect = judge("SELECT 1 INTERSECT SELECT 2", "druid-latest")
    assert "INTERSECT" in intersect.reason and "neither lists nor excludes" in intersect.reason


def test_an_invalid_construct_wins_over_an_undecided_one() -> None:
    # a 400 is certain whatever the undecided part would mean
    with pytest.raises(InvalidSQL, match="FOR UPDATE"):
        parse("SELECT * FROM a NATURAL JOIN b FOR UPDATE")
    old = judge("SELECT * FROM a CROSS JOIN b, UNNEST(ARRAY[1]) AS t(x)", "druid-24")
    assert old.verdict is INVALID and "CROSS JOIN" in old.reason
    missing = judge("SELECT * FROM sys.nope CROSS JOIN UNNEST(ARRAY[1]) AS t(x)", "druid-24")
    assert missing.verdict is INVALID and missing.rule.id == "common.missing-table"


def test_reserved_words_only_unquoted() -> None:
    assert judge('SELECT * FROM "ONLY"', "druid-27").verdict is ALLOWED
    assert judge('SELECT * FROM a AS "FINAL"', "druid-27").verdict is ALLOWED
    assert judge("SELECT * FROM only_pages", "druid-27").verdict is ALLOWED


def test_ingestion_statements_pass_the_grammar() -> None:
    for sql in (
        "INSERT INTO w SELECT * FROM src PARTITIONED BY DAY CLUSTERED BY a, b",
        "REPLACE INTO w OVERWRITE ALL SELECT * FROM src PARTITIONED BY ALL TIME",
        "REPLACE INTO w OVERWRITE WHERE __time >= TIMESTAMP '2020-01-01' "
        "SELECT * FROM src PARTITIONED BY DAY",
        "INSERT INTO EXTERN(s3(bucket => 'b', prefix => 'p')) AS CSV SELECT * FROM src",
        "INSERT INTO w SELECT * FROM TABLE(EXTERN('{}', '{}')) EXTEND (a VARCHAR) "
        "PARTITIONED BY DAY",
    ):
        assert parse_cached(sql).constructs == frozenset(), sql


def test_set_statements_are_druid_sql_from_33() -> None:
    """apache/druid#17894 (Druid 33.0.0) documents SET statements before the statement."""
    sql = "SET maxNumTasks = 2; INSERT INTO w SELECT * FROM src PARTITIONED BY DAY"
    assert parse_cached(sql).constructs == frozenset({"script.set"})
    on_27 = judge(sql, "druid-27")
    assert on_27.verdict is VerdictKind.INVALID
    assert "SET statement is documented from Apache Druid 33.0" in on_27.reason
    assert judge(sql, "druid-latest").verdict is VerdictKind.ALLOWED


# --------------------------------------------------------------------------- the generators

NAMER = make_namer("grammar_test")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries(NAMER, kinds=ALL_KINDS, existing_targets=("wikipedia",)))
def test_the_suites_generated_statements_pass_the_grammar(query: GeneratedQuery) -> None:
    found = scan(parse(query.sql))
    assert found.invalid is None and found.undecided is None, query.sql
    verdict = judge(query.sql, "druid-latest")  # the current documentation has everything
    assert verdict.verdict is ALLOWED, (query.sql, verdict.reason)


@settings(max_examples=300, deadline=None)
@given(scripts())
def test_the_oracle_tests_generated_scripts_pass_the_grammar(
    script: tuple[list[exp.Expression], Generated],
) -> None:
    sql = render_script(script[0])
    found = scan(parse(sql))
    assert found.invalid is None and found.undecided is None, sql


# --------------------------------------------------------------------------- the table itself


def test_the_packaged_table_loads_and_every_construct_cites_a_page() -> None:
    table = grammar()
    assert table.constructs
    for construct in table.constructs:
        assert construct.page and construct.passage and construct.shapes
        if construct.since is not None:
            assert construct.status == "documented" and construct.before in ("excluded", "silent")
    assert table.construct("query.explain").status == "unmodelled"


def _minimal(**construct: Any) -> dict[str, Any]:
    base = {
        "id": "x",
        "name": "X",
        "status": "documented",
        "shapes": ["Select.where"],
        "passage": "p",
    }
    base.update(construct)
    return {
        "grammar": {"title": "t", "page": "p", "version": "v"},
        "construct": [{k: v for k, v in base.items() if v is not None}],
    }


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"grammar": {"title": "t", "page": "p", "version": "v"}}, "at least one"),
        (_minimal(colour="red"), "unknown field"),
        (_minimal(status="maybe"), "status must be one of"),
        (_minimal(shapes=["NoSuchNode.x"]), "shapes"),
        (_minimal(shapes=[]), "shapes"),
        (_minimal(since="26.0"), "'before' must be one of"),
        (_minimal(since="26.0", before="documented"), "'before' must be one of"),
        (_minimal(before="excluded"), "'before' goes with 'since'"),
        (_minimal(status="silent", since="26.0", before="excluded"), "only a documented"),
        (_minimal(since="twenty", before="excluded"), "since"),
        (_minimal(passage=" "), "passage"),
        (_minimal(basis="guessed"), "basis"),
    ],
)
def test_the_table_is_validated(table: dict[str, Any], message: str) -> None:
    with pytest.raises(GrammarError, match=message):
        load_grammar(table)


def test_a_shape_belongs_to_one_construct() -> None:
    table = _minimal()
    table["construct"].append({**table["construct"][0], "id": "y"})
    with pytest.raises(GrammarError, match="claimed by x and y"):
        load_grammar(table)


def test_a_vendor_row_extends_the_allow_list() -> None:
    # a vendor documenting QUALIFY adds (or edits) one row; nothing else changes
    base = grammar()
    rows = [c for c in base.constructs if c.id != "clause.qualify"]
    qualify = replace(base.construct("clause.qualify"), status="documented")
    table = {
        "grammar": {"title": base.title, "page": base.page, "version": base.version},
        "construct": [
            {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "shapes": list(c.shapes),
                "passage": c.passage,
                **({"since": c.since_text, "before": c.before} if c.since else {}),
            }
            for c in [*rows, qualify]
        ],
    }
    extended = load_grammar(table)
    assert extended.by_shape["Select.qualify"].status == "documented"
