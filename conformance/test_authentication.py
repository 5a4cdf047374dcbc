"""401 for missing or wrong credentials and 404 for unknown ids, on every operation.

These are the checks that need no generated world: each operation of the task API (reports
included), the Overlord's shutdownAllTasks (on a datasource without a running task) and the
statements API's, asked without credentials, with a wrong password, and about a query id that
does not exist. The oracle judges each answer like any other, and so the order
of the answers (SPEC section 2): no credentials is 401 also for an unknown id; an unknown id is
404 also for a user holding nothing, before any permission is asked (403).

A wrong password is sent right after the same user logged in with the right one, of the same
length (an authenticator that remembers a user's password length, or a cached login, would let
it through), and the answer must be the one an unknown user gets (NO-USER-ENUMERATION, a
property of ``conformance/runner/properties.toml``: not in Druid's pages, reported apart).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

import pytest

from conformance.runner import properties
from conformance.runner.checks import assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner
from conformance.test_support import insert_one_row
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
    "reports": lambda c, qid: c.task_reports(qid),
    # a datasource named after the id, which no task has: never stops anyone's query
    "shutdownAllTasks": lambda c, qid: c.shutdown_all_tasks(_no_tasks(qid)),
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


def _unknown_id() -> str:
    return f"query-{secrets.token_hex(8)}"


def _no_tasks(query_id: str) -> str:
    return f"none-{query_id}"


def _sql(operation: str, query_id: str) -> str:
    """The statement the oracle's case names: for shutdownAllTasks one whose task would be of
    the datasource asked about (an INSERT into it), else the query asked about."""
    return insert_one_row(_no_tasks(query_id)) if operation in NO_TASK else LITERAL


# operations asked about a datasource without a running task (shutdownAllTasks with a real
# one would stop it, and every other SELECT with it): only as an unknown id
NO_TASK = frozenset({"shutdownAllTasks"})

# every operation with a real id; those that name an id also with an unknown one (a submit
# names none): parameters, not skips, since a certification refuses a skipped test
NO_CREDENTIALS_CASES = [(op, True) for op in OPERATIONS if op not in NO_TASK] + [
    (op, False) for op in OPERATIONS if not op.endswith("submit")
]


@pytest.mark.parametrize(
    ("operation", "known"),
    NO_CREDENTIALS_CASES,
    ids=[f"{op}-{'real id' if known else 'unknown id'}" for op, known in NO_CREDENTIALS_CASES],
)
def test_no_credentials(
    operation: str, known: bool, router: DruidClient, judge: Judge, admin_queries: dict[str, str]
) -> None:
    query_id = _query_id(operation, admin_queries) if known else _unknown_id()
    exchange = OPERATIONS[operation](router, query_id)
    check = judge.check(
        f"{operation} (no credentials{'' if known else ', unknown id'})",
        operation,
        exchange,
        sql=_sql(operation, query_id),
        context={},
        permissions=(),
        actor_is_submitter=False,
        authenticated=False,
        task_exists=known,
    )
    assert_conforms([check])


def _login_read(operation: str) -> Operation:
    """A read of the same API as ``operation``, to log in with: it authenticates on the same
    Druid processes and starts no task."""
    return OPERATIONS["statements.status" if operation.startswith("statements.") else "status"]


def _answer(exchange: Exchange) -> tuple[int, str]:
    body = exchange.body
    return exchange.status, body if isinstance(body, str) else json.dumps(body, sort_keys=True)


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
    query_id = _query_id(operation, admin_queries)
    with scenario_runner.provisioned([user]):
        logged_in = _login_read(operation)(
            router.as_user(Credentials(user.name, user.password)), query_id
        )
        wrong = secrets.token_urlsafe(12)  # the same length as the right one
        assert len(wrong) == len(user.password) and wrong != user.password
        exchange = OPERATIONS[operation](router.as_user(Credentials(user.name, wrong)), query_id)
        stranger = Credentials(f"nobody_{run.tag}_{secrets.token_hex(3)}", wrong)
        unknown_user = OPERATIONS[operation](router.as_user(stranger), query_id)
    assert logged_in.status != 401, f"the right password was refused: {logged_in}"
    check = judge.check(
        f"{operation} (wrong password)",
        operation,
        exchange,
        sql=_sql(operation, query_id),
        context={},
        permissions=user.permissions(),
        actor_is_submitter=True,
        authenticated=False,
        task_exists=operation not in NO_TASK,
    )
    assert_conforms([check])
    properties.expect(
        run,
        "NO-USER-ENUMERATION",
        _answer(exchange) == _answer(unknown_user),
        f"  wrong password: {_answer(exchange)}\n  unknown user:   {_answer(unknown_user)}",
        judge.druid_version,
        scope=operation,
    )


@pytest.mark.parametrize("actor", ["admin", "a user holding nothing"])
@pytest.mark.parametrize("operation", [op for op in OPERATIONS if not op.endswith("submit")])
def test_unknown_id(
    operation: str,
    actor: str,
    router: DruidClient,
    admin_client: DruidClient,
    judge: Judge,
    scenario_runner: ScenarioRunner,
    run: Run,
) -> None:
    unknown = _unknown_id()
    if actor == "admin":
        exchange = OPERATIONS[operation](admin_client, unknown)
        permissions = RoleSpec("admin", ADMIN_GRANTS).permissions()
    else:
        user = UserSpec(f"auth_{run.tag}_{secrets.token_hex(3)}", secrets.token_urlsafe(12), ())
        with scenario_runner.provisioned([user]):
            client = router.as_user(Credentials(user.name, user.password))
            exchange = OPERATIONS[operation](client, unknown)
        permissions = ()
    check = judge.check(
        f"{operation} (unknown id, {actor})",
        operation,
        exchange,
        sql=_sql(operation, unknown),
        context={},
        permissions=permissions,
        actor_is_submitter=actor == "admin",
        task_exists=False,
    )
    assert_conforms([check])
