"""The MSQ dialect parses what it renders, renders what it parses, and names what it refuses."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from conformance.dialect import (
    ClusteredBy,
    ContextSet,
    ExportDestination,
    MSQInsert,
    MSQReplace,
    Overwrite,
    PartitionedBy,
    TableFunction,
    UnsupportedSyntax,
    parse,
    parse_one,
    render,
    render_script,
)
from tests.strategies_sql import scripts

# Statements from Druid's documentation (SQL-based ingestion reference, examples, API pages).
DOCUMENTED = [
    # reference.md: INSERT / REPLACE statement formats
    "INSERT INTO w SELECT * FROM src PARTITIONED BY DAY",
    "INSERT INTO w SELECT * FROM src PARTITIONED BY DAY CLUSTERED BY a, b",
    "REPLACE INTO w OVERWRITE ALL SELECT * FROM src PARTITIONED BY ALL TIME",
    "REPLACE INTO \"your-table\" OVERWRITE WHERE __time >= TIMESTAMP '2019-08-25' "
    "AND __time < TIMESTAMP '2019-08-28' SELECT * FROM src PARTITIONED BY DAY",
    # reference.md: PARTITIONED BY examples
    "INSERT INTO w SELECT * FROM src PARTITIONED BY HOUR",
    "INSERT INTO w SELECT * FROM src PARTITIONED BY 'HOUR'",
    "INSERT INTO w SELECT * FROM src PARTITIONED BY 'PT1H'",
    "INSERT INTO w SELECT * FROM src PARTITIONED BY TIME_FLOOR(__time, 'PT1H')",
    "INSERT INTO w SELECT * FROM src PARTITIONED BY FLOOR(__time TO DAY)",
    "INSERT INTO w SELECT * FROM src LIMIT 10 PARTITIONED BY ALL",
    # reference.md: EXTERN variation 1 and 2, with and without EXTEND
    'SELECT * FROM TABLE(EXTERN(\'{"type":"http","uris":["https://druid.apache.org/data/'
    'wikipedia.json.gz"]}\', \'{"type":"json"}\', \'[{"name":"added","type":"long"}]\'))',
    'SELECT * FROM TABLE(EXTERN(inputSource => \'{"type":"inline","data":"a\\n1"}\', '
    'inputFormat => \'{"type":"csv"}\')) (timestamp VARCHAR, metricType VARCHAR, value BIGINT)',
    'SELECT * FROM TABLE(EXTERN(inputSource => \'{"type":"inline","data":"a\\n1"}\', '
    'inputFormat => \'{"type":"csv"}\')) EXTEND (timestamp VARCHAR, value BIGINT)',
    # input-source table functions with named arguments
    "SELECT * FROM TABLE(http(userName => 'bob', password => 'secret', "
    "uris => ARRAY['http://example.com/a.csv'], format => 'csv')) EXTEND (x VARCHAR, y BIGINT)",
    "SELECT * FROM TABLE(inline(data => 'a,b', format => 'csv')) (a VARCHAR, b VARCHAR)",
    "SELECT * FROM TABLE(localfiles(baseDir => '/tmp', filter => '*.csv', format => 'csv')) "
    "(x VARCHAR)",
    "SELECT * FROM TABLE(s3(uris => ARRAY['s3://b/k.json'], format => 'json')) (x VARCHAR)",
    # reference.md: export
    "INSERT INTO EXTERN(S3(bucket => 'your_bucket', prefix => 'prefix/to/files')) AS CSV "
    "SELECT * FROM src",
    "INSERT INTO EXTERN(local(exportPath => 'exportLocation/query1')) AS CSV SELECT * FROM src",
    # tutorial-transform: WITH inside INSERT
    'INSERT INTO "transform_tutorial" WITH "ext" AS (SELECT * FROM src) '
    'SELECT TIME_PARSE("timestamp") AS "__time", "animal" FROM "ext" PARTITIONED BY DAY',
    # joins, unions, subqueries, schemas, APPEND
    "SELECT w.page, k.c FROM wikipedia AS w JOIN kttm AS k ON w.page = k.page",
    "SELECT * FROM a UNION ALL SELECT * FROM b",
    "SELECT * FROM (SELECT page FROM wikipedia WHERE added > 1) AS t",
    "SELECT * FROM view.v JOIN lookup.lk ON v.k = lk.k",
    "SELECT * FROM sys.segments",
    "SELECT * FROM INFORMATION_SCHEMA.TABLES",
    "SELECT * FROM druid.wikipedia",
    "SELECT * FROM TABLE(APPEND('a', 'b'))",
    # SET statements before the query
    "SET sqlTimeZone = 'America/Los_Angeles'; SET maxNumTasks = 3; SELECT 1",
]


@pytest.mark.parametrize("sql", DOCUMENTED)
def test_documented_statement_round_trips(sql: str) -> None:
    trees = parse(sql)
    rendered = render_script(trees)
    again = parse(rendered)
    assert again == trees
    assert render_script(again) == rendered


def test_partitioned_and_clustered_are_nodes() -> None:
    tree = parse_one("INSERT INTO w SELECT * FROM src PARTITIONED BY DAY CLUSTERED BY a, b DESC")
    assert isinstance(tree, MSQInsert)
    assert tree.args["partitioned_by"] == PartitionedBy.keyword("DAY")
    clustered = tree.args["clustered_by"]
    assert isinstance(clustered, ClusteredBy) and len(clustered.expressions) == 2


def test_replace_overwrite_where_keeps_the_timestamp_literal_form() -> None:
    sql = (
        "REPLACE INTO w OVERWRITE WHERE __time >= TIMESTAMP '2020-01-01' SELECT * FROM src "
        "PARTITIONED BY DAY"
    )
    tree = parse_one(sql)
    assert isinstance(tree, MSQReplace)
    assert isinstance(tree.args["overwrite"], Overwrite)
    assert render(tree) == sql  # not CAST(... AS TIMESTAMP): OVERWRITE accepts only TIMESTAMP '..'


def test_extend_keyword_is_optional_but_remembered() -> None:
    with_kw = parse_one("SELECT * FROM TABLE(inline(data => 'a')) EXTEND (a VARCHAR)")
    without = parse_one("SELECT * FROM TABLE(inline(data => 'a')) (a VARCHAR)")
    assert with_kw != without
    assert "EXTEND (a VARCHAR)" in render(with_kw)
    assert "EXTEND" not in render(without)


def test_builders_from_the_module_docstring() -> None:
    extern = TableFunction.build(
        "EXTERN",
        [
            exp.Literal.string('{"type":"inline","data":"a\\n1"}'),
            exp.Literal.string('{"type":"csv"}'),
        ],
        columns=[("a", "VARCHAR")],
        extend=True,
    )
    tree = MSQInsert(
        this=exp.to_table("wiki"),
        expression=exp.select("*").from_(extern),
        partitioned_by=PartitionedBy.keyword("DAY"),
        clustered_by=ClusteredBy(expressions=[exp.column("a")]),
    )
    assert render(tree) == (
        'INSERT INTO wiki SELECT * FROM TABLE(EXTERN(\'{"type":"inline","data":"a\\n1"}\', '
        '\'{"type":"csv"}\')) EXTEND (a VARCHAR) PARTITIONED BY DAY CLUSTERED BY a'
    )
    export = MSQInsert(
        this=ExportDestination.build("local", exportPath="/x"),
        export_format=exp.Var(this="CSV"),
        expression=exp.select("*").from_("src"),
    )
    assert (
        render(export) == "INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV SELECT * FROM src"
    )
    assert render(ContextSet.build("maxNumTasks", 2)) == "SET maxNumTasks = 2"
    assert parse(render_script([ContextSet.build("a", True), tree]))[0] == ContextSet.build(
        "a", True
    )


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("DELETE FROM t", "DELETE statement"),
        ("UPDATE t SET a = 1", "UPDATE statement"),
        ("CREATE TABLE t (a INT)", "CREATE statement"),
        ("DROP TABLE t", "DROP statement"),
        ("SET a = b", "SET statement other than SET key = value"),
        ("INSERT t SELECT 1", "near"),
        ("REPLACE INTO t SELECT 1 PARTITIONED BY DAY", "near"),
        ("SELECT * FROM", "near 'FROM'"),
        ("", "empty statement"),
        ("INSERT INTO EXTERN(local(exportPath => 'x')) SELECT 1", "near"),
    ],
)
def test_unsupported_syntax_names_the_construct(sql: str, construct: str) -> None:
    with pytest.raises(UnsupportedSyntax) as raised:
        parse(sql)
    assert construct in str(raised.value)
    assert raised.value.construct


def test_parse_one_refuses_scripts() -> None:
    with pytest.raises(UnsupportedSyntax, match="more than one statement"):
        parse_one("SELECT 1; SELECT 2")


@settings(max_examples=300, deadline=None)
@given(scripts())
def test_generated_scripts_round_trip(script: tuple[list[exp.Expression], object]) -> None:
    trees, _ = script
    sql = render_script(trees)
    parsed = parse(sql)
    assert render_script(parsed) == sql  # renders what it parses
    assert parse(render_script(parsed)) == parsed  # parses what it renders
    assert len(parsed) == len(trees)
    assert [type(t) for t in parsed] == [type(t) for t in trees]


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_raises_unsupported_syntax(text: str) -> None:
    with contextlib.suppress(UnsupportedSyntax):
        parse(text)
