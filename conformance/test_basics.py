"""First end-to-end checks of documented rules against the real Druid.

Each test states the documented outcome and the passage it comes from; when Druid disagrees the
failure names the rule, quotes it and shows the HTTP exchange.
"""

from __future__ import annotations

import secrets

import pytest

from conformance.runner.run import Run
from conformance.test_support import SEED_001, SPEC_HTTP, Rule, UserFactory, expect
from fixtures.client import Credentials, DruidClient
from fixtures.provision import Grant

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


def test_no_credentials_is_401(router: DruidClient, seeds: list[str]) -> None:
    expect(router.submit_task("SELECT 1"), 401, NO_CREDENTIALS)


def test_wrong_password_is_401(
    make_user: UserFactory, router: DruidClient, seeds: list[str]
) -> None:
    user = make_user([])
    assert user.credentials is not None
    impostor = router.as_user(Credentials(user.credentials.user, secrets.token_urlsafe(16)))
    expect(impostor.submit_task("SELECT 1"), 401, NO_CREDENTIALS)


def test_no_grants_select_from_datasource_is_403(
    make_user: UserFactory, seeds: list[str], run: Run
) -> None:
    user = make_user([])
    answer = user.submit_task('SELECT page FROM "wikipedia"')
    run.time("submit_denied", answer.seconds)
    expect(answer, 403, SELECT_NEEDS_READ)


def test_no_grants_select_literal_is_accepted(make_user: UserFactory, seeds: list[str]) -> None:
    user = make_user([])
    expect(user.submit_task("SELECT 1"), 200, ALL_USERS_MAY_USE_MSQ)


def test_read_grant_allows_select(make_user: UserFactory, seeds: list[str], run: Run) -> None:
    user = make_user([Grant("DATASOURCE", "wikipedia", "READ")])
    answer = user.submit_task('SELECT page FROM "wikipedia"')
    run.time("submit_accepted", answer.seconds)
    expect(answer, 200, SELECT_NEEDS_READ)


def test_submitter_status_and_cancel_of_insert(
    make_user: UserFactory, seeds: list[str], run: Run
) -> None:
    output = f"conformance_out_{run.tag}"
    user = make_user([Grant("DATASOURCE", output, "WRITE"), Grant("DATASOURCE", output, "READ")])
    submitted = user.submit_task(
        f"INSERT INTO \"{output}\" SELECT TIME_PARSE('2024-01-01') AS __time, 'x' AS page "
        "PARTITIONED BY DAY"
    )
    expect(submitted, 200, INSERT_NEEDS_WRITE)
    task_id = submitted.body["taskId"]
    expect(user.task_status(task_id), 200, OVERLORD_NEEDS_READ_ON_OUTPUT)
    expect(user.cancel_task(task_id), 200, OVERLORD_NEEDS_READ_ON_OUTPUT)


def test_unknown_task_id_is_404(admin_client: DruidClient, seeds: list[str]) -> None:
    missing = f"query-{secrets.token_hex(8)}"
    expect(admin_client.task_status(missing), 404, UNKNOWN_TASK)
    expect(admin_client.cancel_task(missing), 404, UNKNOWN_TASK)
