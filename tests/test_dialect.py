"""The MSQ dialect parses what it renders, renders what it parses, and names what it refuses."""

from __future__ import annotations

import contextlib
import importlib.metadata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from conformance.oracle import dialect
from conformance.oracle.dialect import (
    Granularity,
    InvalidSQL,
    StatementError,
    UnsupportedSyntax,
    context_key,
    context_set,
    export_destination,
    export_to,
    function_name,
    insert_into,
    is_ingest,
    is_replace,
    is_table_function,
    parse,
    parse_one,
    render,
    render_script,
    table_function,
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
    assert is_ingest(tree) and not is_replace(tree)
    assert tree.args["partitioned_by"] == Granularity.keyword("DAY")
    clustered = tree.args["clustered_by"]
    assert [type(e) for e in clustered] == [exp.Ordered, exp.Ordered]
    assert clustered[1].args.get("desc")


def test_replace_overwrite_where_keeps_the_timestamp_literal_form() -> None:
    sql = (
        "REPLACE INTO w OVERWRITE WHERE __time >= TIMESTAMP '2020-01-01' SELECT * FROM src "
        "PARTITIONED BY DAY"
    )
    tree = parse_one(sql)
    assert is_replace(tree)
    assert isinstance(tree.args["overwrite"], exp.Where)
    assert render(tree) == sql  # not CAST(... AS TIMESTAMP): OVERWRITE accepts only TIMESTAMP '..'


def test_extend_keyword_is_optional_but_remembered() -> None:
    with_kw = parse_one("SELECT * FROM TABLE(inline(data => 'a')) EXTEND (a VARCHAR)")
    without = parse_one("SELECT * FROM TABLE(inline(data => 'a')) (a VARCHAR)")
    assert with_kw != without
    assert "EXTEND (a VARCHAR)" in render(with_kw)
    assert "EXTEND" not in render(without)


def test_builders_from_the_module_docstring() -> None:
    extern = table_function(
        "EXTERN",
        [
            exp.Literal.string('{"type":"inline","data":"a\\n1"}'),
            exp.Literal.string('{"type":"csv"}'),
        ],
        columns=[("a", "VARCHAR")],
        extend=True,
    )
    tree = insert_into(
        exp.to_table("wiki"),
        exp.select("*").from_(extern),
        partitioned_by=Granularity.keyword("DAY"),
        clustered_by=[exp.column("a")],
    )
    assert render(tree) == (
        'INSERT INTO wiki SELECT * FROM TABLE(EXTERN(\'{"type":"inline","data":"a\\n1"}\', '
        '\'{"type":"csv"}\')) EXTEND (a VARCHAR) PARTITIONED BY DAY CLUSTERED BY a'
    )
    to_local = export_to(export_destination("local", exportPath="/x"), exp.select("*").from_("src"))
    assert (
        render(to_local) == "INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV SELECT * FROM src"
    )
    assert render(context_set("maxNumTasks", 2)) == "SET maxNumTasks = 2"
    assert parse(render_script([context_set("a", True), tree]))[0] == context_set("a", True)


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
    with pytest.raises(InvalidSQL) as raised:
        parse(sql)
    assert construct in str(raised.value)
    assert raised.value.construct


def test_parse_one_refuses_scripts() -> None:
    with pytest.raises(InvalidSQL, match="more than one statement"):
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
def test_arbitrary_text_parses_or_raises_a_statement_error(text: str) -> None:
    with contextlib.suppress(StatementError):
        parse(text)


# --------------------------------------------------------------------------- sqlglot builds


def _sqlglot_base_classes() -> tuple[type, ...]:
    """sqlglot's parser, generator, tokenizer and node bases: compiled ones refuse subclasses."""
    from sqlglot.generator import Generator
    from sqlglot.parser import Parser
    from sqlglot.tokenizer_core import TokenizerCore
    from sqlglot.tokens import Tokenizer

    return (Parser, Generator, Tokenizer, TokenizerCore, exp.Expr)


def test_the_dialect_subclasses_no_sqlglot_parser_generator_tokenizer_or_node() -> None:
    bases = _sqlglot_base_classes()
    own = [
        value
        for value in vars(dialect).values()
        if isinstance(value, type) and value.__module__ == dialect.__name__
    ]
    assert own, "the module defines classes"
    assert [cls for cls in own if issubclass(cls, bases)] == []
    msq = dialect.MSQ
    for used in (msq.parser_class, msq.generator_class, msq.tokenizer_class):
        assert used.__module__.startswith("sqlglot."), used


def test_the_build_in_use_is_the_one_installed() -> None:
    try:
        importlib.metadata.version("sqlglotc")
    except importlib.metadata.PackageNotFoundError:
        assert dialect.SQLGLOT_BUILD == "pure"
    else:
        assert dialect.SQLGLOT_BUILD == "compiled"


@pytest.mark.skipif(dialect.SQLGLOT_BUILD != "compiled", reason="needs sqlglotc")
def test_compiled_sqlglot_refuses_interpreted_subclasses() -> None:
    # why the dialect is built the way it is: a subclass of the parser cannot even be created
    from sqlglot.parsers.druid import DruidParser

    subclass = type("Sub", (DruidParser,), {})
    with pytest.raises(TypeError, match="interpreted classes cannot inherit from compiled"):
        subclass()


# --------------------------------------------------------------------------- the token frame


def test_table_function_alias_comes_after_the_columns() -> None:
    sql = "SELECT x.a FROM TABLE(inline(data => 'a')) EXTEND (a VARCHAR) AS x"
    tree = parse_one(sql)
    table = tree.args["from_"].this
    assert is_table_function(table) and function_name(table) == "inline"
    assert table.alias == "x"
    assert render(tree) == sql
    built = table_function(
        "inline",
        kwargs={"data": exp.Literal.string("a")},
        columns=[("a", "VARCHAR")],
        extend=True,
        alias="x",
    )
    assert built == table


def test_table_functions_in_joins_subqueries_and_ctes() -> None:
    sql = (
        "WITH c AS (SELECT * FROM TABLE(http(uris => ARRAY['u'])) (a VARCHAR)) "
        "SELECT * FROM c JOIN (SELECT * FROM TABLE(APPEND('a', 'b'))) AS s ON c.a = s.a "
        "JOIN TABLE(EXTERN('{}', '{}')) EXTEND (b BIGINT) AS e ON e.b = 1"
    )
    tree = parse_one(sql)
    names = sorted(function_name(n) for n in tree.find_all(exp.Table) if is_table_function(n))
    assert names == ["append", "extern", "http"]
    assert render(tree) == sql


def test_names_like_the_placeholders_are_ordinary_names() -> None:
    sql = "SELECT __msq_fn0 FROM TABLE(inline(data => '__msq_fn0')) (__msq_fn0 VARCHAR)"
    assert render(parse_one(sql)) == sql


def test_table_outside_from_is_refused() -> None:
    with pytest.raises(InvalidSQL, match="TABLE"):
        parse("SELECT TABLE(f(1))")
    with pytest.raises(InvalidSQL, match="table function call"):
        parse("SELECT * FROM TABLE(x)")


@pytest.mark.parametrize(
    "sql",
    [
        "REPLACE INTO w OVERWRITE WHERE (__time >= TIMESTAMP '2020-01-01') SELECT 1 "
        "PARTITIONED BY DAY",
        "REPLACE INTO w OVERWRITE WHERE __time >= TIMESTAMP '2020-01-01' (SELECT 1) "
        "UNION ALL SELECT 2 PARTITIONED BY DAY",
        "REPLACE INTO w OVERWRITE WHERE page IN (SELECT page FROM t) SELECT 1 PARTITIONED BY DAY",
        "INSERT INTO druid.w (SELECT 1) UNION ALL SELECT 2 PARTITIONED BY ALL",
    ],
)
def test_the_query_is_found_after_the_frame(sql: str) -> None:
    tree = parse_one(sql)
    assert is_ingest(tree)
    assert render(tree) == sql
    assert parse_one(render(tree)) == tree


def test_partition_by_in_a_window_is_not_the_frame() -> None:
    # the frame is read (PARTITION BY inside OVER is not PARTITIONED BY) and the query reaches the
    # grammar, which leaves window functions undecided
    sql = (
        "INSERT INTO w SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t "
        "PARTITIONED BY DAY"
    )
    with pytest.raises(UnsupportedSyntax, match="window functions"):
        parse_one(sql)


def test_set_values_and_refused_set_forms() -> None:
    trees = parse("SET a = -1; SET b = TRUE; SET c = 'x'; SET d = 1.5; SELECT 1")
    assert [context_key(t) for t in trees] == ["a", "b", "c", "d", None]
    assert trees[1] == context_set("b", True) and trees[2] == context_set("c", "x")
    for sql in ("SET a = 1 + 2", "SET SESSION a = 1", "SET a", "SET a = f(1)"):
        with pytest.raises(InvalidSQL, match="SET statement other than"):
            parse(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO w SELECT 1 CLUSTERED BY a PARTITIONED BY DAY",
        "INSERT INTO w SELECT 1 PARTITIONED BY DAY PARTITIONED BY DAY",
        "INSERT INTO w SELECT 1 PARTITIONED BY",
        "INSERT INTO w SELECT 1 PARTITIONED BY DAY CLUSTERED BY",
        "INSERT INTO w SELECT 1 PARTITIONED BY TIME_FLOOR(__time, 'PT1H') + 1",
        "INSERT INTO w PARTITIONED BY DAY",
        "INSERT INTO",
        "REPLACE INTO w OVERWRITE SELECT 1 PARTITIONED BY DAY",
        "REPLACE INTO w OVERWRITE WHERE SELECT 1 PARTITIONED BY DAY",
        "INSERT INTO a.b.c.d SELECT 1 PARTITIONED BY DAY",
        "INSERT INTO EXTERN(local(exportPath => 'x'), s3()) AS CSV SELECT 1",
        "INSERT INTO w DELETE FROM t",
    ],
)
def test_broken_frames_name_where(sql: str) -> None:
    with pytest.raises(InvalidSQL) as raised:
        parse(sql)
    assert raised.value.construct.startswith(("near", "INSERT/REPLACE"))
