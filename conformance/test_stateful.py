"""A model checked step by step against Druid (Hypothesis stateful testing).

The machine creates users and roles, grants and revokes permissions, assigns and unassigns
roles, deletes roles and users, submits queries, asks for their status and cancels them, in any
interleaving Hypothesis chooses. The model is who exists and what each role holds; before each
request the suite waits until Druid holds every change made so far (the propagation barrier),
then the oracle judges the answer from the model's permissions. Deleted users must get 401.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    multiple,
    rule,
    run_state_machine_as_test,
)

from conformance.oracle.permissions import Permission
from conformance.runner.checks import assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner
from fixtures.client import Credentials, Exchange
from fixtures.errors import aborts_on_infrastructure
from fixtures.provision import Grant
from strategies.grants import INTERESTING_NAMES, grants
from strategies.naming import Namer, make_namer
from strategies.queries import GeneratedQuery, queries

pytestmark = pytest.mark.druid

TARGETS_PER_MACHINE = 2


@dataclass
class ModelUser:
    password: str
    roles: set[str] = field(default_factory=set)
    deleted: bool = False


@dataclass(frozen=True)
class Submitted:
    query_id: str
    query: GeneratedQuery
    submitter: str


def _pooled(namer: Namer, targets: tuple[str, ...]) -> Namer:
    """Datasources written by generated queries come from a small pool, so grants hit them."""
    cycle = itertools.cycle(targets)

    def pooled(hint: str) -> str:
        return next(cycle) if hint == "ds" else namer(hint)

    return pooled


def machine(runner: ScenarioRunner, judge: Judge, run: Run) -> type[RuleBasedStateMachine]:
    """The state machine class, closed over the session's cluster fixtures."""
    base_namer = make_namer(f"s{run.tag}_{secrets.token_hex(2)}")

    class SecurityMachine(RuleBasedStateMachine):
        users = Bundle("users")
        roles = Bundle("roles")
        submitted = Bundle("submitted")

        def __init__(self) -> None:
            super().__init__()
            self.namer = make_namer(base_namer("m"))
            self.targets = tuple(self.namer("target") for _ in range(TARGETS_PER_MACHINE))
            self.query_namer = _pooled(self.namer, self.targets)
            self.model_users: dict[str, ModelUser] = {}
            self.model_roles: dict[str, tuple[Grant, ...]] = {}
            self.tasks: list[str] = []
            self.dirty = False

        # -- changes to the world ------------------------------------------------------------
        @initialize(target=users, data=st.data())
        @aborts_on_infrastructure
        def first_user(self, data: st.DataObject) -> str:
            """A user holding a broad role from the start, so that submits can succeed."""
            user = self._new_user()
            role = self._new_role(tuple(data.draw(st.lists(self._broad(), min_size=2))))
            self.assign(user, role)
            return user

        @initialize(target=roles, data=st.data())
        @aborts_on_infrastructure
        def first_role(self, data: st.DataObject) -> str:
            return self._new_role(tuple(data.draw(st.lists(self._broad(), min_size=2))))

        @rule(target=users)
        @aborts_on_infrastructure
        def create_user(self) -> str:
            return self._new_user()

        @rule(target=roles, data=st.data())
        @aborts_on_infrastructure
        def create_role(self, data: st.DataObject) -> str:
            return self._new_role(tuple(data.draw(st.lists(self._grants(), max_size=4))))

        @rule(target=roles, data=st.data())
        @aborts_on_infrastructure
        def create_broad_role(self, data: st.DataObject) -> str:
            """Whole types at once (``.*``), so that some submits are allowed."""
            return self._new_role(tuple(data.draw(st.lists(self._broad(), min_size=1))))

        @rule(role=roles, data=st.data())
        @aborts_on_infrastructure
        def set_permissions(self, role: str, data: st.DataObject) -> None:
            """Grant and revoke at once: the whole list is replaced."""
            if role not in self.model_roles:
                return
            held = tuple(data.draw(st.lists(self._grants(), max_size=4)))
            runner.security.set_permissions(role, held)
            self.model_roles[role] = held
            self.dirty = True

        @rule(user=users, role=roles)
        @aborts_on_infrastructure
        def assign(self, user: str, role: str) -> None:
            # Druid refuses a role the user already has (400), which says nothing about MSQ
            if (
                self._alive(user)
                and role in self.model_roles
                and role not in self.model_users[user].roles
            ):
                runner.security.assign(user, role)
                self.model_users[user].roles.add(role)
                self.dirty = True

        @rule(user=users, role=roles)
        @aborts_on_infrastructure
        def unassign(self, user: str, role: str) -> None:
            if self._alive(user) and role in self.model_users[user].roles:
                runner.security.unassign(user, role)
                self.model_users[user].roles.discard(role)
                self.dirty = True

        @rule(role=consumes(roles))
        @aborts_on_infrastructure
        def delete_role(self, role: str) -> None:
            if role in self.model_roles:
                runner.security.delete_role(role)
                del self.model_roles[role]
                for user in self.model_users.values():
                    user.roles.discard(role)
                self.dirty = True

        @rule(user=users)
        @aborts_on_infrastructure
        def delete_user(self, user: str) -> None:
            if self._alive(user):
                runner.security.delete_user(user)
                self.model_users[user].deleted = True
                self.model_users[user].roles.clear()
                self.dirty = True

        # -- requests, each judged by the oracle -----------------------------------------------
        @rule(target=submitted, user=users, data=st.data())
        @aborts_on_infrastructure
        def submit(self, user: str, data: st.DataObject) -> Any:
            query = data.draw(queries(self.query_namer))
            self._sync()
            client = runner.router.as_user(self._credentials(user))
            answer = client.submit_task(query.sql, dict(query.context))
            self._judge("submit", query, user, user, answer)
            if answer.status // 100 == 2 and isinstance(answer.body, dict):
                self.tasks.append(answer.body["taskId"])
                return Submitted(answer.body["taskId"], query, user)
            return multiple()

        @rule(task=submitted, user=users)
        @aborts_on_infrastructure
        def status(self, task: Submitted, user: str) -> None:
            self._sync()
            answer = runner.router.as_user(self._credentials(user)).task_status(task.query_id)
            self._judge("status", task.query, user, task.submitter, answer)

        @rule(task=submitted, user=users)
        @aborts_on_infrastructure
        def cancel(self, task: Submitted, user: str) -> None:
            self._sync()
            answer = runner.router.as_user(self._credentials(user)).cancel_task(task.query_id)
            self._judge("cancel", task.query, user, task.submitter, answer)

        @aborts_on_infrastructure
        def teardown(self) -> None:
            for task in self.tasks:
                runner.admin.cancel_task(task)
            for role in list(self.model_roles):
                runner.security.delete_role(role)
            for name in [n for n in self.model_users if not self.model_users[n].deleted]:
                runner.security.delete_user(name)

        # -- helpers ------------------------------------------------------------------------------
        def _new_user(self) -> str:
            name, password = self.namer("user"), secrets.token_urlsafe(12)
            run.history.secret(password)
            runner.security.create_user(Credentials(name, password))
            self.model_users[name] = ModelUser(password)
            self.dirty = True
            return name

        def _new_role(self, held: tuple[Grant, ...]) -> str:
            name = self.namer("role")
            runner.security.create_role(name, held)
            self.model_roles[name] = held
            self.dirty = True
            return name

        def _broad(self) -> st.SearchStrategy[Grant]:
            return st.builds(
                Grant,
                type=st.sampled_from(("DATASOURCE", "EXTERNAL")),
                name=st.just(".*"),
                action=st.sampled_from(("READ", "WRITE")),
            )

        def _grants(self) -> st.SearchStrategy[Grant]:
            return grants(names=(*INTERESTING_NAMES, *self.targets))

        def _alive(self, user: str) -> bool:
            return user in self.model_users and not self.model_users[user].deleted

        def _credentials(self, user: str) -> Credentials:
            return Credentials(user, self.model_users[user].password)

        def _permissions(self, user: str) -> tuple[Permission, ...]:
            if not self._alive(user):
                return ()
            held = (g for r in self.model_users[user].roles for g in self.model_roles[r])
            return tuple(
                dict.fromkeys(
                    Permission.from_json({"type": g.type, "name": g.name, "action": g.action})
                    for g in held
                )
            )

        def _sync(self) -> None:
            """Every change reaches Broker, Overlord and Router before the next request."""
            if self.dirty:
                runner.barrier.wait()
                self.dirty = False

        def _judge(
            self, op: str, query: GeneratedQuery, user: str, submitter: str, answer: Exchange
        ) -> None:
            check = judge.check(
                f"stateful {op} x {query.kind.value}",
                op,
                answer,
                sql=query.sql,
                context=query.context,
                permissions=self._permissions(user),
                actor_is_submitter=user == submitter,
                authenticated=self._alive(user),
            )
            assert_conforms([check])

    return SecurityMachine


def test_security_state_machine(scenario_runner: ScenarioRunner, judge: Judge, run: Run) -> None:
    profile_examples = settings().max_examples
    run_state_machine_as_test(
        machine(scenario_runner, judge, run),
        settings=settings(max_examples=max(6, profile_examples // 2), stateful_step_count=25),
    )
