"""``shutdownAllTasks``: the Overlord's POST on a datasource, judged as an oracle operation.

The case's statement stands for the running tasks of the path's datasource: an INSERT's or
REPLACE's output datasource, ``__query_select`` for SELECT tasks. The HTTP methods passage asks
WRITE on it (rules ``ua.shutdown-all-tasks.*``); the MSQ security page's READ "to interact with
a query" is shown as a conflict; no running task of the datasource is 404 (the tasks API
reference)."""

from __future__ import annotations

import pytest

from conformance.oracle import Case, decide
from conformance.oracle.permissions import Permission
from conformance.oracle.profiles import PROFILES
from conformance.runner.replay_plan import ENDPOINTS, ReplayPlan, plan, task_datasource

INSERT = "INSERT INTO sales SELECT * FROM wikipedia PARTITIONED BY DAY"
SELECT = "SELECT COUNT(*) FROM wikipedia"


def _held(*grants: tuple[str, str]) -> tuple[Permission, ...]:
    return tuple(
        Permission.from_json({"type": "DATASOURCE", "name": name, "action": action})
        for name, action in grants
    )


# (statement of the task, grants of the actor) -> (status, missing, conflict's status)
TABLE = [
    (SELECT, (), 403, ["WRITE DATASOURCE '__query_select'"], 403),
    (SELECT, (("__query_select", "WRITE"),), 200, [], 403),
    (SELECT, (("__query_select", "READ"),), 403, ["WRITE DATASOURCE '__query_select'"], 200),
    (SELECT, (("wikipedia", "WRITE"),), 403, ["WRITE DATASOURCE '__query_select'"], 403),
    (INSERT, (("sales", "WRITE"),), 200, [], 403),
    (INSERT, (("sales", "READ"),), 403, ["WRITE DATASOURCE 'sales'"], 200),
    (INSERT, (("__query_select", "WRITE"),), 403, ["WRITE DATASOURCE 'sales'"], 403),
    (INSERT, (("sal.*", "WRITE"),), 200, [], 403),
]


@pytest.mark.parametrize(("sql", "grants", "status", "missing", "alternative"), TABLE)
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_write_on_the_paths_datasource_is_required(
    profile: str,
    sql: str,
    grants: tuple[tuple[str, str], ...],
    status: int,
    missing: list[str],
    alternative: int,
) -> None:
    case = Case("c", "shutdownAllTasks", sql, profile=profile, permissions=_held(*grants))
    verdict = decide(case)
    assert (verdict.status, [str(m) for m in verdict.missing]) == (status, missing)
    (conflict,) = verdict.conflicts  # the MSQ security page's READ, shown, never followed
    assert conflict.rule.id == "ua.shutdown-all-tasks.interact"
    assert conflict.status == alternative


def test_no_running_task_of_the_datasource_is_404_as_the_tasks_api_reference_says() -> None:
    held = _held(("__query_select", "WRITE"))
    verdict = decide(Case("c", "shutdownAllTasks", SELECT, permissions=held, task_exists=False))
    assert (verdict.status, verdict.rule.id) == (404, "common.no-running-task")


def test_whoever_submitted_the_tasks_the_answer_is_the_same() -> None:
    grants = _held(("__query_select", "WRITE"))
    mine, theirs = (
        decide(Case("c", "shutdownAllTasks", SELECT, permissions=grants, actor_is_submitter=who))
        for who in (True, False)
    )
    assert mine.status == theirs.status == 200


def test_every_profile_has_the_operation() -> None:
    assert all("shutdownAllTasks" in p.operations for p in PROFILES.values())


@pytest.mark.parametrize(
    ("sql", "datasource"),
    [
        (SELECT, "__query_select"),
        (INSERT, "sales"),
        ('INSERT INTO "a b" SELECT 1 PARTITIONED BY ALL', "a b"),
    ],
)
def test_a_replay_asks_about_the_datasource_of_the_tasks(sql: str, datasource: str) -> None:
    case = Case("c", "shutdownAllTasks", sql, actor_is_submitter=False)
    assert task_datasource(case) == datasource
    the_plan = plan({"case": _json(case), "cell": "x"})
    assert isinstance(the_plan, ReplayPlan) and the_plan.per_datasource
    assert the_plan.path("$ID") == ENDPOINTS["shutdownAllTasks"].path.replace(
        "{datasource}", datasource.replace(" ", "%20")
    )


def _json(case: Case) -> dict[str, object]:
    return {
        "id": case.id,
        "operation": case.operation,
        "sql": case.sql,
        "actor_is_submitter": case.actor_is_submitter,
    }


def test_no_running_task_and_no_permission_is_undecided() -> None:
    """The pages do not order 404 (no running task) and 403 (a missing permission) for this
    endpoint, so the oracle says so instead of picking; holding the permission it is 404."""
    verdict = decide(Case("c", "shutdownAllTasks", SELECT, task_exists=False))
    assert (verdict.verdict.value, verdict.status) == ("undecided", None)
    assert "does not say which is answered first" in verdict.reason
    assert [r.id for r in verdict.rules][:2] == [
        "common.no-running-task",
        "ua.shutdown-all-tasks.select",
    ]


def test_other_operations_keep_404_before_403() -> None:
    verdict = decide(Case("c", "status", SELECT, task_exists=False, actor_is_submitter=False))
    assert (verdict.status, verdict.rule.id) == (404, "common.task-not-found")


def test_ordered_is_only_for_task_not_found_rules() -> None:
    from conformance.oracle.rules import RuleTableError, load_table

    table = {
        "edition": {"id": "e", "title": "t", "page": "p", "version": "v", "source": "s"},
        "rule": [
            {
                "id": "r",
                "effect": "deny",
                "condition": "invalid",
                "status": 400,
                "operations": ["submit"],
                "passage": "x",
                "ordered": False,
            }
        ],
    }
    with pytest.raises(RuleTableError, match="'ordered' is a bool of task_not_found rules"):
        load_table(table)
