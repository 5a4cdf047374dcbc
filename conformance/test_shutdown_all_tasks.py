"""``POST /druid/indexer/v1/datasources/{dataSource}/shutdownAllTasks``: one user stops another's.

The tasks API reference: it "shuts down all tasks for a specified datasource", and answers 404
when the "datasource does not have a running task". SELECT tasks all have the stub datasource
``__query_select``, so this endpoint on ``__query_select`` stops every user's running SELECT.
What it needs is judged by the oracle's ``shutdownAllTasks`` operation: WRITE on the path's
datasource (the user-auth page's HTTP methods passage, rules ``ua.shutdown-all-tasks.*``), with
the MSQ security page's READ "to interact with a query" shown as a documentation conflict.

Each case: a submitter starts a query, another user (``actor``) asks for all tasks of a
datasource to be shut down, the answer is judged, and then the effect is checked on the
submitter's task, as the admin sees it: an allowed request stops it, a refused one or one about
another datasource leaves it to end on its own. The cases are asked one after the other in one
test, in an order where each leaves the others' tasks alone (the first asks about
``__query_select`` while only its INSERT runs), so the waits for the tasks left running overlap.

The endpoint stops tasks the run did not submit too. Before each case the test waits until no
SELECT task but its own is active (a run's earlier queries are cancelled at their test's end);
on a cluster where other clients keep SELECT tasks running that wait ends in an ERROR instead of
stopping their queries.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from conformance.runner.checks import Check, assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner, fresh_identity
from conformance.test_support import insert_one_row
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.errors import InfrastructureError
from fixtures.progress import step
from fixtures.provision import Grant
from fixtures.seed import task_end
from fixtures.waiting import Condition, DeadlineExceeded, wait_until
from strategies.grants import QUERY_SELECT_STUB, UserSpec

pytestmark = pytest.mark.druid

QUIET_TIMEOUT = 120.0  # seconds for other SELECT tasks to end before a case starts
END_TIMEOUT = 300.0  # seconds for the submitter's task to end after the request
STOPPED_PASSAGE = (
    "docs/api-reference/tasks-api.md: 'Shuts down all tasks for a specified datasource.'"
)


@dataclass(frozen=True)
class Case:
    """The actor's grant, the submitter's statement kind, and the datasource asked about."""

    id: str
    actor_grant: tuple[str, str]  # (name, action) of a DATASOURCE grant
    submits_insert: bool  # the submitter runs an INSERT into a fresh datasource, else SELECT 1
    asks_about_stub: bool  # the path names __query_select, else the submitter's datasource


CASES = (  # in the order asked: the first needs no SELECT task to be running
    # the stub asked while only an INSERT runs: no SELECT task (404), the INSERT runs on
    Case("stub-asked-while-an-insert-runs", (QUERY_SELECT_STUB, "WRITE"), True, True),
    # WRITE on the stub: every user's running SELECT is stopped (allowed, 200)
    Case("write-on-stub-stops-a-select", (QUERY_SELECT_STUB, "WRITE"), False, True),
    # READ on the stub, which the MSQ page names for cancel: refused (403), the SELECT runs on
    Case("read-on-stub-is-refused", (QUERY_SELECT_STUB, "READ"), False, True),
    # WRITE on the output datasource: another user's INSERT is stopped (allowed, 200)
    Case("write-on-output-stops-an-insert", ("{out}", "WRITE"), True, False),
)


@dataclass(frozen=True)
class Asked:
    """One case asked: the submitter's statement and task, the datasource asked about, the
    actor, and Druid's answer."""

    case: Case
    sql: str
    task: str
    datasource: str
    actor: UserSpec
    exchange: Exchange

    @property
    def tasks_running(self) -> bool:
        """Whether the datasource asked about had a running task: the submitter's."""
        return self.case.asks_about_stub != self.case.submits_insert

    def check(self, judge: Judge) -> Check:
        """The answer judged; the statement stands for the tasks of the datasource asked about
        (a SELECT when the stub is asked about while only an INSERT runs)."""
        name, action = self.case.actor_grant
        held = "the output datasource" if name == "{out}" else name
        return judge.check(  # the label names no run's datasource: the same in every run
            f"shutdownAllTasks x {self.case.id} (the actor holds {action} on {held})",
            "shutdownAllTasks",
            self.exchange,
            sql=self.sql if self.tasks_running else "SELECT 1",
            context={},
            permissions=self.actor.permissions(),
            actor_is_submitter=False,
            task_exists=self.tasks_running,
        )


def test_shutdown_all_tasks_stops_only_the_tasks_of_the_datasource(
    router: DruidClient,
    admin_client: DruidClient,
    judge: Judge,
    scenario_runner: ScenarioRunner,
    run: Run,
) -> None:
    """The four cases one after the other (their tasks run side by side, so the waits for the
    ones left running overlap), each answer judged, then each task's final state."""
    outs = [f"sat_{run.tag}_{secrets.token_hex(3)}" for _ in CASES]
    pairs = [_identities(case, out, run.tag) for case, out in zip(CASES, outs, strict=True)]
    asked: list[Asked] = []
    with scenario_runner.provisioned([user for pair in pairs for user in pair]):
        with step("waiting until no other SELECT task is active"):
            _wait_quiet(admin_client)
        for case, out, (submitter, actor) in zip(CASES, outs, pairs, strict=True):
            asked.append(_ask(case, out, submitter, actor, router, scenario_runner))
    assert_conforms([one.check(judge) for one in asked])
    with step(f"waiting for the {len(asked)} submitters' tasks to end"):
        states = [task_end(admin_client, one.task, END_TIMEOUT)[0] for one in asked]
    wrong = [
        f"{one.case.id}: shutdownAllTasks of {one.datasource} answered {one.exchange.status}, "
        f"and the submitter's task {one.task} ({one.sql!r}) then ended {state}"
        for one, state in zip(asked, states, strict=True)
        if (state == "FAILED") is not (one.exchange.status // 100 == 2)
    ]
    assert not wrong, (
        f"an allowed request stops the datasource's tasks ({STOPPED_PASSAGE}); a refused one, or "
        "one about another datasource, must not:\n  " + "\n  ".join(wrong)
    )


def _identities(case: Case, out: str, tag: str) -> tuple[UserSpec, UserSpec]:
    """The submitter (WRITE on ``out`` for an INSERT) and the actor (the case's grant)."""
    grants = [Grant("DATASOURCE", out, "WRITE")] if case.submits_insert else []
    name, action = case.actor_grant
    actor = fresh_identity(f"sata_{tag}", [Grant("DATASOURCE", name, action)], out=out)
    return fresh_identity(f"sats_{tag}", grants), actor


def _ask(
    case: Case,
    out: str,
    submitter: UserSpec,
    actor: UserSpec,
    router: DruidClient,
    scenario_runner: ScenarioRunner,
) -> Asked:
    sql = insert_one_row(out) if case.submits_insert else "SELECT 1"
    answer = router.as_user(Credentials(submitter.name, submitter.password)).submit_task(sql)
    if answer.status // 100 != 2 or not isinstance(answer.body, dict):
        raise InfrastructureError(f"{case.id}: the submitter's query answered {answer.status}")
    datasource = QUERY_SELECT_STUB if case.asks_about_stub else out
    acting = router.as_user(Credentials(actor.name, actor.password))
    exchange = scenario_runner.live(acting.shutdown_all_tasks(datasource))
    return Asked(case, sql, str(answer.body["taskId"]), datasource, actor, exchange)


def _active_stub_tasks(admin: DruidClient) -> set[str]:
    """The ids of the SELECT tasks (datasource ``__query_select``) pending or running."""
    ids: set[str] = set()
    for state in ("pending", "waiting", "running"):
        answer = admin.request(
            "GET", f"/druid/indexer/v1/tasks?state={state}&datasource={QUERY_SELECT_STUB}"
        )
        if answer.status != 200 or not isinstance(answer.body, list):
            raise InfrastructureError(f"listing {state} tasks answered {answer.status}")
        ids |= {str(t.get("id")) for t in answer.body if isinstance(t, dict)}
    return ids


def _wait_quiet(admin: DruidClient) -> None:
    def quiet() -> str | None:
        others = _active_stub_tasks(admin)
        return f"{len(others)} active: {', '.join(sorted(others)[:3])}" if others else None

    try:
        wait_until(Condition("no SELECT task of another client to be active", quiet), QUIET_TIMEOUT)
    except DeadlineExceeded as exc:
        raise InfrastructureError(
            f"{exc}: shutdownAllTasks on {QUERY_SELECT_STUB} would stop them, so it is not asked"
        ) from exc
