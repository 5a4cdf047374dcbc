"""What exists by release: metadata tables, table functions and export destinations
(conformance/oracle/catalog.toml), and how a profile's release selects them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from conformance.oracle import Case, Verdict, VerdictKind, decide
from conformance.oracle.catalog import (
    CatalogError,
    catalog,
    format_release,
    load_catalog,
    parse_release,
    release_of,
)
from conformance.oracle.decision import INFORMATION_SCHEMA_TABLES, SYS_TABLES
from conformance.oracle.permissions import RESOURCE_TYPES, Action, Permission
from conformance.oracle.profiles import PROFILES
from conformance.oracle.resources import INPUT_SOURCE_FUNCTIONS, analyze_sql

ALLOWED, FORBIDDEN, INVALID = VerdictKind.ALLOWED, VerdictKind.FORBIDDEN, VerdictKind.INVALID
EVERY_GRANT = tuple(Permission(".*", t, a) for t in sorted(RESOURCE_TYPES) for a in Action)
GOOGLE = "INSERT INTO EXTERN(google(bucket => 'b', prefix => 'p')) AS CSV SELECT 1 AS x"


def judge(sql: str, profile: str, permissions: tuple[Permission, ...] = EVERY_GRANT) -> Verdict:
    return decide(
        Case(id="c", operation="submit", sql=sql, profile=profile, permissions=permissions)
    )


@pytest.fixture
def druid_29(monkeypatch: pytest.MonkeyPatch) -> str:
    """A profile of Druid 29.0's documentation: export, but not yet GCS (none is packaged)."""
    profile = replace(PROFILES["druid-latest"], name="druid-29-test", version="29.0")
    monkeypatch.setitem(PROFILES, profile.name, profile)
    return profile.name


# --------------------------------------------------------------------------- the brief's examples


def test_google_export_exists_in_the_current_documentation() -> None:
    assert judge(GOOGLE, "druid-latest").verdict is ALLOWED
    nothing = judge(GOOGLE, "druid-latest", ())
    assert nothing.verdict is FORBIDDEN and nothing.rule.id == "sqli.submit.export"


def test_google_export_is_invalid_where_the_edition_predates_it(druid_29: str) -> None:
    for permissions in (EVERY_GRANT, ()):
        verdict = judge(GOOGLE, druid_29, permissions)
        assert (verdict.verdict, verdict.status) == (INVALID, 400)
        assert "export destination 'google'" in verdict.reason
        assert "documented from Apache Druid 30.0" in verdict.reason
    s3 = "INSERT INTO EXTERN(s3(bucket => 'b', prefix => 'p')) AS CSV SELECT 1 AS x"
    assert judge(s3, druid_29).verdict is ALLOWED
    # profiles without export at all say so first
    assert "export does not exist" in judge(GOOGLE, "druid-27").reason


def test_sys_server_properties_from_druid_36() -> None:
    sql = "SELECT * FROM sys.server_properties"
    assert judge(sql, "druid-latest", ()).verdict is ALLOWED
    for profile in ("druid-27", "druid-24", "imply-2022.06"):
        verdict = judge(sql, profile, EVERY_GRANT)
        assert (verdict.verdict, verdict.rule.id) == (INVALID, "common.missing-table")
        assert "sys.server_properties (documented from Apache Druid 36.0" in verdict.reason


# --------------------------------------------------------------------------- by edition

# (statement, valid on druid-24 and imply-2022.06, on druid-27, on druid-latest)
BY_EDITION = [
    ("SELECT * FROM sys.segments", True, True, True),
    ("SELECT * FROM sys.supervisors", True, True, True),
    ("SELECT * FROM INFORMATION_SCHEMA.COLUMNS", True, True, True),
    ("SELECT * FROM INFORMATION_SCHEMA.ROUTINES", False, True, True),
    ("SELECT * FROM TABLE(EXTERN('{}', '{}')) (a VARCHAR)", True, True, True),
    (
        "SELECT * FROM TABLE(http(uris => ARRAY['u'], format => 'csv')) (a VARCHAR)",
        False,
        True,
        True,
    ),
    (
        "SELECT * FROM TABLE(inline(data => ARRAY['a'], format => 'csv')) (a VARCHAR)",
        False,
        True,
        True,
    ),
    ("SELECT * FROM TABLE(APPEND('a', 'b'))", False, False, True),
    ("SELECT * FROM sys.nope", False, False, False),
    ("SELECT * FROM INFORMATION_SCHEMA.routines", False, False, False),  # names are case-sensitive
    ("SELECT * FROM TABLE(nope(1))", False, False, False),
]


@pytest.mark.parametrize(("sql", "old", "v27", "latest"), BY_EDITION)
def test_catalogue_by_edition(sql: str, old: bool, v27: bool, latest: bool) -> None:
    expected = {"druid-24": old, "imply-2022.06": old, "druid-27": v27, "druid-latest": latest}
    got = {profile: judge(sql, profile).verdict is ALLOWED for profile in expected}
    assert got == expected
    for profile, valid in expected.items():
        if not valid:  # invalid whatever is held, and no permission asked first
            assert judge(sql, profile, ()).verdict is INVALID


def test_unknown_functions_and_destinations_are_named() -> None:
    nope = judge("SELECT * FROM TABLE(nope(1))", "druid-latest")
    assert nope.reason == "no such table function 'nope'"
    azure = judge("INSERT INTO EXTERN(azure(container => 'c')) AS CSV SELECT 1", "druid-latest")
    assert azure.reason == "no such export destination 'azure'"
    append = judge("SELECT * FROM TABLE(APPEND('a'))", "druid-27")
    assert append.reason.startswith("no such table function 'append' (documented from")


def test_the_analysis_records_functions_and_destinations_without_judging() -> None:
    google = analyze_sql(GOOGLE)
    assert google.export_destination == "google" and google.problems == ()
    functions = analyze_sql("SELECT * FROM TABLE(nope(1)) JOIN TABLE(APPEND('a')) ON TRUE")
    assert functions.table_functions == {"nope", "append"} and functions.problems == ()
    assert functions.datasources_read == {"a"}


# --------------------------------------------------------------------------- the catalogue


def test_releases() -> None:
    assert parse_release("24.0") == (24, 0) and format_release((36, 0)) == "36.0"
    assert parse_release("29.0") < parse_release("30.0") < parse_release("100.0")
    assert release_of("Apache Druid", "latest") is None
    assert release_of("Apache Druid", "27.0") == (27, 0)
    assert release_of("Imply", "2022.06") == (24, 0)
    with pytest.raises(CatalogError, match="equivalent"):
        release_of("Imply", "2099.01")
    for profile in PROFILES.values():  # every packaged profile can be placed
        release_of(profile.product, profile.version)


def test_the_packaged_catalogue() -> None:
    entries = catalog().entries
    assert all(e.page and e.passage and e.version for e in entries)
    assert {"segments", "servers", "server_segments", "tasks", "supervisors"} <= SYS_TABLES
    assert "server_properties" in SYS_TABLES and "ROUTINES" in INFORMATION_SCHEMA_TABLES
    assert {"http", "inline", "localfiles", "s3"} == INPUT_SOURCE_FUNCTIONS
    assert catalog().names("export_destination", (29, 0)) == {"s3", "local"}
    assert catalog().names("export_destination") == {"s3", "local", "google"}
    assert catalog().table_functions("datasources") == {"append"}


def _table(**entry: Any) -> dict[str, Any]:
    base = {
        "kind": "sys_table",
        "name": "x",
        "since": "24.0",
        "page": "p",
        "version": "v",
        "passage": "q",
    }
    base.update(entry)
    return {"catalog": {"title": "t"}, "entry": [{k: v for k, v in base.items() if v is not None}]}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"catalog": {"title": "t"}}, "at least one"),
        ({"entry": []}, r"\[catalog\] header"),
        ({**_table(), "colour": 1}, "unknown field"),
        (_table(colour="red"), "unknown field"),
        (_table(kind="view"), "kind must be one of"),
        (_table(name=""), "'name'"),
        (_table(since="24"), None),  # a release may have one part
        (_table(since="v24"), "since"),
        (_table(since=None), "since"),
        (_table(passage=None), "passage"),
        (_table(basis="guessed"), "basis"),
        (_table(kind="table_function", name="f"), "what it reads"),
        (_table(kind="table_function", name="F", reads="external"), "lower case"),
        (_table(reads="external"), "for table functions only"),
    ],
)
def test_the_catalogue_is_validated(table: dict[str, Any], message: str | None) -> None:
    if message is None:
        assert load_catalog(table).entries
        return
    with pytest.raises(CatalogError, match=message):
        load_catalog(table)


def test_duplicates_and_equivalents_are_checked() -> None:
    twice = _table()
    twice["entry"].append(dict(twice["entry"][0]))
    with pytest.raises(CatalogError, match="listed twice"):
        load_catalog(twice)
    apache = {**_table(), "equivalent": [{"product": "Apache Druid", "version": "1", "druid": "1"}]}
    with pytest.raises(CatalogError, match="need no equivalent"):
        load_catalog(apache)
    vendor = {**_table(), "equivalent": [{"product": "V", "version": "1", "druid": "30.0"}]}
    assert load_catalog(vendor).release_of("V", "1") == (30, 0)
