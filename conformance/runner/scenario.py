"""Running a scenario against the real Druid and judging every answer with the oracle.

A scenario is who exists (identities with roles), who submits which statement, and who then
acts on the submitted query. Running it provisions the identities, waits for propagation,
submits, lets every other identity and then the submitter ask for the status, cancels once, and
returns one :class:`Check` per request. Clean-up (the admin stops the task, users and roles are
deleted) is not judged but is recorded in the history.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event

from conformance.oracle import Case, decide
from conformance.oracle.permissions import Permission, ResourceAction
from conformance.runner import deviations
from conformance.runner.checks import Check
from conformance.runner.run import Run
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.errors import InfrastructureError
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin
from fixtures.waiting import Condition, DeadlineExceeded, wait_until
from strategies.grants import UserSpec
from strategies.steering import Scenario as SteeredScenario

TASK_API = "task"
STATEMENTS_API = "statements"


@dataclass(frozen=True)
class Identity:
    """A user to provision: its password and its roles, each a name and a permission list."""

    user: str
    password: str = field(repr=False)
    roles: tuple[tuple[str, tuple[Grant, ...]], ...] = ()

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.user, self.password)

    def permissions(self) -> tuple[Permission, ...]:
        """The union of the roles' permissions, as the oracle reads them."""
        return tuple(
            dict.fromkeys(
                Permission.from_json({"type": g.type, "name": g.name, "action": g.action})
                for _, grants in self.roles
                for g in grants
            )
        )


def fresh_identity(prefix: str, grants: Iterable[Grant], out: str = "") -> Identity:
    """A new user with one role of its own holding ``grants``; ``{out}`` in a grant's name
    becomes ``out`` (the fresh output datasource of a table-driven example)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    concrete = tuple(Grant(g.type, g.name.replace("{out}", out), g.action) for g in grants)
    return Identity(name, secrets.token_urlsafe(12), ((f"role_{name}", concrete),))


@dataclass(frozen=True)
class Scenario:
    sql: str
    kind: str  # the generator's query kind, e.g. SELECT_JOIN: a coverage axis
    submitter: Identity
    others: tuple[Identity, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)
    api: str = TASK_API

    def identities(self) -> tuple[Identity, ...]:
        return (self.submitter, *self.others)


@dataclass
class Judge:
    """Turns exchanges into checks: the oracle's case, its verdict, the deviation registry."""

    run: Run
    druid_version: str
    profile: str
    existing_datasources: frozenset[str]
    settings: Mapping[str, Any] = field(default_factory=dict)  # the cluster's, by short name
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def submitter_workaround(self) -> tuple[ResourceAction, ...]:
        """What submitters of status and cancel scenarios also get on this Druid (registry)."""
        return deviations.submitter_workarounds(self.druid_version, self.settings)

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
    ) -> Check:
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
        check = Check(label, case, verdict, exchange, self.druid_version)
        deviation = deviations.explain(check)
        if deviation:
            check = Check(label, case, verdict, exchange, self.druid_version, deviation)
        self.run.record_check(check)
        return check

    def check_scenario(
        self,
        label: str,
        operation: str,
        scenario: Scenario,
        actor: Identity | None,
        exchange: Exchange,
        authenticated: bool = True,
        task_exists: bool = True,
    ) -> Check:
        """A check of a request made by ``actor`` (None: nobody) within ``scenario``."""
        return self.check(
            label,
            operation,
            exchange,
            sql=scenario.sql,
            context=scenario.context,
            permissions=actor.permissions() if actor else (),
            actor_is_submitter=actor is scenario.submitter,
            authenticated=authenticated,
            task_exists=task_exists,
        )


class ScenarioRunner:
    def __init__(
        self,
        security: SecurityAdmin,
        barrier: PropagationBarrier,
        router: DruidClient,
        admin: DruidClient,
        judge: Judge,
    ) -> None:
        self.security = security
        self.barrier = barrier
        self.router = router
        self.admin = admin
        self.judge = judge

    @contextmanager
    def provisioned(self, identities: Sequence[Identity]) -> Iterator[None]:
        """Create the identities, wait until Druid holds them, and delete them afterwards."""
        created_users: list[str] = []
        created_roles: list[str] = []
        try:
            for identity in identities:
                self.judge.run.history.secret(identity.password)
                self.security.create_user(identity.credentials)
                created_users.append(identity.user)
                for role, grants in identity.roles:
                    if role not in created_roles:
                        self.security.create_role(role, grants)
                        created_roles.append(role)
                    self.security.assign(identity.user, role)
            self.barrier.wait()
            yield
        finally:
            for role in created_roles:
                self.security.delete_role(role)
            for user in created_users:
                self.security.delete_user(user)

    def run(self, scenario: Scenario) -> list[Check]:
        with self.provisioned(scenario.identities()):
            return self._exercise(scenario)

    def _exercise(self, scenario: Scenario) -> list[Check]:
        api = _API[scenario.api]
        submitter = self.router.as_user(scenario.submitter.credentials)
        started = time.monotonic()
        answer = api.submit(submitter, scenario.sql, scenario.context)
        checks = [
            self.judge.check_scenario(
                f"{api.prefix}submit x {scenario.kind}",
                api.op("submit"),
                scenario,
                scenario.submitter,
                answer,
            )
        ]
        query_id = api.query_id(answer)
        if query_id is None:
            return checks
        try:
            actors = [*scenario.others, scenario.submitter]
            for actor in actors:
                exchange = api.status(self.router.as_user(actor.credentials), query_id)
                checks.append(self._follow_up(api, "status", scenario, actor, exchange))
            for actor in actors:  # one successful cancel ends the query; stop there
                exchange = api.cancel(self.router.as_user(actor.credentials), query_id)
                checks.append(self._follow_up(api, "cancel", scenario, actor, exchange))
                if exchange.status // 100 == 2:
                    break
        finally:  # hygiene: never leave a task holding slots (a statement's id is its task id)
            self.admin.cancel_task(query_id)
        self.judge.run.time_operations(len(checks), time.monotonic() - started)
        return checks

    def _follow_up(
        self, api: _Api, operation: str, scenario: Scenario, actor: Identity, exchange: Exchange
    ) -> Check:
        who = "submitter" if actor is scenario.submitter else "other"
        label = f"{api.prefix}{operation} ({who}) x {scenario.kind}"
        return self.judge.check_scenario(label, api.op(operation), scenario, actor, exchange)


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

    def wait_until_done(self, owner: DruidClient, query_id: str, timeout: float) -> str:
        """Wait until the query ends; its final state. On the statements API only the owner
        may ask (Druid 27 answers 403 even to the admin), so ``owner`` is the submitter."""
        final: dict[str, str] = {}

        def ended() -> str | None:
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


# -- steered scenarios from strategies/ -----------------------------------------------------------


def identity_of(user: UserSpec) -> Identity:
    return Identity(user.name, user.password, tuple((r.name, r.grants) for r in user.roles))


RESULTS_TIMEOUT = 180.0


def run_steered(
    runner: ScenarioRunner,
    steered: SteeredScenario,
    api_name: str = TASK_API,
    operation: str | None = None,
) -> list[Check]:
    """Provision a generated world, submit, and let the actor perform the scenario's operation.

    ``steered.operation`` is a task-API operation; on the statements API the same operation is
    asked of ``/druid/v2/sql/statements`` and the oracle judges it by that API's rules.
    ``operation`` replaces the scenario's: ``results`` (the statements API's, steered like
    status) waits until the query has finished, so that it is not judged on a query that merely
    is not done yet.
    """
    with runner.provisioned([identity_of(u) for u in steered.users]):
        return _exercise_steered(
            runner, steered, _API[api_name], operation or steered.operation.value
        )


def _exercise_steered(
    runner: ScenarioRunner, s: SteeredScenario, api: _Api, operation: str
) -> list[Check]:
    judge, router = runner.judge, runner.router
    sql, context, kind = s.query.sql, s.query.context, s.query.kind.value
    actor = identity_of(s.actor)
    login = s.login if isinstance(s.login, Credentials) else None
    authenticated = login is not None and login.password == s.actor.password
    started = time.monotonic()

    def judged(op: str, exchange: Exchange, by: Identity, as_submitter: bool, auth: bool) -> Check:
        return judge.check(
            f"{api.op(op)} x {kind}",
            api.op(op),
            exchange,
            sql=sql,
            context=context,
            permissions=by.permissions(),
            actor_is_submitter=as_submitter,
            authenticated=auth,
        )

    submitter = identity_of(s.submitter)
    owner = router.as_user(submitter.credentials)
    if operation == "submit":
        answer = api.submit(router.as_user(login), sql, context)
        checks = [judged("submit", answer, actor, True, authenticated)]
    else:
        answer = api.submit(owner, sql, context)
        checks = [judged("submit", answer, submitter, True, True)]
    query_id = api.query_id(answer)
    try:
        if query_id is not None and operation != "submit":
            state = "SUCCESS"
            if operation == "results":
                state = api.wait_until_done(owner, query_id, RESULTS_TIMEOUT)
            if state == "SUCCESS":  # results of a failed query are no question of permissions
                exchange = api.perform(operation, router.as_user(login), query_id)
                checks.append(
                    judged(operation, exchange, actor, s.actor_is_submitter, authenticated)
                )
            else:
                event(f"results not judged: the query ended {state}")
    finally:
        if query_id is not None:  # hygiene: never leave a task holding slots
            runner.admin.cancel_task(query_id)  # (a statement's query id is its task id)
    judge.run.time_operations(len(checks), time.monotonic() - started)
    return checks
