"""The oracle: worked examples from each seed, precedence, settings, and properties."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from conformance.oracle import Case, CaseError, Verdict, VerdictKind, decide
from conformance.oracle.dialect import render_script
from conformance.oracle.permissions import RESOURCE_TYPES, Action, Permission
from conformance.oracle.profiles import PROFILES, get_profile
from conformance.oracle.rules import OPERATIONS, RuleTableError, all_editions, load_table
from tests.strategies_sql import Generated, scripts

ALLOWED, FORBIDDEN = VerdictKind.ALLOWED, VerdictKind.FORBIDDEN
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
EXTERN = (
    'INSERT INTO wikipedia SELECT * FROM TABLE(EXTERN(\'{"type":"http","uris":["u"]}\', '
    '\'{"type":"json"}\')) EXTEND (page VARCHAR) PARTITIONED BY DAY'
)
INLINE = "SELECT * FROM TABLE(inline(data => 'a', format => 'csv')) (a VARCHAR)"
JOIN = "SELECT * FROM wikipedia w JOIN kttm k ON w.page = k.page"
REPLACE = (
    "REPLACE INTO wikipedia OVERWRITE WHERE __time >= TIMESTAMP '2015-09-12' "
    "SELECT * FROM staging PARTITIONED BY DAY"
)
ADMIN = tuple(Permission(".*", t, a) for t in sorted(RESOURCE_TYPES) for a in Action)


def perms(*specs: str) -> tuple[Permission, ...]:
    """'READ DATASOURCE wiki.*' -> Permission."""
    out = []
    for spec in specs:
        action, rtype, pattern = spec.split(" ", 2)
        out.append(Permission(pattern, rtype, Action(action)))
    return tuple(out)


def judge(sql: str, *grants: str, **kwargs: Any) -> Any:
    kwargs.setdefault("operation", "submit")
    return decide(Case(id="t", sql=sql, permissions=perms(*grants), **kwargs))


# Worked examples: (profile, operation, sql, grants, verdict, deciding rule, missing)
WORKED = [
    # seed 001, Druid 24.0
    (
        "druid-24",
        "submit",
        "SELECT * FROM wikipedia",
        ["READ DATASOURCE wikipedia"],
        ALLOWED,
        "common.status.submit",
        [],
    ),
    (
        "druid-24",
        "submit",
        "SELECT * FROM wikipedia",
        ["WRITE DATASOURCE wikipedia"],
        FORBIDDEN,
        "msq24.submit.select-datasource",
        ["READ DATASOURCE wikipedia"],
    ),
    (
        "druid-24",
        "submit",
        EXTERN,
        ["WRITE DATASOURCE wikipedia"],
        FORBIDDEN,
        "msq24.submit.extern",
        ["READ EXTERNAL EXTERNAL"],
    ),
    (
        "druid-24",
        "submit",
        EXTERN,
        ["WRITE DATASOURCE wikipedia", "READ EXTERNAL EXTERNAL"],
        ALLOWED,
        "common.status.submit",
        [],
    ),
    (
        "druid-24",
        "submit",
        REPLACE,
        ["READ DATASOURCE staging"],
        FORBIDDEN,
        "msq24.submit.write-datasource",
        ["WRITE DATASOURCE wikipedia"],
    ),
    (
        "druid-24",
        "status",
        REPLACE,
        ["READ DATASOURCE wikipedia"],
        ALLOWED,
        "common.status.status",
        [],
    ),
    (
        "druid-24",
        "cancel",
        REPLACE,
        ["WRITE DATASOURCE wikipedia"],
        FORBIDDEN,
        "msq24.interact.ingest",
        ["READ DATASOURCE wikipedia"],
    ),
    (
        "druid-24",
        "reports",
        JOIN,
        ["READ DATASOURCE __query_select"],
        ALLOWED,
        "common.status.reports",
        [],
    ),
    ("druid-24", "cancel", JOIN, ["READ DATASOURCE .*"], ALLOWED, "common.status.cancel", []),
    # seed 000, later Druid
    ("druid-27", "submit", INLINE, [], FORBIDDEN, "sqli.submit.extern", ["READ EXTERNAL EXTERNAL"]),
    (
        "druid-27",
        "submit",
        JOIN,
        ["READ DATASOURCE wiki.*"],
        FORBIDDEN,
        "sqli.submit.select-datasource",
        ["READ DATASOURCE kttm"],
    ),
    (
        "druid-27",
        "submit",
        JOIN,
        ["READ DATASOURCE wikipedia|kttm"],
        ALLOWED,
        "common.status.submit",
        [],
    ),
    (
        "druid-27",
        "cancel",
        JOIN,
        ["READ DATASOURCE wikipedia", "READ DATASOURCE kttm"],
        FORBIDDEN,
        "sqli.interact.select",
        ["READ DATASOURCE __query_select"],
    ),
    (
        "druid-27",
        "statements.submit",
        JOIN,
        ["READ DATASOURCE .*"],
        ALLOWED,
        "stmt.status.submit",
        [],
    ),
    ("druid-27", "statements.cancel", JOIN, [], ALLOWED, "stmt.status.cancel", []),
    # seed 002, Imply 2022.06
    (
        "imply-2022.06",
        "submit",
        EXTERN,
        ["WRITE DATASOURCE wikipedia"],
        FORBIDDEN,
        "imply.submit.extern",
        ["READ EXTERNAL EXTERNAL"],
    ),
    (
        "imply-2022.06",
        "status",
        "SELECT 1",
        ["READ DATASOURCE __query_select"],
        ALLOWED,
        "common.status.status",
        [],
    ),
    (
        "imply-2022.06",
        "status",
        "SELECT 1",
        ["READ DATASOURCE __query_.*"],
        ALLOWED,
        "common.status.status",
        [],
    ),
    (
        "imply-2022.06",
        "status",
        "SELECT 1",
        ["READ DATASOURCE __query"],
        FORBIDDEN,
        "imply.interact.select",
        ["READ DATASOURCE __query_select"],
    ),
]


@pytest.mark.parametrize(("profile", "op", "sql", "grants", "verdict", "rule", "missing"), WORKED)
def test_worked_examples(
    profile: str,
    op: str,
    sql: str,
    grants: list[str],
    verdict: VerdictKind,
    rule: str,
    missing: list[str],
) -> None:
    result = judge(sql, *grants, operation=op, profile=profile)
    assert result.verdict is verdict
    assert result.rule.id == rule
    got = [f"{m.action.value} {m.resource.type} {m.resource.name}" for m in result.missing]
    assert got == missing
    assert result.status_class == ("2xx" if verdict is ALLOWED else "4xx")


def test_cancel_of_someone_elses_select_follows_the_overlord_model() -> None:
    held = ("READ DATASOURCE __query_select",)
    mine = judge(JOIN, *held, operation="cancel", actor_is_submitter=True)
    theirs = judge(JOIN, *held, operation="cancel", actor_is_submitter=False)
    assert mine.verdict is theirs.verdict is ALLOWED  # submitter does not matter on the task API
    assert (
        judge(JOIN, operation="statements.results", actor_is_submitter=False).verdict is FORBIDDEN
    )


@pytest.mark.parametrize(
    ("kwargs", "verdict", "status", "rule"),
    [
        (
            {"authenticated": False, "sql": "SELECT * FROM"},
            VerdictKind.UNAUTHENTICATED,
            401,
            "common.unauthenticated",
        ),
        ({"sql": "SELECT * FROM"}, VerdictKind.INVALID, 400, "common.invalid-sql"),
        (
            {"sql": "SELECT * FROM nope", "existing_datasources": frozenset({"wikipedia"})},
            VerdictKind.INVALID,
            400,
            "common.missing-table",
        ),
        ({"sql": "SELECT * FROM sys.nope"}, VerdictKind.INVALID, 400, "common.missing-table"),
        ({"sql": "INSERT INTO w SELECT * FROM t"}, VerdictKind.INVALID, 400, "common.invalid-sql"),
        (
            {"sql": "SELECT 1", "operation": "status", "task_exists": False},
            VerdictKind.NOT_FOUND,
            404,
            "common.task-not-found",
        ),
        (
            {"sql": "SELECT 1", "operation": "statements.status", "task_exists": False},
            VerdictKind.NOT_FOUND,
            404,
            "stmt.not-found",
        ),
        (
            {"sql": "SELECT 1", "operation": "statements.submit", "profile": "druid-24"},
            VerdictKind.NOT_FOUND,
            404,
            "common.operation-unavailable",
        ),
        (
            {"sql": "INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV SELECT * FROM t"},
            VerdictKind.INVALID,
            400,
            "common.invalid-sql",
        ),
    ],
)
def test_precedence_401_then_400_then_403(
    kwargs: dict[str, Any], verdict: VerdictKind, status: int, rule: str
) -> None:
    kwargs.setdefault("operation", "submit")
    result = decide(Case(id="p", **kwargs))  # no permissions at all: 403 would be the default
    assert (result.verdict, result.status, result.rule.id) == (verdict, status, rule)


def test_export_exists_in_the_latest_profile_and_needs_external_write() -> None:
    sql = "INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV SELECT * FROM t"
    result = judge(sql, "READ DATASOURCE t", profile="druid-latest")
    assert result.verdict is FORBIDDEN
    assert result.rule.id == "sqli.submit.export" and result.rule.basis == "silent"


def test_lookups_and_information_schema_need_no_permission() -> None:
    result = judge("SELECT * FROM lookup.lk, INFORMATION_SCHEMA.TABLES, sys.segments")
    assert result.verdict is ALLOWED and result.required == ()
    cited = {r.id for r in result.rules}
    assert {"ua.lookups", "ua.sql.information-schema", "ua.sql.sys-filtered"} <= cited


def test_sys_servers_needs_state_read() -> None:
    result = judge("SELECT * FROM sys.servers")
    assert [str(m) for m in result.missing] == ["READ STATE 'STATE'"]


def test_system_tables_directly_when_configured() -> None:
    sql = "SELECT * FROM sys.segments"
    assert judge(sql).verdict is ALLOWED
    direct = judge(sql, settings={"druid.sql.planner.authorizeSystemTablesDirectly": True})
    assert [str(m) for m in direct.missing] == ["READ SYSTEM_TABLE 'segments'"]


def test_query_context_authorization() -> None:
    """SET statements are Druid SQL from 33.0 (druid-latest); their keys are context keys."""
    sql = "SET sqlTimeZone = 'UTC'; SELECT 1"
    context = {"maxNumTasks": 2}
    latest = {"context": context, "profile": "druid-latest"}
    assert judge(sql, **latest).verdict is ALLOWED  # disabled by default
    on = {"authorizeQueryContextParams": True}
    result = judge(sql, settings=on, **latest)
    assert [m.resource.name for m in result.missing] == ["maxNumTasks", "sqlTimeZone"]
    assert judge(sql, "WRITE QUERY_CONTEXT .*", settings=on, **latest).allowed
    unsecured = {**on, "unsecuredContextKeys": ["maxNumTasks"]}
    assert [m.resource.name for m in judge(sql, settings=unsecured, **latest).missing] == [
        "sqlTimeZone"
    ]
    secured = {**on, "securedContextKeys": ["maxNumTasks"]}
    assert [m.resource.name for m in judge(sql, settings=secured, **latest).missing] == [
        "maxNumTasks"
    ]
    assert judge("SELECT 1", context=context, settings=on).missing  # the request's context


def test_settings_are_checked_against_the_profile() -> None:
    with pytest.raises(CaseError, match="unknown setting"):
        judge("SELECT 1", settings={"nope": True})
    with pytest.raises(CaseError, match="does not exist in profile"):
        judge("SELECT 1", profile="druid-24", settings={"securedContextKeys": ["a"]})
    with pytest.raises(CaseError, match="must be bool"):
        judge("SELECT 1", settings={"authorizeQueryContextParams": "yes"})


def test_case_from_json_is_strict() -> None:
    good = {"id": "1", "operation": "submit", "sql": "SELECT 1"}
    assert Case.from_json(good).profile == "druid-27"
    for bad, message in [
        ({**good, "extra": 1}, "unknown field"),
        ({"id": "1", "sql": "SELECT 1"}, "'operation' is required"),
        ({**good, "authenticated": "yes"}, "must be bool"),
        (
            {**good, "permissions": [{"type": "DATASOURCE", "name": "(", "action": "READ"}]},
            "permissions",
        ),
        ({**good, "existing_datasources": [1]}, "strings"),
    ]:
        with pytest.raises(CaseError, match=message):
            Case.from_json(bad)
    with pytest.raises(CaseError, match="unknown operation"):
        decide(Case(id="x", operation="delete", sql="SELECT 1"))


# --------------------------------------------------------------------------- rule tables


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(
    ("edition", "seed"),
    [
        ("druid-24-msq", "001_cb1128e9984bd437.txt"),
        ("druid-sql-ingestion", "000_e9760e1f5736b5b4.txt"),
        ("imply-2022-06", "002_d692650108b4b31d.txt"),
    ],
)
def test_seed_passages_are_quoted_verbatim(edition: str, seed: str) -> None:
    path = SEEDS / seed
    if not path.exists():
        pytest.skip(f"{path} not present")
    text = _normalize(path.read_text(encoding="utf-8"))
    for rule in all_editions()[edition].rules:
        assert _normalize(rule.passage) in text, rule.id


def test_every_profile_decides_every_outcome_it_can_reach() -> None:
    for profile in PROFILES.values():
        rules = profile.rules()
        assert all(rule.passage for rule in rules)
        for op in profile.operations:
            statuses = [r for r in rules if r.effect == "status" and r.applies(op)]
            assert statuses, (profile.name, op)
    assert get_profile("druid-27").operations == set(OPERATIONS)


_HEADER = {"id": "x", "title": "t", "page": "p", "version": "v", "source": "s"}
_FIXED = {
    "id": "r",
    "passage": "q",
    "selector": "fixed",
    "resource_type": "DATASOURCE",
    "action": "READ",
    "operations": ["submit"],
}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"rule": []}, "missing \\[edition\\]"),
        ({"edition": {"id": "x"}, "rule": []}, "must be a non-empty string"),
        ({"edition": _HEADER, "rule": [{"id": "r", "effect": "require"}]}, "passage"),
        ({"edition": _HEADER, "rule": [_FIXED]}, "resource_name"),
        (
            {"edition": _HEADER, "rule": [{**_FIXED, "resource_name": "x", "operations": ["run"]}]},
            "unknown operation",
        ),
        (
            {"edition": _HEADER, "rule": [{"id": "r", "passage": "q", "effect": "info", "c": 1}]},
            "unknown field",
        ),
        (
            {"edition": _HEADER, "rule": [{"id": "r", "passage": "q", "effect": "deny"}]},
            "condition",
        ),
        (
            {
                "edition": _HEADER,
                "rule": [{"id": "r", "passage": "q", "effect": "deny", "condition": "invalid"}],
            },
            "needs an HTTP 'status'",
        ),
        (
            {
                "edition": _HEADER,
                "rule": [
                    {
                        "id": "r",
                        "passage": "q",
                        "effect": "deny",
                        "condition": "undecided",
                        "status": 400,
                    }
                ],
            },
            "an undecided outcome has no 'status'",
        ),
    ],
)
def test_rule_tables_are_validated(table: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleTableError, match=message):
        load_table(table)


# --------------------------------------------------------------------------- properties

permission_sets = st.lists(
    st.builds(
        Permission,
        pattern=st.sampled_from([".*", "a.*", "[a-z]+", "EXTERNAL", "__query_select", "x", "b"]),
        type=st.sampled_from(["DATASOURCE", "EXTERNAL", "STATE", "QUERY_CONTEXT"]),
        action=st.sampled_from(list(Action)),
    ),
    max_size=6,
)
profiles = st.sampled_from(sorted(PROFILES))


def _case(sql: str, profile: str, op: str, grants: list[Permission], **kw: Any) -> Case:
    ops = sorted(get_profile(profile).operations)
    return Case(
        id="h",
        sql=sql,
        profile=profile,
        operation=ops[sum(map(ord, op)) % len(ops)],
        permissions=tuple(grants),
        **kw,
    )


def _edition_lacks(result: Verdict) -> bool:
    """Invalid because the profile's documentation edition does not have something yet (a table
    function, an export destination: conformance/oracle/catalog.toml): a 400 for anyone."""
    return result.verdict is VerdictKind.INVALID and "documented from Apache Druid" in result.reason


@settings(max_examples=200, deadline=None)
@given(scripts(), profiles, st.text(max_size=3), permission_sets, permission_sets)
def test_adding_permissions_never_turns_allowed_into_forbidden(
    script: tuple[list[exp.Expression], Generated],
    profile: str,
    op: str,
    grants: list[Permission],
    more: list[Permission],
) -> None:
    sql = render_script(script[0])
    before = decide(_case(sql, profile, op, grants))
    after = decide(_case(sql, profile, op, grants + more))
    if before.allowed:
        assert after.allowed
    assert set(after.missing) <= set(before.missing)
    assert after.required == before.required  # what is needed does not depend on what is held


@settings(max_examples=200, deadline=None)
@given(scripts(), profiles, st.text(max_size=3))
def test_admin_may_do_everything_valid(
    script: tuple[list[exp.Expression], Generated], profile: str, op: str
) -> None:
    sql = render_script(script[0])
    result = decide(
        _case(sql, profile, op, list(ADMIN), settings={"authorizeQueryContextParams": True})
    )
    assert result.verdict in (ALLOWED, VerdictKind.INVALID)
    if result.verdict is VerdictKind.INVALID:  # export, or something later, on an older profile
        export = script[1].kind == "export" and "export" not in get_profile(profile).features
        assert export or _edition_lacks(result), result.reason


@settings(max_examples=200, deadline=None)
@given(scripts(export=False), profiles)
def test_no_permissions_deny_every_datasource_access(
    script: tuple[list[exp.Expression], Generated], profile: str
) -> None:
    trees, intended = script
    sql = render_script(trees)
    touches_data = bool(intended.reads or intended.written or intended.external)
    for op in sorted(get_profile(profile).operations):
        if op.startswith("statements.") and op != "statements.submit":
            continue  # the statements API judges by submitter, not by permissions
        result = decide(Case(id="n", sql=sql, profile=profile, operation=op))
        if op in ("submit", "statements.submit") and not touches_data:
            continue  # no datasource, no external data: nothing to deny on submit
        if _edition_lacks(result):
            continue  # a table function the profile's release does not have: 400 for anyone
        assert result.verdict is FORBIDDEN, (op, sql)
        assert result.status == 403 and result.missing
