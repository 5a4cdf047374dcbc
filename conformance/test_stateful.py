"""A model checked step by step against Druid (Hypothesis stateful testing).

The machine creates users and roles, grants and revokes permissions, assigns and unassigns
roles, deletes roles and users, submits queries, asks for their status and cancels them, in any
interleaving Hypothesis chooses. Three parts:

- the model (``conformance.runner.security_model.SecurityModel``): who exists, which roles each
  user holds and what each role grants; pure, unit-tested without Druid;
- the adapter (:class:`DruidAdapter`): every request to Druid, the basic-security calls through
  ``SecurityAdmin``, the task API through the Router, the propagation barrier;
- the machine (:class:`SecurityMachine`): rules that change both alike (a rule applies only
  where basic-security accepts the change: ``@precondition``), rules whose answers the oracle
  judges from the model's permissions once the barrier says Druid holds every change (deleted
  users must get 401), and an invariant: after each change, what the Coordinator's basic-security
  API lists of what it touched (the user and role listings, a user's roles, a role's permissions)
  is what the model holds.

Hypothesis builds the machine itself, so the session's fixtures reach it as a class attribute
(:attr:`SecurityMachine.cluster`), set by ``test_security_state_machine`` for its run.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conformance.oracle import Permission
from conformance.runner.checks import assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner
from conformance.runner.security_model import (
    Scope,
    SecurityModel,
    SecuritySnapshot,
    changes,
    compare,
    describe,
    restrict,
)
from fixtures.client import Credentials, Exchange
from fixtures.errors import aborts_on_infrastructure
from fixtures.provision import Grant
from strategies.grants import INTERESTING_NAMES, grants, to_permission
from strategies.naming import Namer, make_namer
from strategies.queries import GeneratedQuery, queries

pytestmark = pytest.mark.druid

TARGETS_PER_MACHINE = 2


@dataclass(frozen=True)
class Submitted:
    query_id: str
    query: GeneratedQuery
    submitter: str


@dataclass(frozen=True)
class Cluster:
    """What the machine needs of the session: the Druid under test, the judge and the run."""

    runner: ScenarioRunner
    judge: Judge
    run: Run
    names: Namer  # a prefix per machine, unique to this run


def _pooled(namer: Namer, targets: tuple[str, ...]) -> Namer:
    """Datasources written by generated queries come from a small pool, so grants hit them."""
    cycle = itertools.cycle(targets)

    def pooled(hint: str) -> str:
        return next(cycle) if hint == "ds" else namer(hint)

    return pooled


class DruidAdapter:
    """The machine's requests to Druid: basic-security changes and listings on the Coordinator,
    the task API through the Router as a given user, the propagation barrier."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.security = cluster.runner.security
        self.dirty = False  # a change Broker, Overlord and Router may not hold yet

    # -- basic-security changes --------------------------------------------------------------
    def create_user(self, user: str, password: str) -> None:
        self.cluster.run.history.secret(password)
        self.security.create_user(Credentials(user, password))
        self.dirty = True

    def delete_user(self, user: str) -> None:
        self.security.delete_user(user)
        self.dirty = True

    def create_role(self, role: str, permissions: Iterable[Permission]) -> None:
        self.security.create_role(role, [Grant.from_permission(p) for p in permissions])
        self.dirty = True

    def set_permissions(self, role: str, permissions: Iterable[Permission]) -> None:
        self.security.set_permissions(role, [Grant.from_permission(p) for p in permissions])
        self.dirty = True

    def delete_role(self, role: str) -> None:
        self.security.delete_role(role)
        self.dirty = True

    def assign(self, user: str, role: str) -> None:
        self.security.assign(user, role)
        self.dirty = True

    def unassign(self, user: str, role: str) -> None:
        self.security.unassign(user, role)
        self.dirty = True

    # -- basic-security listings -------------------------------------------------------------
    def observe(self, scope: Scope, users: Iterable[str], roles: Iterable[str]) -> SecuritySnapshot:
        """What the Coordinator lists within ``scope``, restricted to ``users`` and ``roles``
        (the machine's own names; Druid holds others). An entry is read only when its listing
        names it. The Coordinator applies each change before it answers and is the source of
        the other services' copies: no barrier is needed here."""
        mine_users, mine_roles = frozenset(users), frozenset(roles)
        listed_users = self.security.list_users() & mine_users if scope.users_listing else None
        authorizer_users = (
            self.security.list_authorizer_users() & mine_users if scope.authorizer_listing else None
        )
        listed_roles = self.security.list_roles() & mine_roles if scope.roles_listing else None
        return SecuritySnapshot(
            users=listed_users,
            authorizer_users=authorizer_users,
            roles=listed_roles,
            assignments={
                u: self.security.user_roles(u) for u in scope.users & (authorizer_users or set())
            },
            permissions={
                r: frozenset(to_permission(g) for g in self.security.role_permissions(r))
                for r in scope.roles & (listed_roles or set())
            },
        )

    # -- the task API ------------------------------------------------------------------------
    def submit(self, credentials: Credentials, query: GeneratedQuery) -> Exchange:
        self.sync()
        client = self.cluster.runner.router.as_user(credentials)
        return client.submit_task(query.sql, dict(query.context))

    def status(self, credentials: Credentials, task: str) -> Exchange:
        self.sync()
        return self.cluster.runner.router.as_user(credentials).task_status(task)

    def cancel(self, credentials: Credentials, task: str) -> Exchange:
        self.sync()
        return self.cluster.runner.router.as_user(credentials).cancel_task(task)

    def stop(self, task: str) -> None:
        """The admin cancels the task (hygiene, not judged)."""
        self.cluster.runner.admin.cancel_task(task)

    def sync(self) -> None:
        """Every change reaches Broker, Overlord and Router before the next request."""
        if self.dirty:
            self.cluster.runner.barrier.wait()
            self.dirty = False


def _broad() -> st.SearchStrategy[Permission]:
    """Whole types at once (``.*``), so that some submits are allowed."""
    return st.builds(
        lambda type_, action: to_permission(Grant(type_, ".*", action)),
        st.sampled_from(("DATASOURCE", "EXTERNAL")),
        st.sampled_from(("READ", "WRITE")),
    )


class SecurityMachine(RuleBasedStateMachine):
    """Changes basic-security and the model alike; asks Druid questions the oracle judges."""

    cluster: ClassVar[Cluster | None] = None  # set by test_security_state_machine
    submitted = Bundle("submitted")

    def __init__(self) -> None:
        super().__init__()
        cluster = type(self).cluster
        if cluster is None:
            raise RuntimeError("SecurityMachine runs in test_security_state_machine only")
        self.judge = cluster.judge
        self.druid = DruidAdapter(cluster)
        self.model = SecurityModel()
        self.namer = make_namer(cluster.names("m"))
        self.targets = tuple(self.namer("target") for _ in range(TARGETS_PER_MACHINE))
        self.query_namer = _pooled(self.namer, self.targets)
        self.accepted: list[Submitted] = []  # submissions Druid accepted: the admin stops them
        # the model as Druid's listings last agreed with it, and its revision
        self.verified, self.verified_revision = SecuritySnapshot.empty(), -1

    # -- changes to the world ----------------------------------------------------------------
    @initialize(data=st.data())
    @aborts_on_infrastructure
    def first_user(self, data: st.DataObject) -> None:
        """A user holding a broad role from the start, so that submits can succeed."""
        user = self._new_user()
        role = self._new_role(data.draw(st.lists(_broad(), min_size=2), label="permissions"))
        self.druid.assign(user, role)
        self.model.assign(user, role)

    @initialize(data=st.data())
    @aborts_on_infrastructure
    def first_role(self, data: st.DataObject) -> None:
        self._new_role(data.draw(st.lists(_broad(), min_size=2), label="permissions"))

    @rule()
    @aborts_on_infrastructure
    def create_user(self) -> None:
        self._new_user()

    @rule(data=st.data())
    @aborts_on_infrastructure
    def create_role(self, data: st.DataObject) -> None:
        self._new_role(data.draw(st.lists(self._grants(), max_size=4), label="permissions"))

    @rule(data=st.data())
    @aborts_on_infrastructure
    def create_broad_role(self, data: st.DataObject) -> None:
        self._new_role(data.draw(st.lists(_broad(), min_size=1), label="permissions"))

    @precondition(lambda self: bool(self.model.roles()))
    @rule(data=st.data())
    @aborts_on_infrastructure
    def set_permissions(self, data: st.DataObject) -> None:
        """Grant and revoke at once: the whole list is replaced."""
        role = data.draw(st.sampled_from(self.model.roles()), label="role")
        held = data.draw(st.lists(self._grants(), max_size=4), label="permissions")
        self.druid.set_permissions(role, held)
        self.model.set_permissions(role, held)

    # Druid refuses a role the user already has (400), which says nothing about MSQ
    @precondition(lambda self: bool(self.model.assignable()))
    @rule(data=st.data())
    @aborts_on_infrastructure
    def assign(self, data: st.DataObject) -> None:
        lacking = [u for u in self.model.users() if self.model.roles_lacking(u)]
        user = data.draw(st.sampled_from(lacking), label="user")
        role = data.draw(st.sampled_from(self.model.roles_lacking(user)), label="role")
        self.druid.assign(user, role)
        self.model.assign(user, role)

    @precondition(lambda self: bool(self.model.assignments()))
    @rule(data=st.data())
    @aborts_on_infrastructure
    def unassign(self, data: st.DataObject) -> None:
        user, role = data.draw(st.sampled_from(self.model.assignments()), label="assignment")
        self.druid.unassign(user, role)
        self.model.unassign(user, role)

    @precondition(lambda self: bool(self.model.roles()))
    @rule(data=st.data())
    @aborts_on_infrastructure
    def delete_role(self, data: st.DataObject) -> None:
        role = data.draw(st.sampled_from(self.model.roles()), label="role")
        self.druid.delete_role(role)
        self.model.delete_role(role)

    # one user always remains, so that requests depending on permissions can always be made
    @precondition(lambda self: len(self.model.users()) > 1)
    @rule(data=st.data())
    @aborts_on_infrastructure
    def delete_user(self, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(self.model.users()), label="user")
        self.druid.delete_user(user)
        self.model.delete_user(user)

    # -- requests, each judged by the oracle -------------------------------------------------
    @precondition(lambda self: bool(self.model.users()))
    @rule(target=submitted, data=st.data())
    @aborts_on_infrastructure
    def submit(self, data: st.DataObject) -> object:
        user = data.draw(st.sampled_from(self.model.users()), label="user")
        accepted = self._submit(user, data)
        return accepted if accepted is not None else multiple()

    @precondition(lambda self: bool(self.model.users()))
    @rule(task=submitted, data=st.data())
    @aborts_on_infrastructure
    def status(self, task: Submitted, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(self.model.users()), label="user")
        self._follow_up("status", task, user)

    @precondition(lambda self: bool(self.model.users()))
    @rule(task=submitted, data=st.data())
    @aborts_on_infrastructure
    def cancel(self, task: Submitted, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(self.model.users()), label="user")
        self._follow_up("cancel", task, user)

    # A deleted user must get 401 whatever it asks. One rule for all three requests, so that
    # most requests come from users that exist (their answers depend on the permissions).
    @precondition(lambda self: bool(self.model.deleted_users()))
    @rule(data=st.data())
    @aborts_on_infrastructure
    def deleted_user_asks(self, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(self.model.deleted_users()), label="deleted user")
        operations = ("submit", "status", "cancel") if self.accepted else ("submit",)
        operation = data.draw(st.sampled_from(operations), label="operation")
        if operation == "submit":
            self._submit(user, data)
        else:
            task = data.draw(st.sampled_from(self.accepted), label="task")
            self._follow_up(operation, task, user)

    # -- Druid holds the model ---------------------------------------------------------------
    @precondition(lambda self: self.model.revision != self.verified_revision)  # after a change
    @invariant()
    @aborts_on_infrastructure
    def basic_security_lists_the_model(self) -> None:
        """What the last step changed is what the Coordinator now lists (listings, a user's
        roles, a role's permissions). Each step is read back at once, so Druid agreed with the
        whole model at every step; reading all of it each time would double the test's time."""
        model = self.model.snapshot()
        scope = changes(self.verified, model)
        druid = self.druid.observe(scope, self.model.known_users(), self.model.known_roles())
        expected = restrict(model, scope)
        differences = compare(expected, druid)
        assert not differences, (
            "basic-security does not list what the machine made:\n  "
            + "\n  ".join(differences)
            + f"\nthe model (what the last step changed):\n{describe(expected)}"
            + f"\nDruid (the machine's names only):\n{describe(druid)}"
        )
        self.verified, self.verified_revision = model, self.model.revision

    @aborts_on_infrastructure
    def teardown(self) -> None:
        for task in self.accepted:
            self.druid.stop(task.query_id)
        for role in self.model.roles():
            self.druid.delete_role(role)
        for user in self.model.users():
            self.druid.delete_user(user)

    # -- helpers -----------------------------------------------------------------------------
    def _new_user(self) -> str:
        name, password = self.namer("user"), secrets.token_urlsafe(12)
        self.druid.create_user(name, password)
        self.model.create_user(name, password)
        return name

    def _new_role(self, held: list[Permission]) -> str:
        name = self.namer("role")
        self.druid.create_role(name, held)
        self.model.create_role(name, held)
        return name

    def _grants(self) -> st.SearchStrategy[Permission]:
        return grants(names=(*INTERESTING_NAMES, *self.targets)).map(to_permission)

    def _submit(self, user: str, data: st.DataObject) -> Submitted | None:
        """``user`` submits a generated query; the accepted submission, if it was."""
        query = data.draw(queries(self.query_namer), label="query")
        answer = self.druid.submit(self._credentials(user), query)
        self._judge("submit", query, user, user, answer)
        if answer.status // 100 != 2 or not isinstance(answer.body, dict):
            return None
        accepted = Submitted(answer.body["taskId"], query, user)
        self.accepted.append(accepted)
        return accepted

    def _follow_up(self, operation: str, task: Submitted, user: str) -> None:
        """``user`` asks for the status of ``task``, or cancels it."""
        credentials = self._credentials(user)
        if operation == "status":
            answer = self.druid.status(credentials, task.query_id)
        else:
            answer = self.druid.cancel(credentials, task.query_id)
        self._judge(operation, task.query, user, task.submitter, answer)

    def _credentials(self, user: str) -> Credentials:
        return Credentials(user, self.model.password(user))

    def _judge(
        self, op: str, query: GeneratedQuery, user: str, submitter: str, answer: Exchange
    ) -> None:
        check = self.judge.check(
            f"stateful {op} x {query.kind.value}",
            op,
            answer,
            sql=query.sql,
            context=query.context,
            permissions=self.model.permissions(user),
            actor_is_submitter=user == submitter,
            authenticated=self.model.exists(user),
        )
        assert_conforms([check])


@contextmanager
def _bound(cluster: Cluster) -> Iterator[type[SecurityMachine]]:
    """The machine with the session's fixtures, for the duration of one test."""
    SecurityMachine.cluster = cluster
    try:
        yield SecurityMachine
    finally:
        SecurityMachine.cluster = None


def test_security_state_machine(scenario_runner: ScenarioRunner, judge: Judge, run: Run) -> None:
    profile_examples = settings().max_examples
    cluster = Cluster(scenario_runner, judge, run, make_namer(f"s{run.tag}_{secrets.token_hex(2)}"))
    with _bound(cluster) as machine:
        run_state_machine_as_test(
            machine,
            settings=settings(max_examples=max(6, profile_examples // 2), stateful_step_count=25),
        )
