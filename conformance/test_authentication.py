"""401 for missing or wrong credentials and 404 for unknown ids, on every operation.

These are the checks that need no generated world: each operation of the task API and of the
statements API, asked without credentials, with a wrong password, and about a query id that does
not exist. The oracle judges each answer like any other.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from conformance.runner.checks import assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.provision import ADMIN_GRANTS
from strategies.grants import RoleSpec, UserSpec

pytestmark = pytest.mark.druid

LITERAL = "SELECT 1"
Operation = Callable[[DruidClient, str], Exchange]

OPERATIONS: dict[str, Operation] = {
    "submit": lambda c, _: c.submit_task(LITERAL),
    "status": lambda c, qid: c.task_status(qid),
    "cancel": lambda c, qid: c.cancel_task(qid),
    "statements.submit": lambda c, _: c.submit_statement(LITERAL),
    "statements.status": lambda c, qid: c.statement_status(qid),
    "statements.results": lambda c, qid: c.statement_results(qid),
    "statements.cancel": lambda c, qid: c.cancel_statement(qid),
}


@pytest.fixture(scope="session")
def admin_queries(admin_client: DruidClient) -> dict[str, str]:
    """A real task id and statement id, so that 401 is not confused with 404."""
    task = admin_client.submit_task(LITERAL)
    statement = admin_client.submit_statement(LITERAL)
    assert task.status // 100 == 2 and statement.status // 100 == 2, (task, statement)
    return {"task": task.body["taskId"], "statements": statement.body["queryId"]}


def _query_id(operation: str, ids: dict[str, str]) -> str:
    return ids["statements" if operation.startswith("statements.") else "task"]


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_no_credentials(
    operation: str, router: DruidClient, judge: Judge, admin_queries: dict[str, str]
) -> None:
    exchange = OPERATIONS[operation](router, _query_id(operation, admin_queries))
    check = judge.check(
        f"{operation} (no credentials)",
        operation,
        exchange,
        sql=LITERAL,
        context={},
        permissions=(),
        actor_is_submitter=False,
        authenticated=False,
    )
    assert_conforms([check])


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_wrong_password(
    operation: str,
    router: DruidClient,
    judge: Judge,
    scenario_runner: ScenarioRunner,
    admin_queries: dict[str, str],
    run: Run,
) -> None:
    user = UserSpec(f"auth_{run.tag}_{secrets.token_hex(3)}", secrets.token_urlsafe(12), ())
    with scenario_runner.provisioned([user]):
        impostor = router.as_user(Credentials(user.name, secrets.token_urlsafe(12)))
        exchange = OPERATIONS[operation](impostor, _query_id(operation, admin_queries))
    check = judge.check(
        f"{operation} (wrong password)",
        operation,
        exchange,
        sql=LITERAL,
        context={},
        permissions=user.permissions(),
        actor_is_submitter=True,
        authenticated=False,
    )
    assert_conforms([check])


@pytest.mark.parametrize("operation", [op for op in OPERATIONS if not op.endswith("submit")])
def test_unknown_id(operation: str, admin_client: DruidClient, judge: Judge) -> None:
    unknown = f"query-{secrets.token_hex(8)}"
    exchange = OPERATIONS[operation](admin_client, unknown)
    admin = RoleSpec("admin", ADMIN_GRANTS)
    check = judge.check(
        f"{operation} (unknown id)",
        operation,
        exchange,
        sql=LITERAL,
        context={},
        permissions=admin.permissions(),
        actor_is_submitter=True,
        task_exists=False,
    )
    assert_conforms([check])
