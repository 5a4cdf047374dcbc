"""Profiles per release: the release table (conformance/oracle/releases.toml), the profile each
Druid version gets, and what each release's documentation has (statements API, input-source
table functions, export, TABLE(APPEND(...)), the security page that judges it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.oracle import Case, Permission, VerdictKind, decide
from conformance.oracle.catalog import catalog
from conformance.oracle.grammar import grammar
from conformance.oracle.permissions import RESOURCE_TYPES, Action
from conformance.oracle.profiles import (
    DEFAULT_PROFILE,
    PROFILES,
    ProfileError,
    get_profile,
    normalize_settings,
)
from conformance.oracle.releases import ReleaseTableError, druid_releases, load_releases
from conformance.oracle.rules import all_editions
from conformance.oracle.versions import major_of, profile_for_version

ROOT = Path(__file__).resolve().parents[1]
NEWEST = 38  # the newest Apache Druid release when the table was last checked
EVERY_GRANT = tuple(Permission(".*", t, a) for t in sorted(RESOURCE_TYPES) for a in Action)

HTTP = "SELECT * FROM TABLE(http(uris => ARRAY['u'], format => 'csv')) (a VARCHAR)"
APPEND = "SELECT * FROM TABLE(APPEND('a', 'b'))"
EXPORT = "INSERT INTO EXTERN(local(exportPath => '/tmp/x')) AS CSV SELECT 1 AS x"
EXTERN = "SELECT * FROM TABLE(EXTERN('{}', '{}', '[]'))"


def judge(sql: str, profile: str, permissions: tuple[Permission, ...] = EVERY_GRANT) -> Any:
    return decide(
        Case(id="v", operation="submit", sql=sql, profile=profile, permissions=permissions)
    )


# --------------------------------------------------------------------------- version -> profile


@pytest.mark.parametrize("major", range(24, NEWEST + 1))
def test_every_major_release_has_its_own_profile(major: int) -> None:
    for version in (f"{major}.0.0", f"{major}.0.1", f"{major}.1.0", f"{major}.0.0-SNAPSHOT"):
        assert profile_for_version(version) == f"druid-{major}"
    profile = get_profile(f"druid-{major}")
    assert (profile.product, profile.version) == ("Apache Druid", f"{major}.0")


@pytest.mark.parametrize(
    ("version", "profile"),
    [
        ("30.0.1", "druid-30"),
        ("31.0.0-SNAPSHOT", "druid-31"),
        ("26.0.1", "druid-26"),
        ("28.0.1", "druid-28"),
        ("27", "druid-27"),
        (" 29.0.0", "druid-29"),
        ("39.0.0", "druid-latest"),  # newer than the table: the current documentation
        ("100.0.0-SNAPSHOT", "druid-latest"),
        ("0.23.0", "druid-24"),  # older than MSQ: the oldest profile
        ("23.0.0", "druid-24"),
        ("unknown", DEFAULT_PROFILE),
        ("", DEFAULT_PROFILE),
        ("v30.0.0", DEFAULT_PROFILE),
        ("30abc", DEFAULT_PROFILE),
    ],
)
def test_odd_versions(version: str, profile: str) -> None:
    assert profile_for_version(version) == profile
    assert profile in PROFILES


def test_major_of() -> None:
    assert major_of("30.0.1") == 30
    assert major_of("31.0.0-SNAPSHOT") == 31
    assert major_of("unknown") is None
    assert major_of("") is None


def test_the_default_profile_is_druid_27() -> None:
    assert DEFAULT_PROFILE == "druid-27" == profile_for_version("27.0.0")


# --------------------------------------------------------------------------- the release table


def test_the_table_covers_every_release_from_24_to_the_newest() -> None:
    rows = druid_releases()
    assert [row.major for row in rows] == list(range(24, NEWEST + 1))
    assert all(row.druid == (row.major, 0) and row.profile == f"druid-{row.major}" for row in rows)
    assert all(row.sources and row.summary for row in rows)


def test_every_row_names_a_packaged_security_page() -> None:
    editions = all_editions()
    for row in druid_releases():
        assert row.security_page in editions, row.name
        assert editions[row.security_page].rules


def test_every_catalogue_and_grammar_release_is_a_row_that_lists_the_change() -> None:
    """A `since` of catalog.toml or grammar.toml names a release of the table, and that row's
    changes say so (by the catalogue's or grammar's own name): the table tells the whole story."""
    rows = {row.druid: row for row in druid_releases()}
    oldest = min(rows)
    for entry in catalog().entries:
        if entry.since == oldest:
            continue
        assert entry.since in rows, entry.title
        assert any(_mentions(change, entry.name) for change in rows[entry.since].changes), (
            entry.title
        )
    for construct in grammar().constructs:
        if construct.since is None:
            continue
        assert construct.since in rows, construct.id
        changes = rows[construct.since].changes
        assert any(_mentions(change, construct.name.split()[0]) for change in changes), construct.id


def _mentions(change: str, name: str) -> bool:
    return name.lower() in change.lower()


def _table(**overrides: Any) -> dict[str, Any]:
    row = {
        "druid": "24.0",
        "profile": "p24",
        "security_page": "druid-24-msq",
        "statements_api": False,
        "export": False,
        "context_key_lists": False,
        "summary": "s",
        "changes": [],
        "sources": ["a page"],
    }
    return {"releases": {"title": "t"}, "release": [{**row, **overrides}]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_table(druid="24"), "major release"),
        (_table(druid="24.1"), "major release"),
        (_table(druid="x"), "dotted numbers"),
        (_table(sources=[]), "names its sources"),
        (_table(export="yes"), "'export' must be true or false"),
        (_table(surprise=1), "unknown field"),
        (_table(changes="one"), "list of strings"),
        (_table(profile=""), "'profile'"),
        ({"releases": {"title": "t"}, "release": []}, "at least one"),
        ({"release": [{}]}, "[releases] header"),
    ],
)
def test_a_malformed_table_is_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ReleaseTableError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_releases(data)


def test_rows_are_every_major_once_oldest_first() -> None:
    first = _table()["release"][0]
    for second in ({**first, "druid": "26.0", "profile": "p26"}, {**first, "profile": "p25"}):
        with pytest.raises(ReleaseTableError, match="every major release is listed once"):
            load_releases({"releases": {"title": "t"}, "release": [first, second]})
    twice = {**first, "druid": "25.0"}
    with pytest.raises(ReleaseTableError, match="used twice"):
        load_releases({"releases": {"title": "t"}, "release": [first, twice]})
    assert [r.name for r in load_releases(_table())] == ["24.0"]


# --------------------------------------------------------------------------- what each release has


@pytest.mark.parametrize("major", range(24, NEWEST + 1))
def test_what_each_release_documents(major: int) -> None:
    name = f"druid-{major}"
    profile = get_profile(name)
    # the statements API from 27.0 (27.0.0 release notes)
    assert ("statements.submit" in profile.operations) is (major >= 27)
    # the security page: seed 001 in 24.0, its 25.0 rewrite, seed 000 from 26.0
    page = (
        "druid-24-msq"
        if major == 24
        else "druid-25-sql-ingestion"
        if major == 25
        else "druid-sql-ingestion"
    )
    assert profile.editions[1] == page
    # the query context key lists from 25.0 (25.0.0 release notes)
    assert ("unsecuredContextKeys" in profile.settings) is (major >= 25)
    # input-source table functions from 26.0, export from 29.0, TABLE(APPEND(...)) from 30.0
    assert (judge(HTTP, name).verdict is VerdictKind.ALLOWED) is (major >= 26)
    assert (judge(EXPORT, name).verdict is VerdictKind.ALLOWED) is (major >= 29)
    assert (judge(APPEND, name).verdict is VerdictKind.ALLOWED) is (major >= 30)
    assert judge(EXTERN, name).verdict is VerdictKind.ALLOWED


def test_extern_cites_the_security_page_of_the_release() -> None:
    cited = {major: judge(EXTERN, f"druid-{major}", ()).rule.id for major in range(24, NEWEST + 1)}
    assert cited[24] == "msq24.submit.extern"
    assert cited[25] == "sqli25.submit.extern"
    assert {cited[m] for m in range(26, NEWEST + 1)} == {"sqli.submit.extern"}
    passage = judge(EXTERN, "druid-25", ()).rule.passage
    assert passage.startswith("EXTERN requires READ permission")


def test_absent_features_name_the_release_that_documents_them() -> None:
    http = judge(HTTP, "druid-25")
    assert (
        http.verdict is VerdictKind.INVALID and "documented from Apache Druid 26.0" in http.reason
    )
    append = judge(APPEND, "druid-29")
    assert "documented from Apache Druid 30.0" in append.reason
    statements = decide(
        Case(id="s", operation="statements.submit", sql="SELECT 1", profile="druid-26")
    )
    assert statements.verdict is VerdictKind.NOT_FOUND


def test_context_key_lists_are_refused_before_25() -> None:
    settings = {"unsecuredContextKeys": ["a"]}
    assert normalize_settings(get_profile("druid-25"), settings)
    with pytest.raises(ProfileError, match="does not exist in profile druid-24"):
        normalize_settings(get_profile("druid-24"), settings)


def test_latest_is_the_newest_release_with_every_entry() -> None:
    latest, newest = get_profile("druid-latest"), get_profile(f"druid-{NEWEST}")
    assert latest.version == "latest"
    assert (latest.editions, latest.operations, latest.settings, latest.features) == (
        newest.editions,
        newest.operations,
        newest.settings,
        newest.features,
    )


# --------------------------------------------------------------------------- the documentation


def test_the_docs_list_every_release_and_its_profile() -> None:
    for path in ("docs/oracle.md", "README.md"):
        text = (ROOT / path).read_text()
        for row in druid_releases():
            assert f"| {row.name} | `{row.profile}` |" in text, (path, row.name)
