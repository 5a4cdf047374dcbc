"""First end-to-end checks of documented rules against the real Druid.

Each test states the documented outcome and the passage it comes from; the oracle judges the
same exchange (and must read it the same way, under the run's settings), so the deviation
registry explains what it explains here as everywhere. When Druid disagrees otherwise the
failure names the rule, quotes it and shows the HTTP exchange.
"""

from __future__ import annotations

import secrets

import pytest

from conformance.runner.run import Run
from conformance.runner.scenario import Judge
from conformance.test_support import SEED_001, SPEC_HTTP, Rule, UserFactory, expect
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.provision import ADMIN_GRANTS, Grant

pytestmark = pytest.mark.druid

ALL_USERS_MAY_USE_MSQ = Rule(
    SEED_001,
    "All authenticated users can use the multi-stage query task engine (MSQ task engine) through "
    "the UI and API if the extension is loaded.",
)
SELECT_NEEDS_READ = Rule(
    SEED_001,
    "SELECT from a Druid datasource requires the READ DATASOURCE permission on that datasource.",
)
INSERT_NEEDS_WRITE = Rule(
    SEED_001,
    "INSERT or REPLACE into a Druid datasource requires the WRITE DATASOURCE permission on that "
    "datasource.",
)
OVERLORD_NEEDS_READ_ON_OUTPUT = Rule(
    SEED_001,
    "To interact with a query through the Overlord API, you need the following permissions: "
    "INSERT or REPLACE queries: You must have READ DATASOURCE permission on the output datasource.",
)
NO_CREDENTIALS = Rule(SPEC_HTTP, "HTTP Basic auth. No or wrong credentials: 401.")
UNKNOWN_TASK = Rule(SPEC_HTTP, "Unknown task id: 404.")


LITERAL = "SELECT 1"
FROM_WIKIPEDIA = 'SELECT page FROM "wikipedia"'


def test_no_credentials_is_401(router: DruidClient, judge: Judge) -> None:
    answer = router.submit_task(LITERAL)
    expect(judge, answer, 401, NO_CREDENTIALS, operation="submit", sql=LITERAL, authenticated=False)


def test_wrong_password_is_401(make_user: UserFactory, router: DruidClient, judge: Judge) -> None:
    user = make_user([])
    assert user.credentials is not None
    impostor = router.as_user(Credentials(user.credentials.user, secrets.token_urlsafe(16)))
    answer = impostor.submit_task(LITERAL)
    expect(judge, answer, 401, NO_CREDENTIALS, operation="submit", sql=LITERAL, authenticated=False)


def test_no_grants_select_from_datasource_is_403(
    make_user: UserFactory, judge: Judge, run: Run
) -> None:
    user = make_user([])
    answer = user.submit_task(FROM_WIKIPEDIA)
    run.time("submit_denied", answer.seconds)
    expect(judge, answer, 403, SELECT_NEEDS_READ, operation="submit", sql=FROM_WIKIPEDIA)


def test_no_grants_select_literal_is_accepted(make_user: UserFactory, judge: Judge) -> None:
    user = make_user([])
    answer = user.submit_task(LITERAL)
    expect(judge, answer, 200, ALL_USERS_MAY_USE_MSQ, operation="submit", sql=LITERAL)


def test_read_grant_allows_select(make_user: UserFactory, judge: Judge, run: Run) -> None:
    grants = [Grant("DATASOURCE", "wikipedia", "READ")]
    user = make_user(grants)
    answer = user.submit_task(FROM_WIKIPEDIA)
    run.time("submit_accepted", answer.seconds)
    expect(
        judge, answer, 200, SELECT_NEEDS_READ, operation="submit", sql=FROM_WIKIPEDIA, grants=grants
    )


def test_submitter_status_and_cancel_of_insert(
    make_user: UserFactory, judge: Judge, run: Run
) -> None:
    output = f"conformance_out_{run.tag}"
    grants = [Grant("DATASOURCE", output, "WRITE"), Grant("DATASOURCE", output, "READ")]
    user = make_user(grants)
    sql = (
        f"INSERT INTO \"{output}\" SELECT TIME_PARSE('2024-01-01') AS __time, 'x' AS page "
        "PARTITIONED BY DAY"
    )

    def judged(operation: str, answer: Exchange, rule: Rule) -> None:
        expect(judge, answer, 200, rule, operation=operation, sql=sql, grants=grants)

    submitted = user.submit_task(sql)
    judged("submit", submitted, INSERT_NEEDS_WRITE)
    if submitted.status // 100 != 2:
        return  # a deviation the registry knows: no task to ask about
    task_id = submitted.body["taskId"]
    judged("status", user.task_status(task_id), OVERLORD_NEEDS_READ_ON_OUTPUT)
    judged("cancel", user.cancel_task(task_id), OVERLORD_NEEDS_READ_ON_OUTPUT)


def test_unknown_task_id_is_404(admin_client: DruidClient, judge: Judge) -> None:
    missing = f"query-{secrets.token_hex(8)}"
    for operation, answer in (
        ("status", admin_client.task_status(missing)),
        ("cancel", admin_client.cancel_task(missing)),
    ):
        expect(
            judge,
            answer,
            404,
            UNKNOWN_TASK,
            operation=operation,
            sql=LITERAL,
            grants=ADMIN_GRANTS,
            task_exists=False,
        )
