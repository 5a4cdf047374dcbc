"""Documentation conflicts: the verdict follows the seed page and carries the passage that
contradicts it; a disagreement that matches that passage is a documentation conflict."""

from __future__ import annotations

import pytest

from conformance.oracle import Action, Case, Permission, VerdictKind, decide
from conformance.runner import deviations
from conformance.runner.checks import Check, Outcome
from conformance.runner.findings import FindingKind
from fixtures.client import Exchange

INSERT = 'INSERT INTO "out" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY'
SELECT = 'SELECT page FROM "wikipedia"'
OUT_WRITE = "WRITE DATASOURCE 'out'"


def _case(operation: str, sql: str, *held: tuple[str, str, Action], **extra: object) -> Case:
    permissions = tuple(Permission(name, kind, action) for name, kind, action in held)
    return Case(
        id="c",
        operation=operation,
        sql=sql,
        permissions=permissions,
        actor_is_submitter=False,
        **extra,  # type: ignore[arg-type]
    )


def _check(case: Case, observed: int) -> Check:
    exchange = Exchange("POST", "/x", "u", {}, observed, {}, 0.01, 0.0)
    return Check("cancel x INSERT", case, decide(case), exchange, "27.0.0")


@pytest.mark.parametrize(
    ("sql", "held", "verdict", "status", "conflict_status", "instead"),
    [
        # READ on the output datasource: the seed page allows, the HTTP-methods passage wants WRITE
        (INSERT, ("out", "DATASOURCE", Action.READ), "allowed", 200, 403, OUT_WRITE),
        # WRITE alone: the seed page forbids (READ missing), the HTTP-methods passage allows
        (
            INSERT,
            ("out", "DATASOURCE", Action.WRITE),
            "forbidden",
            403,
            200,
            "WRITE DATASOURCE 'out'",
        ),
        (
            SELECT,
            ("__query_select", "DATASOURCE", Action.READ),
            "allowed",
            200,
            403,
            "WRITE DATASOURCE '__query_select'",
        ),
    ],
)
def test_cancel_follows_the_seed_page_and_carries_the_http_methods_passage(
    sql: str,
    held: tuple[str, str, Action],
    verdict: str,
    status: int,
    conflict_status: int,
    instead: str,
) -> None:
    v = decide(_case("cancel", sql, held))
    assert (v.verdict.value, v.status) == (verdict, status)
    (conflict,) = v.conflicts
    assert conflict.rule.id == "ua.http-methods"
    assert conflict.rule.page == "docs/operations/security-user-auth.md"
    assert "`POST` and `DELETE` requests require WRITE" in conflict.rule.passage
    assert {r.id for r in conflict.contradicted} <= {"sqli.interact.ingest", "sqli.interact.select"}
    assert conflict.status == conflict_status
    assert [str(r) for r in conflict.required] == [instead]
    assert v.to_json()["conflicts"][0]["rule"]["id"] == "ua.http-methods"


def test_status_is_a_get_and_has_no_conflict() -> None:
    v = decide(_case("status", INSERT, ("out", "DATASOURCE", Action.READ)))
    assert v.verdict is VerdictKind.ALLOWED and v.conflicts == ()


def test_a_druid_that_answers_as_the_conflicting_passage_is_a_documentation_conflict() -> None:
    case = _case("cancel", INSERT, ("out", "DATASOURCE", Action.WRITE))
    conflict = _check(case, 200)
    assert conflict.outcome is Outcome.NEW_DEVIATION
    assert conflict.finding_kind is FindingKind.DOCUMENTATION_CONFLICT
    assert "documentation conflict" in conflict.explain()
    assert "ua.http-methods" in conflict.explain()
    assert conflict.to_json()["finding"] == "documentation-conflict"
    # a 404 is what no passage says: a Druid deviation
    assert _check(case, 404).finding_kind is FindingKind.DRUID_DEVIATION
    assert _check(case, 403).finding_kind is None  # agrees


def test_system_table_names_follow_the_table_name_and_show_the_sys_reading() -> None:
    case = Case(
        id="c",
        operation="submit",
        sql="SELECT * FROM sys.segments",
        settings={"authorizeSystemTablesDirectly": True},
        permissions=(Permission("segments", "SYSTEM_TABLE", Action.READ),),
    )
    v = decide(case)
    assert v.verdict is VerdictKind.ALLOWED
    (conflict,) = v.conflicts
    assert conflict.rule.id == "ua.system-table-names"
    assert [str(r) for r in conflict.required] == ["READ SYSTEM_TABLE 'sys.segments'"]
    assert conflict.status == 403  # 'segments' does not match the whole name 'sys.segments'


@pytest.mark.parametrize("entry", deviations.registry(), ids=lambda e: e.id)
def test_each_registry_entry_is_of_the_kind_its_example_shows(
    entry: deviations.Deviation,
) -> None:
    """The oracle, on the entry's own example, documents ``documented_status``; Druid's
    ``observed_status`` there is a finding of the entry's ``kind``."""
    example = entry.example
    actor = example.actor if example.actor is not None else example.submitter
    case = Case(
        id=entry.id,
        operation=entry.operation,
        sql=example.sql.replace("{out}", "out"),
        permissions=tuple(
            Permission.from_json({**p, "name": p["name"].replace("{out}", "out")}) for p in actor
        ),
        actor_is_submitter=example.actor is None,
        settings=dict(entry.settings),
    )
    verdict = decide(case)
    assert verdict.status == entry.documented_status or (
        entry.documented_status // 100 == 2 and verdict.status_class == "2xx"
    )
    exchange = Exchange("POST", "/x", "u", {}, entry.observed_status, {}, 0.01, 0.0)
    check = Check("label", case, verdict, exchange, entry.druid_versions[0])
    assert check.finding_kind is entry.kind
