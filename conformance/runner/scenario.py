"""Running a scenario against the real Druid and judging every answer with the oracle.

A scenario (``strategies.scenario.Scenario``, the one type) is who exists (users with roles), who
submits which statement, and who then asks what about the submitted query. The one executor,
:meth:`ScenarioRunner.run`, provisions the users, waits for propagation, sends the submit and
then each follow-up request, and returns one :class:`Check` per request. Clean-up (the admin
stops the task, users and roles are deleted) is not judged but is recorded in the history.

Each check's case is built from what really happened (the actor, its roles, whether it sent its
own credentials, that the query exists); a request the steering aimed also carries the case the
steering judged, and :class:`Judge` raises :class:`SteeringDrift` when the two verdicts differ.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event

from conformance.oracle import Case, Verdict, decide
from conformance.oracle.permissions import Permission, ResourceAction
from conformance.runner import deviations
from conformance.runner.checks import Check, case_to_json
from conformance.runner.overlap import overlapped
from conformance.runner.pool import IdentityPool
from conformance.runner.run import Run
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.errors import InfrastructureError
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin
from fixtures.waiting import Condition, DeadlineExceeded, wait_until
from strategies.grants import RoleSpec, UserSpec
from strategies.scenario import Request, Scenario, Steered, credentials

TASK_API = "task"
STATEMENTS_API = "statements"
RESULTS_TIMEOUT = 180.0
"""Seconds the first ``results`` request of a scenario waits for its query to end (then an
``InfrastructureError``); the scenario's other ``results`` requests are asked without waiting
again."""
PARALLEL_SCENARIOS = 3
"""Scenarios of a batch asked at once: an MSQ query holds two task slots (controller and worker)
and the suite's cluster has six, so three queries run side by side and a fourth would queue."""


def fresh_identity(prefix: str, grants: Iterable[Grant], out: str = "") -> UserSpec:
    """A new user ``<prefix>_<8 hex>`` with a random password and one role of its own
    (``role_<user>``) holding ``grants``; ``{out}`` in a grant's name becomes ``out`` (the
    fresh output datasource of a table-driven example)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    concrete = tuple(Grant(g.type, g.name.replace("{out}", out), g.action) for g in grants)
    return UserSpec(name, secrets.token_urlsafe(12), (RoleSpec(f"role_{name}", concrete),))


class SteeringDrift(BaseException):
    """The steering judged a request one way and the judge, on what really happened, another.

    A bug of the suite (``strategies/steering.py`` and this module see different worlds: other
    datasources, settings, permissions or actor), never a verdict on Druid and never an
    infrastructure problem: the test is an ERROR (``conformance/conftest.py`` reports it so).
    A ``BaseException``, as ``InfrastructureAbort``: Hypothesis would shrink an ``Exception``
    against Druid for minutes, and the message already shows both cases (as the oracle's JSON)
    and both verdicts. ``label`` is the check's label, ``steered`` what the steering judged,
    ``case`` and ``verdict`` the judge's.
    """

    def __init__(self, label: str, steered: Steered, case: Case, verdict: Verdict) -> None:
        self.label = label
        self.steered = steered
        self.case = case
        self.verdict = verdict
        super().__init__(self.describe())

    def describe(self) -> str:
        """Both verdicts (kind, status, rule, reason) and both cases, one JSON object each."""
        aimed, judged = self.steered.verdict, self.verdict

        def said(verdict: Verdict) -> str:
            return (
                f"{verdict.verdict.value} ({verdict.status}) by rule {verdict.rule.id}: "
                f"{verdict.reason}"
            )

        def shown(case: Case) -> str:
            return json.dumps(case_to_json(case), sort_keys=True)

        return "\n".join(
            [
                f"steering drift on {self.label!r}: the steering judged "
                f"{self.steered.case.operation} {aimed.verdict.value}, the judge "
                f"{self.case.operation} {judged.verdict.value}. A bug of the suite "
                "(strategies/steering.py and conformance/runner/scenario.py disagree on the "
                "world), not a verdict on Druid.",
                f"  steering's verdict: {said(aimed)}",
                f"  judge's verdict:    {said(judged)}",
                f"  steering's case: {shown(self.steered.case)}",
                f"  judge's case:    {shown(self.case)}",
            ]
        )


@dataclass
class Judge:
    """Turns exchanges into checks: the oracle's case, its verdict, the deviation registry.

    ``profile`` is the oracle profile judging (e.g. ``druid-27``), ``existing_datasources`` the
    datasources the cluster holds (its seeds), ``settings`` the cluster's settings by short name.
    Every check is recorded in ``run`` (its history and its checks).
    """

    run: Run
    druid_version: str
    profile: str
    existing_datasources: frozenset[str]
    settings: Mapping[str, Any] = field(default_factory=dict)  # the cluster's, by short name
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def submitter_workaround(self) -> tuple[ResourceAction, ...]:
        """What submitters of status and cancel scenarios also get on this Druid (registry),
        whichever API they submit through."""
        return deviations.submitter_workarounds(self.druid_version, self.settings)

    def workaround_for(self, operation: str) -> tuple[ResourceAction, ...]:
        """What a submission through ``operation`` (``submit``, ``statements.submit``) needs on
        this Druid besides the documented requirements (registry)."""
        return deviations.submitter_workarounds(
            self.druid_version, self.settings, operation=operation
        )

    def check(
        self,
        label: str,
        operation: str,
        exchange: Exchange,
        *,
        sql: str,
        context: Mapping[str, Any],
        permissions: tuple[Permission, ...],
        actor_is_submitter: bool,
        authenticated: bool = True,
        task_exists: bool = True,
        steered: Steered | None = None,
        login: tuple[str, ...] = (),
        traits: tuple[str, ...] = (),
    ) -> Check:
        """Judge ``exchange``, Druid's answer to ``operation`` (the oracle's name, e.g.
        ``statements.status``) asked by an actor holding ``permissions``, and record the check.

        ``login`` is the sent credentials' traits (``Credentials.traits``) and ``traits`` what
        the request was built to be beyond its case (``Check.traits``), both kept on the check
        for the deviation registry. ``steered`` is what the steering judged for this request:
        when its case asks another operation or its verdict is of another kind than this
        case's, :class:`SteeringDrift` is raised and nothing is recorded (the exchange is in
        the history all the same).
        """
        case = Case(
            id=f"{self.run.id}-{next(self._ids)}",
            operation=operation,
            sql=sql,
            profile=self.profile,
            settings=dict(self.settings),
            context=dict(context),
            permissions=permissions,
            authenticated=authenticated,
            actor_is_submitter=actor_is_submitter,
            existing_datasources=self.existing_datasources,
            task_exists=task_exists,
        )
        verdict = decide(case)
        if steered is not None and (
            steered.case.operation != operation or steered.verdict.verdict is not verdict.verdict
        ):
            raise SteeringDrift(label, steered, case, verdict)
        check = Check(
            label, case, verdict, exchange, self.druid_version, login=login, traits=traits
        )
        deviation = deviations.explain(check)
        if deviation:
            check = dataclasses.replace(check, deviation_id=deviation)
        self.run.record_check(check)
        return check


class ScenarioRunner:
    """The one executor of scenarios: provisions their users, asks Druid, judges every answer.

    ``security`` provisions users and roles (on the Coordinator), ``barrier`` waits until Druid
    holds them, ``router`` sends the scenario's requests (as each request's login), ``admin``
    cancels what a scenario left running, ``judge`` judges and records. ``liveness`` says why
    the cluster is not live (None when it is): a 5xx answer from a live cluster is judged (a
    finding: no documented answer is a 5xx), from a cluster that is not, or without a probe,
    it is an infrastructure error.
    """

    def __init__(
        self,
        security: SecurityAdmin,
        barrier: PropagationBarrier,
        router: DruidClient,
        admin: DruidClient,
        judge: Judge,
        liveness: Callable[[], str | None] | None = None,
        pool: IdentityPool | None = None,
    ) -> None:
        self.security = security
        self.barrier = barrier
        self.router = router
        self.admin = admin
        self.judge = judge
        self.liveness = liveness
        self.pool = pool
        self._abandoned = threading.Event()  # set when the run is interrupted mid-batch

    def with_pool(self, pool: IdentityPool | None) -> ScenarioRunner:
        """The same runner with another identity pool; ``None`` makes each scenario's users
        anew (for scenarios whose users' passwords matter: the pool's have their own)."""
        return ScenarioRunner(
            self.security, self.barrier, self.router, self.admin, self.judge, self.liveness, pool
        )

    @contextmanager
    def provisioned(self, users: Sequence[UserSpec]) -> Iterator[None]:
        """Create the users (and each role once, in order), wait until Druid holds them, and
        delete them afterwards (also when the body raises)."""
        created_users: list[str] = []
        created_roles: list[str] = []
        started = time.monotonic()
        try:
            for user in users:
                self.judge.run.history.secret(user.password)
                self.security.create_user(credentials(user))
                created_users.append(user.name)
                for role in user.roles:
                    if role.name not in created_roles:
                        self.security.create_role(role.name, role.grants)
                        created_roles.append(role.name)
                    self.security.assign(user.name, role.name)
            self.judge.run.add_time("provisioning", time.monotonic() - started)
            started = time.monotonic()
            self.barrier.wait()
            self.judge.run.add_time("propagation_barrier", time.monotonic() - started)
            yield
        finally:
            for name in created_roles:
                self.security.delete_role(name)
            for name in created_users:
                self.security.delete_user(name)

    def run(
        self, scenario: Scenario, api: str = TASK_API, operation: str | None = None
    ) -> list[Check]:
        """Provision ``scenario.users``, ask its requests through ``api`` (``TASK_API`` or
        ``STATEMENTS_API``), and return one check per request answered, in order.

        The submit is sent first; when Druid answers it with a query id, each follow-up is
        asked in order until a cancel succeeds (a cancelled query is asked nothing more), and
        the admin cancels the query at the end (hygiene, not judged). The first ``results``
        request first waits until the query ends (``RESULTS_TIMEOUT`` seconds); a query that
        did not succeed has no results to be judged on, and no ``results`` request is sent.

        ``operation`` replaces the operation of a steered scenario's aimed request and its
        readers' (``Scenario.asking``: the statements API's ``results`` is steered like
        ``status``).
        The steering judged the task API's questions: on another API that API's rules judge
        each request, and no steered case is compared.

        With a ``pool``, the scenario's users are the pool's (``IdentityPool.bind``: only the
        permission lists change); without, they are created and deleted around the requests.

        Raises ``SteeringDrift`` when a steered request's verdict is not the steering's,
        ``InfrastructureError`` when Druid does not answer (or a query never ends).
        """
        [checks] = self.run_batch([scenario], api, operation)
        return checks

    def run_batch(
        self, scenarios: Sequence[Scenario], api: str = TASK_API, operation: str | None = None
    ) -> list[list[Check]]:
        """:meth:`run` for independent scenarios at once: their users are provisioned together
        behind one propagation barrier, their requests are asked concurrently (at most
        ``PARALLEL_SCENARIOS`` scenarios at a time; each scenario's own requests stay in
        order), and then every answer is judged in the batch's order, so that checks, their
        ids and their verdicts do not depend on which thread answered first.

        Returns one list of checks per scenario, in order. Raises as :meth:`run`; when several
        scenarios fail, the first one's error (in the batch's order) once all have ended.
        """
        if operation is not None:
            scenarios = [scenario.asking(operation) for scenario in scenarios]
        with self._bound(scenarios, [u for scenario in scenarios for u in scenario.users]) as bound:
            return self._exercise(bound, _API[api])

    def answers(self, scenarios: Sequence[Scenario], api: str = TASK_API) -> list[list[Exchange]]:
        """Druid's answers to ``scenarios``, provisioned and asked as :meth:`run_batch` asks
        them (the pool, one barrier, concurrently), but not judged: for the metamorphic tests,
        which compare Druid with itself (``conformance/runner/relations.py``).

        Returns one list per scenario: the exchange of each request sent, in order (a
        ``results`` whose query did not succeed is not sent). Raises as :meth:`run` (never
        ``SteeringDrift``: nothing is judged); without a pool, ``ValueError`` when two users
        or two roles of the batch share a name but not their grants.
        """
        users = list(dict.fromkeys(user for scenario in scenarios for user in scenario.users))
        if self.pool is None:
            roles = {role for user in users for role in user.roles}
            for names in ([u.name for u in users], [r.name for r in roles]):
                if len(set(names)) != len(names):
                    raise ValueError(f"a name stands for two users or roles: {sorted(names)}")
        with self._bound(scenarios, users) as bound:
            transcripts = self._ask_all(bound, _API[api])
        return [
            [answer.exchange for answer in transcript if answer.exchange is not None]
            for transcript in transcripts
        ]

    @contextmanager
    def _bound(
        self, scenarios: Sequence[Scenario], users: Sequence[UserSpec]
    ) -> Iterator[Sequence[Scenario]]:
        """The scenarios to ask, their users in place: the pool's (only the permission lists
        change), or ``users`` created here and deleted when the block ends."""
        if self.pool is not None:
            yield self.pool.bind_all(scenarios)
            return
        with self.provisioned(users):
            yield scenarios

    def _ask_all(self, scenarios: Sequence[Scenario], api: _Api) -> list[list[_Answer]]:
        """Every scenario's answers, at most ``PARALLEL_SCENARIOS`` scenarios at a time."""
        return overlapped(
            [functools.partial(self._ask, api, scenario) for scenario in scenarios],
            PARALLEL_SCENARIOS,
            self._abandoned,
        )

    def _exercise(self, scenarios: Sequence[Scenario], api: _Api) -> list[list[Check]]:
        started = time.monotonic()
        transcripts = self._ask_all(scenarios, api)
        checks = [
            self._judged_all(api, scenario, transcript)
            for scenario, transcript in zip(scenarios, transcripts, strict=True)
        ]
        asked = sum(len(scenario_checks) for scenario_checks in checks)
        self.judge.run.time_operations(asked, time.monotonic() - started)
        return checks

    def _ask(self, api: _Api, scenario: Scenario) -> list[_Answer]:
        """Send the scenario's requests (in any thread): its answers, not yet judged."""
        answer = self.live(
            api.submit(self._client(scenario.submit), scenario.sql, scenario.context)
        )
        answers = [_Answer(scenario.submit, answer)]
        query_id = api.query_id(answer)
        if query_id is not None:
            try:
                answers += self._follow_ups(api, scenario, query_id)
            finally:  # hygiene: never leave a task holding slots (a statement's id is its task's)
                self.admin.cancel_task(query_id)
        return answers

    def _follow_ups(self, api: _Api, scenario: Scenario, query_id: str) -> Iterator[_Answer]:
        state: str | None = None  # the query's final state, once a results request waited
        for request in scenario.follow_ups:
            if request.operation == "results":
                if state is None:
                    owner = self.router.as_user(credentials(scenario.submitter))
                    state = api.wait_until_done(owner, query_id, RESULTS_TIMEOUT, self._abandoned)
                if state != "SUCCESS":  # results of a failed query are no question of rights
                    yield _Answer(request, None, state)
                    continue
            exchange = self.live(api.perform(request.operation, self._client(request), query_id))
            yield _Answer(request, exchange)
            if request.operation == "cancel" and exchange.status // 100 == 2:
                return  # one successful cancel ends the query; stop there

    def _judged_all(self, api: _Api, scenario: Scenario, answers: Sequence[_Answer]) -> list[Check]:
        """Judge a scenario's answers in order (in the test's thread: Hypothesis's ``event``
        and the judge's case ids belong there)."""
        checks = []
        for answer in answers:
            if answer.exchange is None:
                event(f"results not judged: the query ended {answer.final_state}")
                label = f"{api.op(answer.request.operation)} x {scenario.kind}"
                self.judge.run.not_judged(label, f"the query ended {answer.final_state}")
                continue
            checks.append(self._judged(api, scenario, answer.request, answer.exchange))
        return checks

    def live(self, exchange: Exchange) -> Exchange:
        """The exchange, to be judged; InfrastructureError for a 5xx from a cluster that is
        not live (or when there is no liveness probe)."""
        if exchange.status < 500:
            return exchange
        problem = self.liveness() if self.liveness is not None else "no liveness probe"
        if problem:
            raise InfrastructureError(
                f"{exchange.method} {exchange.path} answered {exchange.status} and the cluster "
                f"is not live: {problem} (history #{exchange.seq})",
                exchange_seq=exchange.seq,
            )
        return exchange

    def _client(self, request: Request) -> DruidClient:
        """The request's login on the Router; a 5xx answer is returned, to ``live``."""
        login = request.login if isinstance(request.login, Credentials) else None
        return self.router.as_user(login).returning_server_errors()

    def _judged(self, api: _Api, scenario: Scenario, request: Request, exchange: Exchange) -> Check:
        who = f" ({request.who})" if request.who else ""
        return self.judge.check(
            f"{api.op(request.operation)}{who} x {scenario.kind}",
            api.op(request.operation),
            exchange,
            sql=scenario.sql,
            context=scenario.context,
            permissions=request.actor.permissions(),
            actor_is_submitter=request.actor.name == scenario.submitter.name,
            authenticated=request.authenticated,
            steered=request.steered if api.name == TASK_API else None,
            login=request.login.traits() if isinstance(request.login, Credentials) else (),
            traits=request.traits,
        )


@dataclass(frozen=True)
class _Answer:
    """Druid's answer to one request of a scenario, before it is judged; ``exchange`` None
    when the request was not sent (a ``results`` of a query that ended ``final_state``)."""

    request: Request
    exchange: Exchange | None
    final_state: str = ""


class _Api:
    """The task API and the statements API, behind one shape."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.prefix = "" if name == TASK_API else "statements."

    def op(self, operation: str) -> str:
        return f"{self.prefix}{operation}"

    def submit(self, client: DruidClient, sql: str, context: Mapping[str, Any]) -> Exchange:
        if self.name == TASK_API:
            return client.submit_task(sql, dict(context))
        return client.submit_statement(sql, dict(context))

    def query_id(self, answer: Exchange) -> str | None:
        if answer.status // 100 != 2 or not isinstance(answer.body, dict):
            return None
        value = answer.body.get("taskId" if self.name == TASK_API else "queryId")
        return str(value) if value else None

    def status(self, client: DruidClient, query_id: str) -> Exchange:
        if self.name == TASK_API:
            return client.task_status(query_id)
        return client.statement_status(query_id)

    def cancel(self, client: DruidClient, query_id: str) -> Exchange:
        if self.name == TASK_API:
            return client.cancel_task(query_id)
        return client.cancel_statement(query_id)

    def results(self, client: DruidClient, query_id: str) -> Exchange:
        if self.name == TASK_API:
            return client.task_reports(query_id)
        return client.statement_results(query_id)

    def perform(self, operation: str, client: DruidClient, query_id: str) -> Exchange:
        """status, cancel or results (reports on the task API) of a submitted query."""
        action = {"status": self.status, "cancel": self.cancel, "results": self.results}
        return action[operation](client, query_id)

    def wait_until_done(
        self,
        owner: DruidClient,
        query_id: str,
        timeout: float,
        abandoned: threading.Event | None = None,
    ) -> str:
        """Wait until the query ends; its final state. On the statements API only the owner
        may ask (Druid 27 answers 403 even to the admin), so ``owner`` is the submitter.
        Raises InfrastructureError after ``timeout`` seconds, or once ``abandoned`` is set
        (the run was interrupted)."""
        final: dict[str, str] = {}

        def ended() -> str | None:
            if abandoned is not None and abandoned.is_set():
                raise InfrastructureError(f"gave up waiting for query {query_id}: run interrupted")
            body = self.status(owner, query_id).body
            if not isinstance(body, dict):
                return "no status yet"
            state = body.get("state") or body.get("status", {}).get("status")
            if state in ("SUCCESS", "FAILED", "CANCELED"):
                final["state"] = str(state)
                return None
            return str(state)

        try:
            wait_until(Condition(f"query {query_id} to finish", ended), timeout)
        except DeadlineExceeded as exc:
            raise InfrastructureError(str(exc)) from exc
        return final["state"]


_API = {TASK_API: _Api(TASK_API), STATEMENTS_API: _Api(STATEMENTS_API)}
