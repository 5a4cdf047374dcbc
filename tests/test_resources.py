"""Resource analysis: what a statement reads and writes, checked against what a builder intended."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from sqlglot import exp

from conformance.oracle.dialect import parse, render_script
from conformance.oracle.resources import StatementKind, analyze, analyze_sql
from tests.strategies_sql import Generated, scripts


def test_join_of_two_datasources() -> None:
    res = analyze_sql("SELECT * FROM wikipedia w JOIN kttm k ON w.page = k.page")
    assert res.kind is StatementKind.SELECT
    assert res.datasources_read == {"wikipedia", "kttm"}
    assert res.datasource_written is None


def test_insert_from_extern_reads_external_not_datasources() -> None:
    res = analyze_sql(
        'INSERT INTO w SELECT * FROM TABLE(EXTERN(\'{"type":"http","uris":["u"]}\', '
        '\'{"type":"json"}\')) EXTEND (a VARCHAR) PARTITIONED BY DAY'
    )
    assert res.kind is StatementKind.INSERT
    assert res.datasource_written == "w"
    assert res.datasources_read == frozenset()
    assert res.uses_extern and res.reads_external
    assert res.external_input_types == {"http"}


def test_input_source_function_is_external() -> None:
    res = analyze_sql("SELECT * FROM TABLE(inline(data => 'a', format => 'csv')) (a VARCHAR)")
    assert not res.uses_extern
    assert res.input_source_functions == {"inline"}
    assert res.reads_external


def test_ctes_are_not_datasources_but_their_bodies_are_read() -> None:
    res = analyze_sql(
        "REPLACE INTO w OVERWRITE ALL WITH c AS (SELECT * FROM src) "
        "SELECT * FROM c PARTITIONED BY ALL"
    )
    assert res.kind is StatementKind.REPLACE
    assert res.datasources_read == {"src"}


def test_schemas_are_sorted_into_their_buckets() -> None:
    res = analyze_sql(
        "SELECT * FROM druid.a, sys.servers, INFORMATION_SCHEMA.TABLES, lookup.lk, view.v, "
        "TABLE(APPEND('b', 'c')), other.x"
    )
    assert res.datasources_read == {"a", "b", "c"}
    assert res.sys_tables == {"servers"}
    assert res.information_schema_tables == {"TABLES"}
    assert res.lookups == {"lk"}
    assert res.views == {"v"}
    assert res.unknown_tables == {"other.x"}
    assert res.table_references() == {"a", "b", "c", "lookup.lk", "view.v"}


def test_schema_names_are_case_sensitive() -> None:
    assert analyze_sql("SELECT * FROM SYS.segments").unknown_tables == {"SYS.segments"}


def test_quoted_names_are_kept_as_written() -> None:
    res = analyze_sql('INSERT INTO "My DS" SELECT * FROM "wiki.pedia" PARTITIONED BY DAY')
    assert res.datasource_written == "My DS"
    assert res.datasources_read == {"wiki.pedia"}


def test_export_destination_and_kind() -> None:
    res = analyze_sql("INSERT INTO EXTERN(s3(bucket => 'b', prefix => 'p')) AS CSV SELECT * FROM t")
    assert res.kind is StatementKind.EXPORT
    assert res.export_destination == "s3"
    assert res.datasource_written is None
    assert res.problems == ()


def test_set_statements_become_context_keys() -> None:
    res = analyze_sql("SET maxNumTasks = 3; SET sqlTimeZone = 'UTC'; SELECT * FROM t")
    assert res.context_keys == {"maxNumTasks", "sqlTimeZone"}


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("INSERT INTO w SELECT * FROM t", "require PARTITIONED BY"),
        ("INSERT INTO w SELECT * FROM t PARTITIONED BY DAY CLUSTERED BY a DESC", "DESC"),
        (
            "INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV SELECT * FROM t "
            "PARTITIONED BY DAY",
            "not supported with export",
        ),
        ("INSERT INTO EXTERN(local(exportPath => '/x')) AS JSON SELECT * FROM t", "CSV"),
        ("SELECT 1; SELECT 2", "exactly one"),
        ("SELECT 1; SET a = 1", "SET statement after"),
        ("INSERT INTO sys.x SELECT 1 PARTITIONED BY DAY", "not a datasource"),
    ],
)
def test_statements_that_break_the_reference_are_flagged(sql: str, problem: str) -> None:
    assert any(problem in p for p in analyze_sql(sql).problems)


@settings(max_examples=300, deadline=None)
@given(scripts())
def test_analysis_matches_what_the_builder_intended(
    script: tuple[list[exp.Expression], Generated],
) -> None:
    trees, intended = script
    res = analyze(parse(render_script(trees)))  # through SQL text, as a test submits it
    assert res.problems == ()
    assert res.kind.value == intended.kind
    assert res.datasources_read == intended.reads
    assert res.datasource_written == intended.written
    assert res.external_input_types == intended.external
    assert res.reads_external == bool(intended.external)
    assert res.sys_tables == intended.sys_tables
    assert res.lookups == intended.lookups
    assert res.context_keys == intended.context_keys
