"""The one scenario type and the one executor, without Druid.

``ScenarioRunner.run`` runs a scenario against a fake Druid (a ``DruidClient`` whose requests
never leave the process; provisioning goes through the real ``SecurityAdmin``): the requests it
sends, in order, and the checks it records. A steered request whose judged verdict is not the
steering's is a ``SteeringDrift`` showing both cases; every feasible cell is reached through the
one ``Scenario`` type and the one executor.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance import conftest as suite
from conformance.oracle import DEFAULT_PROFILE, Case, VerdictKind, decide
from conformance.runner.checks import Check
from conformance.runner.run import Run
from conformance.runner.scenario import (
    STATEMENTS_API,
    TASK_API,
    Judge,
    ScenarioRunner,
    SteeringDrift,
    fresh_identity,
)
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.errors import InfrastructureError
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin
from strategies.grants import UserSpec
from strategies.identities import NO_CREDENTIALS
from strategies.naming import make_namer
from strategies.queries import SEED_DATASOURCES, QueryKind
from strategies.scenario import Cell, Operation, Request, Scenario, Steered, credentials
from strategies.steering import feasible_cells, scenarios, with_drawn_readers

NAMER = make_namer("scen_test")
ONE = settings(max_examples=1, derandomize=True, database=None, deadline=None)
Answer = Callable[[str, str, str | None], tuple[int, Any]]


# --------------------------------------------------------------------------- a fake Druid


def polite(method: str, path: str, user: str | None) -> tuple[int, Any]:
    """Answers 401 without credentials and 200 otherwise; a submit gets its query id."""
    if user is None:
        return 401, "Unauthorized"
    if path in ("/druid/v2/sql/task", "/druid/v2/sql/statements") and method == "POST":
        return 202, {"taskId": "query-1", "queryId": "query-1", "state": "ACCEPTED"}
    if path.startswith("/druid/v2/sql/statements/") and method == "GET":
        return 200, {"queryId": "query-1", "state": "SUCCESS"}
    return 200, {}


class FakeDruid(DruidClient):
    """A Druid client whose requests are answered by ``answer`` and logged in ``log``."""

    def __init__(
        self, log: list[Exchange], answer: Answer, credentials: Credentials | None = None
    ) -> None:
        super().__init__("http://fake-druid", credentials)
        self.log = log
        self.answer = answer

    def as_user(self, credentials: Credentials | None) -> DruidClient:
        return FakeDruid(self.log, self.answer, credentials)

    def request(
        self, method: str, path: str, body: Any = None, allow_server_error: bool = False
    ) -> Exchange:
        user = self.credentials.user if self.credentials else None
        status, reply = self.answer(method, path, user)
        exchange = Exchange(method, path, user, body, status, reply, 0.0, 0.0, len(self.log))
        self.log.append(exchange)
        return exchange


class Sink:
    """A run's history that keeps nothing but counts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.checks: list[dict[str, Any]] = []
        self.relations: list[dict[str, Any]] = []

    def record(self, exchange: Exchange) -> int:
        self.count += 1
        return self.count

    def record_check(self, check: dict[str, Any]) -> None:
        self.checks.append(check)

    def record_relation(self, comparison: dict[str, Any]) -> None:
        self.relations.append(comparison)

    def record_event(self, event: str, data: dict[str, Any]) -> None:
        pass

    def secret(self, value: str, user: str | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class Barrier:
    waits = 0
    users_unchanged = 0  # waits told only roles and permission lists changed

    def wait(self, users_changed: bool = True) -> None:
        self.waits += 1
        self.users_unchanged += not users_changed


@dataclasses.dataclass
class Fake:
    runner: ScenarioRunner
    log: list[Exchange]  # every request the router and the admin sent, in order
    security: list[Exchange]  # every basic-security request
    run: Run

    def asked(self) -> list[tuple[str, str, str | None]]:
        """(method, path, user) of each request to the Router, in order."""
        return [(e.method, e.path, e.user) for e in self.log]


def fake(
    tmp_path: Path,
    answer: Answer = polite,
    settings: dict[str, Any] | None = None,
    existing: frozenset[str] = frozenset(SEED_DATASOURCES),
) -> Fake:
    log: list[Exchange] = []
    security_log: list[Exchange] = []
    run = Run("20260101T000000Z-abc123", tmp_path, Sink(tmp_path / "history.jsonl"))
    judge = Judge(run, "27.0.0", DEFAULT_PROFILE, existing, settings or {})
    router = FakeDruid(log, answer)
    admin = router.as_user(Credentials("admin", "admin-password"))
    security = SecurityAdmin(FakeDruid(security_log, lambda *_: (200, {})))
    barrier = cast(PropagationBarrier, Barrier())
    return Fake(ScenarioRunner(security, barrier, router, admin, judge), log, security_log, run)


def steered(cell: Cell, **options: Any) -> Scenario:
    """A scenario the steering builds for ``cell``: the first one a derandomised Hypothesis
    draws (not shrunk: shrinking a scenario takes minutes)."""
    drawn: list[Scenario] = []

    @settings(ONE, phases=[Phase.generate])
    @given(scenarios(NAMER, cells=[cell], **options))
    def draw(scenario: Scenario) -> None:
        drawn.append(scenario)

    draw()
    return drawn[0]


TASK = "/druid/indexer/v1/task/query-1"


# --------------------------------------------------------------------------- steered scenarios


def test_a_steered_status_scenario_is_asked_and_checked(tmp_path: Path) -> None:
    cell = Cell(Operation.STATUS, QueryKind.SELECT_DATASOURCE, VerdictKind.FORBIDDEN)
    scenario = steered(cell)
    druid = fake(tmp_path)
    checks = druid.runner.run(scenario)
    submitter, actor = scenario.submitter.name, scenario.aimed.actor.name
    assert druid.asked() == [
        ("POST", "/druid/v2/sql/task", submitter),
        ("GET", f"{TASK}/status", actor),
        ("POST", f"{TASK}/shutdown", "admin"),  # hygiene, not judged
    ]
    assert [c.label for c in checks] == [
        "submit x SELECT_DATASOURCE",
        "status x SELECT_DATASOURCE",
    ]
    assert checks[-1].cell == str(cell)
    assert checks[0].verdict.allowed
    assert checks[-1].case.permissions == scenario.aimed.actor.permissions()
    assert checks[-1].case.actor_is_submitter is (actor == submitter)
    assert druid.run.checks == checks
    assert druid.run.operations == 2
    # every user and role provisioned, then deleted
    created = {e.path.rsplit("/", 1)[-1] for e in druid.security if e.method == "POST"}
    deleted = {e.path.rsplit("/", 1)[-1] for e in druid.security if e.method == "DELETE"}
    assert {u.name for u in scenario.users} <= created
    assert {r.name for r in scenario.roles()} <= deleted


def test_an_unauthenticated_submit_is_sent_with_the_actors_login(tmp_path: Path) -> None:
    cell = Cell(Operation.SUBMIT, QueryKind.SELECT_JOIN, VerdictKind.UNAUTHENTICATED)
    scenario = steered(cell)
    login = scenario.aimed.login
    druid = fake(tmp_path, lambda *_: (401, "Unauthorized"))
    [check] = druid.runner.run(scenario)
    user = login.user if isinstance(login, Credentials) else None
    assert druid.asked() == [("POST", "/druid/v2/sql/task", user)]  # 401: no query to cancel
    assert check.cell == str(cell)
    assert not check.case.authenticated


@pytest.mark.parametrize("cell", feasible_cells(), ids=str)
@settings(max_examples=1, deadline=None, database=None)
@given(data=st.data())
def test_every_feasible_cell_is_checked_through_the_one_executor(
    cell: Cell, data: st.DataObject
) -> None:
    scenario = data.draw(scenarios(NAMER, cells=[cell]))
    checks = fake(Path("unwritten")).runner.run(scenario)  # no SteeringDrift
    assert str(cell) in [c.cell for c in checks]


# --------------------------------------------------------------------------- drift


def test_a_drifted_case_is_a_steering_drift_showing_both(tmp_path: Path) -> None:
    """The steering judged the actor with every permission it holds; the case it hands over
    says it holds nothing (as if the world it steered in were not the one provisioned)."""
    cell = Cell(Operation.STATUS, QueryKind.SELECT_DATASOURCE, VerdictKind.ALLOWED)
    scenario = steered(cell)
    aimed = scenario.aimed
    assert aimed.steered is not None
    empty = dataclasses.replace(aimed.steered.case, permissions=())
    drifted = dataclasses.replace(aimed, steered=Steered(empty, decide(empty)))
    scenario = dataclasses.replace(scenario, follow_ups=(drifted,))
    druid = fake(tmp_path)
    with pytest.raises(SteeringDrift) as raised:
        druid.runner.run(scenario)
    drift = raised.value
    text = str(drift)
    assert "steering drift on 'status x SELECT_DATASOURCE'" in text
    assert drift.steered.verdict.verdict is VerdictKind.FORBIDDEN
    assert drift.verdict.verdict is VerdictKind.ALLOWED
    assert "steering's verdict: forbidden (403)" in text
    assert "judge's verdict:    allowed (200)" in text
    assert '"permissions": []' in text  # the steering's case, as JSON
    assert '"action": "READ"' in text  # the judge's
    # only the submit is recorded; the query is cancelled and the users deleted all the same
    assert [c.label for c in druid.run.checks] == ["submit x SELECT_DATASOURCE"]
    assert druid.asked()[-1] == ("POST", f"{TASK}/shutdown", "admin")
    assert any(e.method == "DELETE" for e in druid.security)


def test_a_judge_in_another_world_drifts(tmp_path: Path) -> None:
    """Steered without context authorization, judged on a cluster with it: SELECT 1 with
    ``maxNumTasks`` needs QUERY_CONTEXT WRITE there, and the steered submit is no longer allowed."""
    cell = Cell(Operation.SUBMIT, QueryKind.SELECT_LITERAL, VerdictKind.ALLOWED)
    scenario = steered(cell)
    druid = fake(tmp_path, settings={"authorizeQueryContextParams": True})
    with pytest.raises(SteeringDrift) as raised:
        druid.runner.run(scenario)
    text = str(raised.value)
    assert "the steering judged submit allowed, the judge submit forbidden" in text
    assert '"settings": {}' in text
    assert '"settings": {"authorizeQueryContextParams": true}' in text
    assert druid.run.checks == []


def test_a_drift_is_an_error_of_the_test_and_an_internal_error_of_the_run() -> None:
    """The suite's hooks report a SteeringDrift as an ERROR (as they report infrastructure
    problems, but not as one), and the run ends with pytest's 3 (internal error), not 1."""
    case = Case(id="c", operation="submit", sql="SELECT 1")
    drift = SteeringDrift(
        "submit x SELECT_LITERAL", Steered(case, decide(case)), case, decide(case)
    )
    config = SimpleNamespace(stash=pytest.Stash())
    report = pytest.TestReport("t", ("t.py", 0, "t"), {}, "failed", None, "call")
    call = SimpleNamespace(excinfo=SimpleNamespace(value=drift))
    hook = suite.pytest_runtest_makereport(
        cast(Any, SimpleNamespace(config=config)), cast(Any, call)
    )
    next(hook)
    with pytest.raises(StopIteration):
        hook.send(report)
    status = suite.pytest_report_teststatus(report, cast(Any, config))
    assert status == ("error", "E", "ERROR (steering drift)")
    assert not getattr(report, "infrastructure", False)  # not an infrastructure error
    other = pytest.TestReport("u", ("u.py", 0, "u"), {}, "failed", None, "call")
    assert suite.pytest_report_teststatus(other, cast(Any, config)) is None
    config.stash[suite.RUN_KEY] = cast(Any, SimpleNamespace(infrastructure_errors=[], checks=[]))
    session = SimpleNamespace(config=config, exitstatus=1)
    suite.pytest_sessionfinish(cast(Any, session), 1)
    assert session.exitstatus == pytest.ExitCode.INTERNAL_ERROR


# --------------------------------------------------------------------------- other APIs


def test_the_statements_api_is_judged_by_its_own_rules(tmp_path: Path) -> None:
    """The steering judged the task API's question; on the statements API that API's rules
    judge, and a steered case (even a drifted one) is not compared."""
    cell = Cell(Operation.STATUS, QueryKind.SELECT_DATASOURCE, VerdictKind.ALLOWED)
    scenario = steered(cell)
    aimed = scenario.aimed
    assert aimed.steered is not None
    empty = dataclasses.replace(aimed.steered.case, permissions=())
    drifted = dataclasses.replace(aimed, steered=Steered(empty, decide(empty)))
    scenario = dataclasses.replace(scenario, follow_ups=(drifted,))
    checks = fake(tmp_path).runner.run(scenario, STATEMENTS_API)
    assert [c.case.operation for c in checks] == ["statements.submit", "statements.status"]
    with pytest.raises(SteeringDrift):
        fake(tmp_path).runner.run(scenario, TASK_API)


def test_asking_replaces_the_aimed_operation_and_drops_its_steered_case() -> None:
    scenario = steered(Cell(Operation.STATUS, QueryKind.SELECT_JOIN, VerdictKind.FORBIDDEN))
    asked = scenario.asking("results")
    assert asked.aimed.operation == "results" and asked.aimed.steered is None
    assert asked.submit == scenario.submit and asked.cell == scenario.cell
    assert scenario.asking("status") is scenario
    submit = steered(Cell(Operation.SUBMIT, QueryKind.SELECT_JOIN, VerdictKind.FORBIDDEN))
    with pytest.raises(ValueError, match="nothing after the submit"):
        submit.asking("status")
    table = Scenario.everyone_asks("SELECT 1", "literal", fresh_identity("u", ()))
    with pytest.raises(ValueError, match="not steered"):
        table.asking("results")


def _with_two_readers(scenario: Scenario) -> tuple[Scenario, UserSpec]:
    """``scenario`` read by its submitter and by a stranger holding nothing."""
    stranger = fresh_identity("reader", ())
    return scenario.with_readers([scenario.submitter, stranger]), stranger


def test_readers_ask_the_aimed_question_first_each_with_its_own_credentials() -> None:
    scenario = steered(Cell(Operation.STATUS, QueryKind.SELECT_JOIN, VerdictKind.FORBIDDEN))
    read, stranger = _with_two_readers(scenario)
    *readers, aimed = read.follow_ups
    assert aimed == scenario.aimed and read.cell == scenario.cell
    assert [(r.operation, r.actor, r.login, r.steered) for r in readers] == [
        ("status", scenario.submitter, credentials(scenario.submitter), None),
        ("status", stranger, credentials(stranger), None),
    ]
    assert read.users == (*scenario.users, stranger)  # the submitter is there already
    assert [r.traits for r in read.follow_ups] == [("reader",), ("reader",), ()]
    asked = read.asking("results")
    assert [r.operation for r in asked.follow_ups] == ["results"] * 3
    assert all(r.steered is None for r in asked.follow_ups)
    with pytest.raises(ValueError, match="readers ask only status or results, not 'cancel'"):
        read.asking("cancel")
    with pytest.raises(ValueError, match="other than the aimed actor and each once"):
        scenario.with_readers([stranger, stranger])
    with pytest.raises(ValueError, match="other than the aimed actor"):
        scenario.with_readers([scenario.aimed.actor])


def test_only_a_status_or_results_question_has_readers() -> None:
    cancel = steered(Cell(Operation.CANCEL, QueryKind.SELECT_JOIN, VerdictKind.ALLOWED))
    with pytest.raises(ValueError, match="no question readers could ask"):
        cancel.with_readers([cancel.submitter])
    submit = steered(Cell(Operation.SUBMIT, QueryKind.SELECT_JOIN, VerdictKind.ALLOWED))
    with pytest.raises(ValueError, match="no question readers could ask"):
        submit.with_readers([submit.submitter])
    status = steered(Cell(Operation.STATUS, QueryKind.SELECT_JOIN, VerdictKind.ALLOWED))
    before = Request("cancel", status.submitter, credentials(status.submitter))
    with pytest.raises(ValueError, match="only readers of the same status or results"):
        dataclasses.replace(status, follow_ups=(before, *status.follow_ups))
    after = (*status.follow_ups, before)  # a cancel after the aimed status: not the cell's shape
    with pytest.raises(ValueError, match="only readers"):
        dataclasses.replace(status, follow_ups=after)


@pytest.mark.parametrize("read", [False, True], ids=["alone", "with readers"])
def test_results_on_the_statements_api_wait_once_and_compare_nothing_steered(
    tmp_path: Path, read: bool
) -> None:
    """The owner's status is polled until the query ends, once however many users ask for the
    results; the submitter reads them, another user (a reader holding nothing) may not."""
    scenario = steered(Cell(Operation.STATUS, QueryKind.SELECT_DATASOURCE, VerdictKind.ALLOWED))
    readers = [scenario.submitter, fresh_identity("reader", ())] if read else []
    druid = fake(tmp_path)
    checks = druid.runner.run(scenario.with_readers(readers), STATEMENTS_API, "results")
    submitter, actor = scenario.submitter.name, scenario.aimed.actor.name
    asking = [*(r.name for r in readers), actor]
    statement = "/druid/v2/sql/statements/query-1"
    assert druid.asked() == [
        ("POST", "/druid/v2/sql/statements", submitter),
        ("GET", statement, submitter),  # until the query ends
        *(("GET", f"{statement}/results", who) for who in asking),
        ("POST", f"{TASK}/shutdown", "admin"),
    ]
    assert [c.label for c in checks] == ["statements.submit x SELECT_DATASOURCE"] + [
        "statements.results x SELECT_DATASOURCE"
    ] * len(asking)
    if read:
        owner, other = checks[1], checks[2]
        assert owner.case.actor_is_submitter and owner.verdict.verdict is VerdictKind.ALLOWED
        assert owner.case.permissions == scenario.submitter.permissions()
        assert not other.case.actor_is_submitter and other.case.permissions == ()
        assert other.verdict.verdict is VerdictKind.FORBIDDEN  # only the submitter reads
        assert [c.traits for c in checks[1:]] == [("reader",), ("reader",), ()]
        assert cast(Sink, druid.run.history).checks[2]["traits"] == ["reader"]  # in the history


def test_results_of_a_failed_query_are_asked_of_no_reader(tmp_path: Path) -> None:
    def failed(method: str, path: str, user: str | None) -> tuple[int, Any]:
        if path == "/druid/v2/sql/statements/query-1" and method == "GET":
            return 200, {"queryId": "query-1", "state": "FAILED"}
        return polite(method, path, user)

    cell = Cell(Operation.STATUS, QueryKind.SELECT_DATASOURCE, VerdictKind.ALLOWED)
    scenario, _ = _with_two_readers(steered(cell))
    druid = fake(tmp_path, failed)
    checks: list[Check] = []

    @settings(ONE)
    @given(st.just(scenario))  # the runner notes "results not judged" as a Hypothesis event
    def ask(drawn: Scenario) -> None:
        checks.extend(druid.runner.run(drawn, STATEMENTS_API, "results"))

    ask()
    assert [c.label for c in checks] == ["statements.submit x SELECT_DATASOURCE"]
    assert [e.path for e in druid.log].count("/druid/v2/sql/statements/query-1") == 1
    assert not any(e.path.endswith("/results") for e in druid.log)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_drawn_readers(scenarios(NAMER, operations=[Operation.STATUS]), NAMER, 3))
def test_drawn_readers_are_other_users_or_the_submitter_once(scenario: Scenario) -> None:
    *readers, aimed = scenario.follow_ups
    assert len(readers) == 3 and aimed.steered is not None
    assert all(r.operation == aimed.operation and r.steered is None for r in readers)
    assert all(r.authenticated for r in readers)
    names = [r.actor.name for r in readers]
    submitter = scenario.submitter.name
    assert names.count(submitter) <= (0 if aimed.actor.name == submitter else 1)
    assert len(set(names)) == len(names)  # each reader asks once
    assert aimed.actor.name not in names


# --------------------------------------------------------------------------- tables


def _table(others: int = 1) -> Scenario:
    read = (Grant("DATASOURCE", "wikipedia", "READ"), Grant("DATASOURCE", "__query_select", "READ"))
    return Scenario.everyone_asks(
        'SELECT page FROM "wikipedia"',
        "select-read",
        fresh_identity("sub", read),
        tuple(fresh_identity(f"oth{n}", ()) for n in range(others)),
    )


def test_everyone_asks_status_then_cancels_until_one_cancel_succeeds(tmp_path: Path) -> None:
    scenario = _table()
    submitter, other = scenario.submitter.name, scenario.others[0].name

    def owner_only(method: str, path: str, user: str | None) -> tuple[int, Any]:
        if user == other:
            return 403, "Forbidden"
        return polite(method, path, user)

    druid = fake(tmp_path, owner_only)
    checks = druid.runner.run(scenario)
    assert druid.asked() == [
        ("POST", "/druid/v2/sql/task", submitter),
        ("GET", f"{TASK}/status", other),
        ("GET", f"{TASK}/status", submitter),
        ("POST", f"{TASK}/shutdown", other),  # 403: the submitter cancels next
        ("POST", f"{TASK}/shutdown", submitter),
        ("POST", f"{TASK}/shutdown", "admin"),
    ]
    assert [c.label for c in checks] == [
        "submit x select-read",
        "status (other) x select-read",
        "status (submitter) x select-read",
        "cancel (other) x select-read",
        "cancel (submitter) x select-read",
    ]
    assert [c.case.actor_is_submitter for c in checks] == [True, False, True, False, True]
    assert all(c.case.authenticated for c in checks)


def test_a_successful_cancel_ends_the_questions(tmp_path: Path) -> None:
    druid = fake(tmp_path)
    scenario = _table(others=2)
    checks = druid.runner.run(scenario)
    assert [c.label for c in checks][-1] == "cancel (other) x select-read"
    assert [c.case.operation for c in checks].count("cancel") == 1


def test_a_refused_submit_asks_nothing_more(tmp_path: Path) -> None:
    druid = fake(tmp_path, lambda *_: (403, "Forbidden"))
    checks = druid.runner.run(_table())
    assert [c.label for c in checks] == ["submit x select-read"]
    assert len(druid.log) == 1  # no follow-up, nothing to cancel


# --------------------------------------------------------------------------- the type


def test_a_scenario_refuses_shapes_the_executor_cannot_ask() -> None:
    user = fresh_identity("u", ())
    stranger = UserSpec("stranger", "pw", ())
    submit = Request("submit", user, credentials(user))
    with pytest.raises(ValueError, match="must be a submit"):
        Scenario(
            sql="SELECT 1", kind="k", users=(user,), submit=Request("status", user, NO_CREDENTIALS)
        )
    with pytest.raises(ValueError, match="asked of no submitted query"):
        Scenario(sql="SELECT 1", kind="k", users=(user,), submit=submit, follow_ups=(submit,))
    with pytest.raises(ValueError, match="not one of the users"):
        follow = (Request("status", stranger, credentials(stranger)),)
        Scenario(sql="SELECT 1", kind="k", users=(user,), submit=submit, follow_ups=follow)
    with pytest.raises(ValueError, match="share a name"):
        Scenario(sql="SELECT 1", kind="k", users=(user, user), submit=submit)
    cell = Cell(Operation.STATUS, QueryKind.SELECT_LITERAL, VerdictKind.ALLOWED)
    with pytest.raises(ValueError, match="follow-up"):
        Scenario(sql="SELECT 1", kind="k", users=(user,), submit=submit, cell=cell)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(NAMER))
def test_a_steered_scenario_carries_the_cases_it_was_steered_with(scenario: Scenario) -> None:
    for request in scenario.requests:
        assert request.steered is not None
        assert request.steered.case.operation == request.operation
        assert request.steered.verdict == decide(request.steered.case)
        assert request.steered.case.sql == scenario.sql
        assert request.steered.case.context == dict(scenario.context)
        assert request.steered.case.authenticated is request.authenticated


def test_checks_keep_their_json_shape(tmp_path: Path) -> None:
    druid = fake(tmp_path)
    [check, *_] = druid.runner.run(_table())
    assert isinstance(check, Check)
    assert set(check.to_json()) >= {"label", "cell", "case", "verdict", "observed_status"}


# --------------------------------------------------------------------------- batches


def test_a_batch_is_asked_at_once_and_judged_as_each_scenario_alone(tmp_path: Path) -> None:
    cells = [
        Cell(Operation.STATUS, QueryKind.SELECT_DATASOURCE, VerdictKind.FORBIDDEN),
        Cell(Operation.CANCEL, QueryKind.INSERT_FROM_LITERAL, VerdictKind.ALLOWED),
        Cell(Operation.SUBMIT, QueryKind.SELECT_JOIN, VerdictKind.FORBIDDEN),
    ]
    batch = [steered(cell) for cell in cells]
    met = threading.Barrier(
        len(batch), timeout=5
    )  # broken unless the submits are in flight at once

    def meeting(method: str, path: str, user: str | None) -> tuple[int, Any]:
        if method == "POST" and path == "/druid/v2/sql/task":
            met.wait()
        return polite(method, path, user)

    druid = fake(tmp_path / "batch", meeting)
    together = druid.runner.run_batch(batch)
    alone = [fake(tmp_path / f"alone{n}").runner.run(s) for n, s in enumerate(batch)]

    def judged(checks: list[Check]) -> list[tuple[str, VerdictKind, object]]:
        return [(c.label, c.verdict.verdict, c.case.permissions) for c in checks]

    assert [judged(c) for c in together] == [judged(c) for c in alone]
    # recorded in the batch's order, with case ids counting up in that order
    flat = [check for checks in together for check in checks]
    assert druid.run.checks == flat
    assert [c.case.id for c in flat] == [f"{druid.run.id}-{n}" for n in range(1, len(flat) + 1)]
    assert druid.run.operations == len(flat)


def test_a_batch_asks_every_scenario_and_then_raises_the_first_error(tmp_path: Path) -> None:
    cells = [
        Cell(Operation.STATUS, QueryKind.SELECT_DATASOURCE, VerdictKind.ALLOWED),
        Cell(Operation.STATUS, QueryKind.SELECT_LITERAL, VerdictKind.ALLOWED),
    ]
    batch = [steered(cell) for cell in cells]
    failing = batch[0].submitter.name

    def refusing(method: str, path: str, user: str | None) -> tuple[int, Any]:
        if user == failing and method == "POST":
            raise InfrastructureError("connection refused")
        return polite(method, path, user)

    druid = fake(tmp_path, refusing)
    with pytest.raises(InfrastructureError, match="refused"):
        druid.runner.run_batch(batch)
    # the other scenario was asked to its end (its status and the admin's clean-up)
    assert ("GET", f"{TASK}/status", batch[1].aimed.actor.name) in druid.asked()
    assert druid.run.checks == []  # nothing is judged from a batch that did not end


def test_with_pool_swaps_only_the_pool(tmp_path: Path) -> None:
    runner = fake(tmp_path).runner
    other = runner.with_pool(None)
    assert other is not runner and other.pool is None
    shared = ("security", "barrier", "router", "admin", "judge", "liveness")
    assert all(getattr(other, part) is getattr(runner, part) for part in shared)
