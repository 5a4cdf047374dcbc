"""Running a scenario against the real Druid and judging every answer with the oracle.

A scenario is who exists (identities with roles), who submits which statement, and who then
acts on the submitted query. Running it provisions the identities, waits for propagation,
submits, lets every other identity and then the submitter ask for the status, cancels once, and
returns one :class:`Check` per request. Clean-up (the admin stops the task, users and roles are
deleted) is not judged but is recorded in the history.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from conformance import deviations
from conformance.checks import Check
from conformance.oracle import Case, decide
from conformance.permissions import Permission
from conformance.run import Run
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin

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
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def check(
        self,
        label: str,
        operation: str,
        scenario: Scenario,
        actor: Identity | None,
        exchange: Exchange,
        authenticated: bool = True,
        task_exists: bool = True,
    ) -> Check:
        case = Case(
            id=f"{self.run.id}-{next(self._ids)}",
            operation=operation,
            sql=scenario.sql,
            profile=self.profile,
            context=dict(scenario.context),
            permissions=actor.permissions() if actor else (),
            authenticated=authenticated,
            actor_is_submitter=actor is scenario.submitter,
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
        answer = api.submit(submitter, scenario)
        checks = [
            self.judge.check(
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
        finally:
            api.cancel(self.admin, query_id)  # hygiene: never leave a task holding slots
        self.judge.run.time_operations(len(checks), time.monotonic() - started)
        return checks

    def _follow_up(
        self, api: _Api, operation: str, scenario: Scenario, actor: Identity, exchange: Exchange
    ) -> Check:
        who = "submitter" if actor is scenario.submitter else "other"
        label = f"{api.prefix}{operation} ({who}) x {scenario.kind}"
        return self.judge.check(label, api.op(operation), scenario, actor, exchange)


class _Api:
    """The task API and the statements API, behind one shape."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.prefix = "" if name == TASK_API else "statements."

    def op(self, operation: str) -> str:
        return f"{self.prefix}{operation}"

    def submit(self, client: DruidClient, scenario: Scenario) -> Exchange:
        if self.name == TASK_API:
            return client.submit_task(scenario.sql, dict(scenario.context))
        return client.submit_statement(scenario.sql, dict(scenario.context))

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


_API = {TASK_API: _Api(TASK_API), STATEMENTS_API: _Api(STATEMENTS_API)}
