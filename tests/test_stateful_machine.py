"""The security state machine (``conformance/test_stateful.py``) on an in-memory basic-security.

No Druid: the machine's wiring is checked, not Druid. Basic-security is a few dicts answering as
Druid 27 does (400 for what it refuses, so a rule its precondition should have disabled fails the
run); the task API accepts everything and the judging is recorded instead of asked of the oracle.
The invariant must pass against a faithful fake and catch one that loses a change.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import unquote

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import conformance.test_stateful as machine_module
from conformance.test_stateful import Cluster, SecurityMachine
from fixtures.client import DruidClient, Exchange
from fixtures.provision import SecurityAdmin
from strategies.naming import make_namer

SETTINGS = settings(max_examples=15, stateful_step_count=25, deadline=None, database=None)


class BasicSecurity:
    """The Coordinator's basic-security API in memory; ``forgetful`` keeps a deleted role in
    its users' role lists (a lost write the invariant must see)."""

    def __init__(self, forgetful: bool = False) -> None:
        self.authn: set[str] = set()
        self.authz: dict[str, set[str]] = {}
        self.roles: dict[str, list[Any]] = {}
        self.forgetful = forgetful

    def request(self, method: str, path: str, body: Any = None) -> Exchange:
        parts = [unquote(p) for p in path.split("?")[0].split("/")[3:]]
        status, answer = self._answer(method, parts[0], parts[3:], body)
        return Exchange(method, path, "admin", body, status, answer, 0.0, 0.0)

    def _answer(self, method: str, api: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if method == "GET" and len(rest) == 1:
            if api == "authentication":
                return 200, sorted(self.authn)
            return 200, sorted(self.authz) if rest[0] == "users" else sorted(self.roles)
        if api == "authentication":
            return self._authn(method, rest)
        if rest[0] == "roles":
            return self._role(method, rest[1], len(rest) == 3, body)
        return self._user(method, rest[1], rest[3] if len(rest) == 4 else None)

    def _authn(self, method: str, rest: list[str]) -> tuple[int, Any]:
        user = rest[1]
        if len(rest) == 3:  # credentials
            return (200, None) if user in self.authn else (400, "no such user")
        if method == "POST" and user not in self.authn:
            self.authn.add(user)
        elif method == "DELETE" and user in self.authn:
            self.authn.discard(user)
        else:
            return 400, f"{method} user {user}"
        return 200, None

    def _role(self, method: str, role: str, permissions: bool, body: Any) -> tuple[int, Any]:
        if method == "POST" and not permissions and role not in self.roles:
            self.roles[role] = []
        elif role not in self.roles:
            return 400, f"role {role} does not exist"
        elif permissions:
            self.roles[role] = list(body)
        elif method == "DELETE":
            del self.roles[role]
            for held in self.authz.values():
                if not self.forgetful:
                    held.discard(role)
        elif method == "GET":
            return 200, {"name": role, "users": None, "permissions": self.roles[role]}
        else:
            return 400, f"role {role} exists"
        return 200, None

    def _user(self, method: str, user: str, role: str | None) -> tuple[int, Any]:
        if method == "POST" and role is None and user not in self.authz:
            self.authz[user] = set()
        elif user not in self.authz:
            return 400, f"user {user} does not exist"
        elif role is None and method == "GET":
            return 200, {"name": user, "roles": sorted(self.authz[user])}
        elif role is None and method == "DELETE":
            del self.authz[user]
        elif role is not None and method == "POST" and role in self.roles:
            if role in self.authz[user]:
                return 400, f"user {user} has role {role} already"
            self.authz[user].add(role)
        elif role is not None and method == "DELETE" and role in self.authz[user]:
            self.authz[user].discard(role)
        else:
            return 400, f"{method} {user} {role}"
        return 200, None


class TaskApi:
    """Accepts every submission, status and cancel."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)

    def as_user(self, credentials: object) -> TaskApi:
        return self

    def submit_task(self, sql: str, context: object) -> Exchange:
        body = {"taskId": f"task{next(self.ids)}"}
        return Exchange("POST", "/druid/v2/sql/task", "u", sql, 202, body, 0.0, 0.0)

    def task_status(self, task: str) -> Exchange:
        return Exchange("GET", f"/druid/indexer/v1/task/{task}/status", "u", None, 200, {}, 0, 0)

    def cancel_task(self, task: str) -> Exchange:
        return Exchange("POST", f"/druid/indexer/v1/task/{task}/shutdown", "u", None, 200, {}, 0, 0)


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, bool]]]:
    """(operation, actor exists) of every request the machine would have the oracle judge."""
    seen: Counter[tuple[str, bool]] = Counter()

    def record(self: SecurityMachine, op: str, query: object, user: str, *_: object) -> None:
        seen[(op, self.model.exists(user))] += 1

    monkeypatch.setattr(SecurityMachine, "_judge", record)
    yield seen


def _run(security: BasicSecurity, shrink: bool = True, examples: int = 15) -> None:
    runner = SimpleNamespace(
        security=SecurityAdmin(cast(DruidClient, security)),
        router=TaskApi(),
        admin=TaskApi(),
        barrier=SimpleNamespace(wait=lambda: None),
    )
    run = SimpleNamespace(history=SimpleNamespace(secret=lambda password: None))
    cluster = Cluster(cast(Any, runner), cast(Any, None), cast(Any, run), make_namer("t"))
    with machine_module._bound(cluster) as machine:
        phases = [Phase.generate, Phase.shrink] if shrink else [Phase.generate]
        run_state_machine_as_test(
            machine, settings=settings(SETTINGS, phases=phases, max_examples=examples)
        )


def test_the_machine_keeps_a_faithful_basic_security_and_the_model_equal(
    judged: Counter[tuple[str, bool]],
) -> None:
    security = BasicSecurity()
    _run(security)
    assert {op for op, _ in judged} <= {"submit", "status", "cancel"}
    asked_by_existing = sum(n for (_, exists), n in judged.items() if exists)
    assert judged[("submit", True)] > 0
    assert asked_by_existing > sum(judged.values()) / 2  # most requests depend on permissions
    # teardown removed everything the machine made
    assert (security.authn, security.authz, security.roles) == (set(), {}, {})
    assert SecurityMachine.cluster is None


def test_the_invariant_catches_a_lost_change(judged: Counter[tuple[str, bool]]) -> None:
    with pytest.raises(AssertionError, match=r"basic-security does not list what the machine"):
        # stops at the first failure; shrinking it would take minutes
        _run(BasicSecurity(forgetful=True), shrink=False, examples=200)


def test_the_machine_needs_its_cluster() -> None:
    with pytest.raises(RuntimeError, match="test_security_state_machine"):
        SecurityMachine()
