"""Cases from public reports: reserved names, a sqlQueryId in use, lookups.

Names the documentation gives a role, written as datasources.

The MSQ security page names ``__query_select`` (the SELECT tasks' stub datasource), and Druid's
resource types have canonical names (``EXTERNAL``, ``STATE``). Nothing stops a datasource from
being called so: INSERT into it needs WRITE DATASOURCE on that name, as into any datasource
(SPEC section 3), and a grant of the same name under another resource type (EXTERNAL WRITE on
``EXTERNAL``) is not a DATASOURCE grant. Each submit is judged by the oracle like any other
check; an accepted task is cancelled when the test ends (``no_query_outlives_its_test``), so no
such datasource stays.

On Druid 27 an INSERT into ``__query_select`` that ran would put rows where every user holding
READ on the stub (every user who may look at a SELECT task) can read them; the documentation
does not say whether that name is reserved.

A lookup read through MSQ (``SELECT k, v FROM lookup.<name>``) by a user with no role at all:
"Any authenticated user can read the contents of any lookup" (rule ``ua.lookups``). The lookup
is made through the Coordinator's lookup API and the test waits until the Broker lists it. The
submission is judged; then the query must run and return the lookup's row (the suite's peons load
lookups at start-up, ``conf/middleManager``): a task that fails is an ERROR of the cluster, not a
verdict. The clean-up removes a lookup an interrupted run left (``fixtures/cleanup.py``).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.runner import deviations
from conformance.runner.checks import Check, Outcome, assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner, fresh_identity
from conformance.test_support import insert_one_row
from fixtures.cleanup import LOOKUPS
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.errors import InfrastructureError
from fixtures.progress import step
from fixtures.provision import Grant, SecurityAdmin
from fixtures.seed import wait_for_task
from fixtures.waiting import Condition, wait_until
from strategies.grants import QUERY_SELECT_STUB, UserSpec

pytestmark = pytest.mark.druid

# (the name written, the type of the WRITE grant on that name): DATASOURCE, then another type
RESERVED_GRANTS = (
    (QUERY_SELECT_STUB, "DATASOURCE"),
    (QUERY_SELECT_STUB, "STATE"),
    ("EXTERNAL", "DATASOURCE"),
    ("EXTERNAL", "EXTERNAL"),
    ("STATE", "DATASOURCE"),
    ("STATE", "STATE"),
)


@pytest.mark.parametrize(("target", "rtype"), RESERVED_GRANTS, ids=str)
def test_insert_into_a_reserved_name(
    target: str,
    rtype: str,
    router: DruidClient,
    judge: Judge,
    scenario_runner: ScenarioRunner,
    run: Run,
) -> None:
    user = fresh_identity(f"rsv_{run.tag}", [Grant(rtype, target, "WRITE")])
    sql = insert_one_row(target)
    with scenario_runner.provisioned([user]):
        exchange = router.as_user(Credentials(user.name, user.password)).submit_task(sql)
    check = judge.check(
        f"submit (INSERT into the reserved name {target}, WRITE {rtype})",
        "submit",
        exchange,
        sql=sql,
        context={},
        permissions=user.permissions(),
        actor_is_submitter=True,
    )
    assert_conforms([check])


# The trait of a submit whose sqlQueryId another user's running query already has: a registry
# entry names it in `when.request` (Check.traits).
SQL_QUERY_ID_IN_USE = "sqlQueryId-in-use"


def test_a_sql_query_id_another_users_query_has(
    router: DruidClient,
    judge: Judge,
    scenario_runner: ScenarioRunner,
    run: Run,
    request: pytest.FixtureRequest,
) -> None:
    """A context key a user may set, ``sqlQueryId``: a fresh value, then the same value by
    another user while the first query runs. Both are submits of ``SELECT 1`` that the oracle
    allows (holding WRITE on the key, for ``authorizeQueryContextParams``); the documentation
    says nothing of ids in use, and a 5xx to a valid request is a finding."""
    grants = (Grant("QUERY_CONTEXT", "sqlQueryId", "WRITE"),)
    users = [fresh_identity(f"sqid_{run.tag}", grants) for _ in range(2)]
    context = {"sqlQueryId": f"conformance-{run.tag}-{secrets.token_hex(4)}"}
    sql = "SELECT 1"
    with scenario_runner.provisioned(users):
        first, second = (
            router.as_user(Credentials(u.name, u.password)).returning_server_errors() for u in users
        )
        fresh = first.submit_task(sql, dict(context))
        reused = second.submit_task(sql, dict(context))
    checks = [
        judge.check(
            f"submit (sqlQueryId {label})",
            "submit",
            scenario_runner.live(exchange),  # a 5xx: a finding when the cluster is live
            sql=sql,
            context=context,
            permissions=users[0].permissions(),
            actor_is_submitter=True,
            traits=traits,
        )
        for label, exchange, traits in (
            ("fresh", fresh, ()),
            ("in use by another user's query", reused, (SQL_QUERY_ID_IN_USE,)),
        )
    ]
    assert_conforms(checks)
    _reports_fixed(checks[1], run, request.node.name)


def _reports_fixed(check: Check, run: Run, test: str) -> None:
    """An entry re-checked by ``test`` (its ``rechecked_by``) whose check now agrees: reported
    FIXED, as ``test_deviations.py`` reports the others."""
    for entry in deviations.registry():
        if (
            entry.rechecked_by is not None
            and entry.rechecked_by.endswith(f"::{test}")
            and entry.applies_to(check.druid_version)
            and entry.applies_under(check.case.settings)
            and check.outcome is Outcome.AGREES
        ):
            run.fixed_deviations.append(entry.id)


LOOKUP_TIMEOUT = 120.0  # seconds for the Broker to list a new lookup (pushed every 5 s)
QUERY_TIMEOUT = 300.0  # seconds for the lookup query's task to end (two peons start)


def _lookup_listed(admin: DruidClient, name: str) -> Condition:
    def check() -> str | None:
        sql = (
            "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES "
            f"WHERE TABLE_SCHEMA = 'lookup' AND TABLE_NAME = '{name}'"
        )
        answer = admin.sql(sql)
        if answer.status != 200:
            return f"the Broker answered {answer.status}"
        return None if answer.body else "not listed yet"

    return Condition(f"the Broker to list lookup.{name}", check)


@pytest.fixture
def lookup(security: SecurityAdmin, admin_client: DruidClient, run: Run) -> Iterator[str]:
    """A map lookup ``{"k": "v"}`` in the default tier, listed by the Broker; removed after."""
    name = f"lk_{run.tag}_{secrets.token_hex(3)}"
    coordinator = security.client
    # {} initialises the lookup config (a no-op once done); then the one lookup, by a path the
    # clean-up's footprint reads (fixtures/cleanup.py)
    for path, body in ((LOOKUPS, {}), (f"{LOOKUPS}/__default/{name}", _MAP_LOOKUP)):
        _expect_2xx(coordinator.request("POST", path, body), f"POST {path}")
    try:
        with step(f"waiting for the Broker to list lookup.{name}"):
            wait_until(_lookup_listed(admin_client, name), LOOKUP_TIMEOUT)
        yield name
    finally:
        path = f"{LOOKUPS}/__default/{name}"
        _expect_2xx(coordinator.request("DELETE", path), f"DELETE {path}")


def _expect_2xx(answer: Exchange, what: str) -> None:
    if answer.status // 100 != 2:
        raise InfrastructureError(f"{what} answered {answer.status}: {answer.body}")


_MAP_LOOKUP = {"version": "v1", "lookupExtractorFactory": {"type": "map", "map": {"k": "v"}}}


def test_a_user_with_no_role_reads_a_lookup(
    lookup: str,
    router: DruidClient,
    admin_client: DruidClient,
    judge: Judge,
    scenario_runner: ScenarioRunner,
    run: Run,
) -> None:
    """Allowed by rule ``ua.lookups``; then the task returns the lookup's one row, read as the
    admin (the user may not look at a SELECT task without READ on ``__query_select``)."""
    user = UserSpec(f"lku_{run.tag}_{secrets.token_hex(3)}", secrets.token_urlsafe(12), ())
    sql = f'SELECT k, v FROM lookup."{lookup}"'
    with scenario_runner.provisioned([user]):
        exchange = router.as_user(Credentials(user.name, user.password)).submit_task(sql)
    # the lookup exists, as the seeds do: the oracle's "no such table" is for one that does not
    knowing = dataclasses.replace(
        judge, existing_datasources=judge.existing_datasources | {f"lookup.{lookup}"}
    )
    check = knowing.check(
        "submit (a lookup, by a user with no role)",
        "submit",
        scenario_runner.live(exchange),
        sql=sql,
        context={},
        permissions=(),
        actor_is_submitter=True,
    )
    assert_conforms([check])
    task = str(exchange.body["taskId"])
    with step(f"waiting for the lookup query {task} to end"):
        wait_for_task(admin_client, task, QUERY_TIMEOUT)  # FAILED: InfrastructureError
    assert _rows(admin_client.task_reports(task)) == [["k", "v"]]


def _rows(reports: Exchange) -> Any:
    """The result rows of an MSQ task report (``multiStageQuery.payload.results.results``)."""
    body = reports.body if isinstance(reports.body, dict) else {}
    payload = body.get("multiStageQuery", {}).get("payload", {})
    return payload.get("results", {}).get("results")
