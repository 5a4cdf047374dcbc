"""The identity pool against an in-memory basic-security store (no Druid).

After each bind, what the store holds is exactly what the scenario's users hold (their pool
users' roles carry their roles' grants, every other pool role is empty): no grant leaks from one
example to the next. A list already as wanted is not written again, and the barrier is waited
on only after a write. The pooled runner asks the same questions, judged the same, as the runner
that creates users anew.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.oracle import DEFAULT_PROFILE
from conformance.runner.pool import IdentityPool
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner, fresh_identity
from fixtures.client import Credentials, Exchange
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin
from strategies.grants import RoleSpec, UserSpec
from strategies.identities import NO_CREDENTIALS
from strategies.queries import SEED_DATASOURCES
from strategies.scenario import Request, Scenario, credentials
from tests.test_scenario import Barrier, FakeDruid, Sink, polite

AUTHZ = "/druid-ext/basic-security/authorization/db/basic"


class Store:
    """Basic-security's metadata as the Coordinator keeps it: users, roles, lists, assignments."""

    def __init__(self) -> None:
        self.users: set[str] = set()
        self.roles: dict[str, list[Grant]] = {}
        self.assigned: dict[str, set[str]] = {}
        self.writes = 0

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = [unquote(p) for p in path.split("?")[0].split("/")]
        if method != "GET":
            self.writes += 1
        if path.startswith(AUTHZ):
            return self._authz(method, parts[6:], body)
        if method == "POST" and len(parts) == 8:  # authentication .../users/{name}
            self.users.add(parts[7])
        if method == "DELETE" and len(parts) == 8:
            self.users.discard(parts[7])
        return 200, {}

    def _authz(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        match (method, rest):
            case ("POST", ["users", user]):
                self.assigned[user] = set()
            case ("DELETE", ["users", user]):
                self.assigned.pop(user)
            case ("GET", ["users", user]):
                return 200, {"name": user, "roles": sorted(self.assigned[user])}
            case ("POST", ["roles", role]):
                self.roles[role] = []
            case ("DELETE", ["roles", role]):
                del self.roles[role]
                for held in self.assigned.values():
                    held.discard(role)
            case ("POST", ["roles", role, "permissions"]):
                self.roles[role] = [
                    Grant(p["resource"]["type"], p["resource"]["name"], p["action"]) for p in body
                ]
            case ("GET", ["roles", role]):
                listed = [g.to_json() for g in self.roles[role]]
                return 200, {"name": role, "users": None, "permissions": listed}
            case ("POST", ["users", user, "roles", role]):
                self.assigned[user].add(role)
            case _:
                raise AssertionError(f"unexpected {method} {rest}")
        return 200, {}

    def permissions_of(self, user: str) -> set[Grant]:
        return {g for role in self.assigned[user] for g in self.roles[role]}


class StoreClient(FakeDruid):
    def __init__(self, store: Store) -> None:
        super().__init__([], lambda *_: (200, {}))
        self.store = store

    def request(
        self, method: str, path: str, body: Any = None, allow_server_error: bool = False
    ) -> Exchange:
        status, reply = self.store.answer(method, path, json.loads(json.dumps(body)))
        return Exchange(method, path, "admin", body, status, reply, 0.0, 0.0, 0)


def _world(tmp_path: Path) -> tuple[IdentityPool, Store, Barrier, Run]:
    store = Store()
    run = Run("20260101T000000Z-abc123", tmp_path, Sink(tmp_path / "history.jsonl"))
    barrier = Barrier()
    security = SecurityAdmin(StoreClient(store))
    pool = IdentityPool(security, cast(PropagationBarrier, barrier), run, "poolabc123")
    return pool, store, barrier, run


GRANTS = st.builds(
    Grant,
    st.sampled_from(["DATASOURCE", "EXTERNAL", "STATE"]),
    st.sampled_from(["wikipedia", "wiki.*", "__query_select", "EXTERNAL", ".*"]),
    st.sampled_from(["READ", "WRITE"]),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    users = []
    for n in range(draw(st.integers(1, 3))):
        roles = draw(st.lists(st.lists(GRANTS, max_size=3).map(tuple), max_size=3))
        name = f"drawn{n}"
        users.append(
            UserSpec(
                name, f"pw{n}", tuple(RoleSpec(f"{name}_role{j}", g) for j, g in enumerate(roles))
            )
        )
    submitter = users[0]
    follow = tuple(Request("status", u, credentials(u), "other") for u in users[1:])
    return Scenario(
        sql="SELECT 1",
        kind="k",
        users=tuple(users),
        submit=Request("submit", submitter, credentials(submitter)),
        follow_ups=follow,
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(scenarios(), min_size=1, max_size=6))
def test_after_each_bind_druid_holds_exactly_the_scenarios_grants(
    tmp_path_factory: Any, sequence: list[Scenario]
) -> None:
    pool, store, barrier, _ = _world(tmp_path_factory.mktemp("pool"))
    for scenario in sequence:
        writes, waits = store.writes, barrier.waits
        bound = pool.bind(scenario)
        for original, user in zip(scenario.users, bound.users, strict=True):
            assert store.permissions_of(user.name) == set(original.grants())
            assert set(user.grants()) == set(original.grants())
            assert user.permissions() == original.permissions()
            if not original.roles:  # no role at all, not emptied ones
                assert not store.assigned.get(user.name), store.assigned[user.name]
        roles = [role for user in bound.users for role in user.roles]
        assert all(set(store.roles[role.name]) == set(role.grants) for role in roles)
        assert pool.leaks() == []
        assert (barrier.waits - waits) == (store.writes != writes)  # a barrier after any write
    pool.close()
    assert store.users == set() and store.roles == {} and store.assigned == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(scenarios(), min_size=1, max_size=4), min_size=1, max_size=4))
def test_a_batch_gets_disjoint_users_holding_its_grants_behind_one_barrier(
    tmp_path_factory: Any, batches: list[list[Scenario]]
) -> None:
    pool, store, barrier, _ = _world(tmp_path_factory.mktemp("pool"))
    for batch in batches:
        writes, waits = store.writes, barrier.waits
        bound = pool.bind_all(batch)
        names = [user.name for scenario in bound for user in scenario.users]
        assert len(names) == len(set(names))  # no pool user acts in two scenarios of a batch
        for scenario, ours in zip(batch, bound, strict=True):
            for original, user in zip(scenario.users, ours.users, strict=True):
                assert store.permissions_of(user.name) == set(original.grants())
                assert user.permissions() == original.permissions()
                if not original.roles:  # no role at all, not emptied ones
                    assert not store.assigned.get(user.name), store.assigned[user.name]
        roles = [role for scenario in bound for user in scenario.users for role in user.roles]
        assert all(set(store.roles[role.name]) == set(role.grants) for role in roles)
        assert pool.leaks() == []
        assert (barrier.waits - waits) == (store.writes != writes)  # one barrier per batch
    pool.close()
    assert store.users == set() and store.roles == {} and store.assigned == {}


def test_the_same_grants_again_write_nothing_and_wait_for_nothing(tmp_path: Path) -> None:
    pool, store, barrier, _ = _world(tmp_path)
    scenario = Scenario.everyone_asks(
        "SELECT 1", "k", fresh_identity("sub", [Grant("DATASOURCE", "wikipedia", "READ")]), ()
    )
    pool.bind(scenario)
    writes, waits = store.writes, barrier.waits
    pool.bind(scenario)
    assert (store.writes, barrier.waits) == (writes, waits)
    smaller = Scenario.everyone_asks("SELECT 1", "k", fresh_identity("sub", []), ())
    pool.bind(smaller)
    assert store.writes == writes + 1  # its one role emptied, nothing else
    assert barrier.waits == waits + 1
    assert barrier.users_unchanged == 1  # the first wait also waited for the new user


def test_an_identity_whose_lists_are_already_as_wanted_is_chosen_and_costs_no_write(
    tmp_path: Path,
) -> None:
    pool, store, barrier, _ = _world(tmp_path)
    reader = [Grant("DATASOURCE", "wikipedia", "READ")]
    writer = [Grant("DATASOURCE", "koalas", "WRITE")]

    def scenario(first: list[Grant], second: list[Grant]) -> Scenario:
        return Scenario.everyone_asks(
            "SELECT 1", "k", fresh_identity("a", first), (fresh_identity("b", second),)
        )

    pool.bind(scenario(reader, writer))
    writes, waits = store.writes, barrier.waits
    swapped = pool.bind(scenario(writer, reader))  # the same two identities, the other way
    assert (store.writes, barrier.waits) == (writes, waits)
    assert [set(u.grants()) for u in swapped.users] == [set(writer), set(reader)]
    assert pool.leaks() == []


def test_logins_follow_their_users_and_other_logins_are_kept(tmp_path: Path) -> None:
    pool, _, _, _ = _world(tmp_path)
    user = fresh_identity("sub", [])
    wrong = Credentials(user.name, "not-the-password")
    stranger = Credentials("nobody_at_all", "pw")
    scenario = Scenario(
        sql="SELECT 1",
        kind="k",
        users=(user,),
        submit=Request("submit", user, credentials(user)),
        follow_ups=(
            Request("status", user, wrong, "wrong"),
            Request("status", user, NO_CREDENTIALS, "none"),
            Request("status", user, stranger, "stranger"),
        ),
    )
    bound = pool.bind(scenario)
    (pooled,) = bound.users
    assert pooled.name == "poolabc123_0" and pooled.password != user.password
    assert bound.submit.login == credentials(pooled) and bound.submit.authenticated
    assert [r.login for r in bound.follow_ups] == [wrong, NO_CREDENTIALS, stranger]
    assert not any(r.authenticated for r in bound.follow_ups)


def test_the_pooled_runner_asks_and_judges_as_the_fresh_one(tmp_path: Path) -> None:
    def runner(pool: IdentityPool | None) -> tuple[ScenarioRunner, list[Exchange]]:
        run = Run("20260101T000000Z-abc123", tmp_path, Sink(tmp_path / "h.jsonl"))
        judge = Judge(run, "27.0.0", DEFAULT_PROFILE, frozenset(SEED_DATASOURCES), {})
        log: list[Exchange] = []
        router = FakeDruid(log, polite)
        security = SecurityAdmin(StoreClient(Store()))
        barrier = cast(PropagationBarrier, Barrier())
        admin = router.as_user(Credentials("admin", "pw"))
        return ScenarioRunner(security, barrier, router, admin, judge, pool=pool), log

    read = [Grant("DATASOURCE", "wikipedia", "READ"), Grant("DATASOURCE", "__query_select", "READ")]
    scenario = Scenario.everyone_asks(
        'SELECT page FROM "wikipedia"',
        "select-read",
        fresh_identity("sub", read),
        (fresh_identity("oth", []),),
    )
    fresh, fresh_log = runner(None)
    pool, _, _, _ = _world(tmp_path)
    pooled, pooled_log = runner(pool)
    expected, got = fresh.run(scenario), pooled.run(scenario)
    assert [(c.label, c.case, c.verdict.verdict) for c in got] == [
        (c.label, c.case, c.verdict.verdict) for c in expected
    ]
    assert [(e.method, e.path) for e in pooled_log] == [(e.method, e.path) for e in fresh_log]
