"""The state machine's model of basic-security (``conformance.runner.security_model``), no Druid.

Examples of each transition and query; the comparison with a snapshot of Druid's listings; what
the module imports; and a Hypothesis state machine running the model side by side with a
deliberately different reference (flat sets of names and of (user, role) pairs), including the
transitions basic-security refuses.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import conformance.runner.security_model as security_model
from conformance.oracle import Action, Grants, Permission, Resource
from conformance.runner.security_model import (
    ModelError,
    Scope,
    SecurityModel,
    SecuritySnapshot,
    changes,
    compare,
    describe,
    restrict,
)

READ_WIKI = Permission("wiki.*", "DATASOURCE", Action.READ)
WRITE_ALL = Permission(".*", "DATASOURCE", Action.WRITE)
EXTERNAL = Permission(".*", "EXTERNAL", Action.READ)


def _model() -> SecurityModel:
    model = SecurityModel()
    model.create_user("alice", "pw-a")
    model.create_user("bob", "pw-b")
    model.create_role("reader", [READ_WIKI])
    model.create_role("writer", [WRITE_ALL, READ_WIKI])
    model.assign("alice", "reader")
    model.assign("alice", "writer")
    return model


# -- transitions and queries ---------------------------------------------------------------------


def test_a_users_permissions_are_the_union_of_its_roles_without_repeats() -> None:
    model = _model()
    assert model.permissions("alice") == (READ_WIKI, WRITE_ALL)
    assert model.permissions("bob") == ()
    assert model.grants("alice").allows(Resource("DATASOURCE", "wikipedia"), Action.READ)
    assert isinstance(model.grants("bob"), Grants)


def test_queries_answer_in_creation_order() -> None:
    model = _model()
    assert model.users() == ("alice", "bob")
    assert model.roles() == ("reader", "writer")
    assert model.roles_of("alice") == ("reader", "writer")
    assert model.roles_lacking("bob") == ("reader", "writer")
    assert model.roles_lacking("alice") == ()
    assert model.assignments() == (("alice", "reader"), ("alice", "writer"))
    assert model.assignable() == (("bob", "reader"), ("bob", "writer"))


def test_set_permissions_replaces_the_whole_list() -> None:
    model = _model()
    model.set_permissions("writer", [EXTERNAL])
    assert model.permissions_of("writer") == (EXTERNAL,)
    assert model.permissions("alice") == (READ_WIKI, EXTERNAL)
    model.set_permissions("writer", [])
    assert model.permissions("alice") == (READ_WIKI,)


def test_deleting_a_role_takes_it_from_every_user() -> None:
    model = _model()
    model.assign("bob", "writer")
    model.delete_role("writer")
    assert model.roles() == ("reader",)
    assert model.roles_of("alice") == ("reader",)
    assert model.roles_of("bob") == ()
    assert model.known_roles() == ("reader", "writer")
    assert not model.role_exists("writer")


def test_a_deleted_user_keeps_its_password_and_holds_nothing() -> None:
    model = _model()
    model.delete_user("alice")
    assert not model.exists("alice")
    assert model.users() == ("bob",)
    assert model.known_users() == ("alice", "bob")
    assert model.deleted_users() == ("alice",)
    assert model.password("alice") == "pw-a"
    assert model.roles_of("alice") == ()
    assert model.permissions("alice") == ()
    assert model.assignments() == ()


def test_a_name_created_again_starts_afresh() -> None:
    model = _model()
    model.delete_user("alice")
    model.create_user("alice", "new")
    assert model.password("alice") == "new"
    assert model.deleted_users() == ()
    assert model.roles_of("alice") == ()
    assert model.known_users() == ("bob", "alice")
    model.delete_role("reader")
    model.create_role("reader")
    assert model.permissions_of("reader") == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.create_user("alice", "x"), "user alice exists already"),
        (lambda m: m.create_role("reader"), "role reader exists already"),
        (lambda m: m.assign("alice", "reader"), "user alice holds role reader already"),
        (lambda m: m.assign("carol", "reader"), "user carol does not exist"),
        (lambda m: m.assign("bob", "nobody"), "role nobody does not exist"),
        (lambda m: m.unassign("bob", "reader"), "user bob does not hold role reader"),
        (lambda m: m.set_permissions("nobody", []), "role nobody does not exist"),
        (lambda m: m.delete_role("nobody"), "role nobody does not exist"),
        (lambda m: m.delete_user("carol"), "user carol does not exist"),
        (lambda m: m.password("carol"), "no user carol was ever created"),
        (lambda m: m.roles_lacking("carol"), "user carol does not exist"),
        (lambda m: m.permissions_of("nobody"), "role nobody does not exist"),
    ],
)
def test_a_refused_transition_raises_and_changes_nothing(
    change: Callable[[SecurityModel], object], message: str
) -> None:
    model = _model()
    before, revision = model.snapshot(), model.revision
    with pytest.raises(ModelError, match=message):
        change(model)
    assert (model.snapshot(), model.revision) == (before, revision)


def test_every_accepted_change_counts_as_a_revision() -> None:
    model = SecurityModel()
    assert model.revision == 0
    model.create_user("u", "p")
    model.create_role("r")
    model.set_permissions("r", [READ_WIKI])
    model.assign("u", "r")
    model.unassign("u", "r")
    model.delete_role("r")
    model.delete_user("u")
    assert model.revision == 7


# -- snapshots and the comparison with Druid -----------------------------------------------------


def test_the_snapshot_is_what_basic_security_should_list() -> None:
    model = _model()
    model.set_permissions("reader", [READ_WIKI, READ_WIKI])  # a repeat grants nothing more
    assert model.snapshot() == SecuritySnapshot(
        users=frozenset({"alice", "bob"}),
        authorizer_users=frozenset({"alice", "bob"}),
        roles=frozenset({"reader", "writer"}),
        assignments={"alice": frozenset({"reader", "writer"}), "bob": frozenset()},
        permissions={"reader": frozenset({READ_WIKI}), "writer": frozenset({WRITE_ALL, READ_WIKI})},
    )


def test_compare_is_empty_when_druid_agrees() -> None:
    snapshot = _model().snapshot()
    assert compare(snapshot, snapshot) == []


def test_compare_names_every_difference() -> None:
    model = _model().snapshot()
    druid = SecuritySnapshot(
        users=frozenset({"alice", "carol"}),
        authorizer_users=frozenset({"alice", "bob"}),
        roles=frozenset({"reader"}),
        assignments={"alice": frozenset({"reader"}), "bob": frozenset()},
        permissions={"reader": frozenset({EXTERNAL})},
    )
    assert compare(model, druid) == [
        "users: only in the model [bob], only in Druid [carol]",
        "roles: only in the model [writer], only in Druid []",
        "roles of alice: model [reader, writer], Druid [reader]",
        "permissions of reader: model [READ DATASOURCE 'wiki.*'], Druid [READ EXTERNAL '.*']",
        "permissions of writer: model [READ DATASOURCE 'wiki.*', WRITE DATASOURCE '.*'], Druid []",
    ]


def test_describe_shows_every_fact_sorted() -> None:
    assert describe(_model().snapshot()).splitlines() == [
        "users: [alice, bob]",
        "authorizer users: [alice, bob]",
        "roles: [reader, writer]",
        "roles of alice: [reader, writer]",
        "roles of bob: []",
        "permissions of reader: [READ DATASOURCE 'wiki.*']",
        "permissions of writer: [READ DATASOURCE 'wiki.*', WRITE DATASOURCE '.*']",
    ]


def _after(change: Callable[[SecurityModel], object]) -> Scope:
    model = _model()
    before = model.snapshot()
    change(model)
    return changes(before, model.snapshot())


@pytest.mark.parametrize(
    ("change", "scope"),
    [
        (lambda m: m.set_permissions("reader", [READ_WIKI]), Scope()),  # the same list again
        (
            lambda m: m.set_permissions("reader", [EXTERNAL]),
            Scope(roles_listing=True, roles=frozenset({"reader"})),
        ),
        (
            lambda m: m.assign("bob", "reader"),
            Scope(authorizer_listing=True, users=frozenset({"bob"})),
        ),
        (
            lambda m: m.unassign("alice", "writer"),
            Scope(authorizer_listing=True, users=frozenset({"alice"})),
        ),
        (
            lambda m: m.create_user("carol", "pw"),
            Scope(True, True, False, users=frozenset({"carol"})),
        ),
        (lambda m: m.delete_user("alice"), Scope(True, True, False)),
        (
            lambda m: m.create_role("auditor", [EXTERNAL]),
            Scope(roles_listing=True, roles=frozenset({"auditor"})),
        ),
        # a deleted role leaves the roles of every user that held it
        (
            lambda m: m.delete_role("writer"),
            Scope(False, True, True, users=frozenset({"alice"})),
        ),
    ],
)
def test_changes_name_what_a_step_changed(
    change: Callable[[SecurityModel], object], scope: Scope
) -> None:
    assert _after(change) == scope
    assert bool(scope) == (scope != Scope())


def test_from_nothing_everything_changed() -> None:
    snapshot = _model().snapshot()
    assert changes(SecuritySnapshot.empty(), snapshot) == Scope(
        True, True, True, frozenset({"alice", "bob"}), frozenset({"reader", "writer"})
    )
    assert restrict(snapshot, changes(SecuritySnapshot.empty(), snapshot)) == snapshot


def test_restrict_keeps_only_what_the_scope_reads() -> None:
    snapshot = _model().snapshot()
    part = restrict(snapshot, Scope(authorizer_listing=True, users=frozenset({"bob"})))
    assert part == SecuritySnapshot(
        users=None,
        authorizer_users=frozenset({"alice", "bob"}),
        roles=None,
        assignments={"bob": frozenset()},
        permissions={},
    )
    assert describe(part).splitlines() == ["authorizer users: [alice, bob]", "roles of bob: []"]


def test_compare_skips_a_listing_either_side_did_not_read() -> None:
    model = restrict(_model().snapshot(), Scope(users_listing=True, roles_listing=True))
    druid = SecuritySnapshot(frozenset({"alice", "bob"}), None, frozenset({"reader"}), {}, {})
    assert compare(model, druid) == ["roles: only in the model [writer], only in Druid []"]


def test_the_model_imports_only_the_standard_library_and_the_oracle() -> None:
    tree = ast.parse(Path(security_model.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    outside = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "conformance.oracle"
        and not name.startswith("conformance.oracle.")
    }
    assert outside == set()


# -- the model against a reference, in any order -------------------------------------------------

NAMES = ("a", "b")
POOL = (READ_WIKI, WRITE_ALL, EXTERNAL)


class ModelAgainstReference(RuleBasedStateMachine):
    """Every transition on a few names, valid or not: the model accepts exactly what the
    reference (flat sets) accepts, and answers every query as the reference does."""

    def __init__(self) -> None:
        super().__init__()
        self.model = SecurityModel()
        self.passwords: dict[str, str] = {}
        self.users: set[str] = set()
        self.roles: dict[str, list[Permission]] = {}
        self.held: set[tuple[str, str]] = set()
        self.revision = 0
        self.previous = SecuritySnapshot.empty()

    def _apply(self, valid: bool, change: Callable[[], object]) -> bool:
        """Apply ``change`` to the model; it must raise ModelError exactly when invalid."""
        if valid:
            change()
            self.revision += 1
        else:
            with pytest.raises(ModelError):
                change()
        return valid

    @rule(user=st.sampled_from(NAMES), password=st.text(max_size=3))
    def create_user(self, user: str, password: str) -> None:
        if self._apply(user not in self.users, lambda: self.model.create_user(user, password)):
            self.users.add(user)
            self.passwords[user] = password

    @rule(user=st.sampled_from(NAMES))
    def delete_user(self, user: str) -> None:
        if self._apply(user in self.users, lambda: self.model.delete_user(user)):
            self.users.discard(user)
            self.held = {(u, r) for u, r in self.held if u != user}

    @rule(role=st.sampled_from(NAMES), held=st.lists(st.sampled_from(POOL), max_size=4))
    def create_role(self, role: str, held: list[Permission]) -> None:
        if self._apply(role not in self.roles, lambda: self.model.create_role(role, held)):
            self.roles[role] = list(held)

    @rule(role=st.sampled_from(NAMES), held=st.lists(st.sampled_from(POOL), max_size=4))
    def set_permissions(self, role: str, held: list[Permission]) -> None:
        if self._apply(role in self.roles, lambda: self.model.set_permissions(role, held)):
            self.roles[role] = list(held)

    @rule(role=st.sampled_from(NAMES))
    def delete_role(self, role: str) -> None:
        if self._apply(role in self.roles, lambda: self.model.delete_role(role)):
            del self.roles[role]
            self.held = {(u, r) for u, r in self.held if r != role}

    @rule(user=st.sampled_from(NAMES), role=st.sampled_from(NAMES))
    def assign(self, user: str, role: str) -> None:
        valid = user in self.users and role in self.roles and (user, role) not in self.held
        if self._apply(valid, lambda: self.model.assign(user, role)):
            self.held.add((user, role))

    @rule(user=st.sampled_from(NAMES), role=st.sampled_from(NAMES))
    def unassign(self, user: str, role: str) -> None:
        if self._apply((user, role) in self.held, lambda: self.model.unassign(user, role)):
            self.held.discard((user, role))

    @invariant()
    def the_model_answers_as_the_reference(self) -> None:
        model = self.model
        assert set(model.users()) == self.users
        assert set(model.known_users()) == set(self.passwords)
        assert set(model.deleted_users()) == set(self.passwords) - self.users
        assert set(model.roles()) == set(self.roles)
        assert set(model.assignments()) == self.held
        assert model.revision == self.revision
        lacking = {(u, r) for u in self.users for r in self.roles} - self.held
        assert set(model.assignable()) == lacking
        for user in self.passwords:
            assert model.password(user) == self.passwords[user]
            assert model.exists(user) == (user in self.users)
            mine = {r for u, r in self.held if u == user}
            assert set(model.roles_of(user)) == mine
            expected = {p for r in mine for p in self.roles[r]}
            assert set(model.permissions(user)) == expected
            assert len(model.permissions(user)) == len(expected)  # no repeats
            if user in self.users:
                assert set(model.roles_lacking(user)) == set(self.roles) - mine
        for role, held in self.roles.items():
            assert model.permissions_of(role) == tuple(held)
        snapshot = model.snapshot()
        assert snapshot.users == snapshot.authorizer_users == frozenset(self.users)
        assert snapshot.assignments == {
            u: frozenset(r for v, r in self.held if v == u) for u in self.users
        }
        assert snapshot.permissions == {r: frozenset(h) for r, h in self.roles.items()}
        # outside what changes() names, nothing changed since the last step
        scope, before = changes(self.previous, snapshot), self.previous
        assert scope.users_listing or before.users == snapshot.users
        assert scope.authorizer_listing or before.authorizer_users == snapshot.authorizer_users
        assert scope.roles_listing or before.roles == snapshot.roles
        for user, roles in snapshot.assignments.items():
            assert user in scope.users or before.assignments.get(user) == roles
        for role, granted in snapshot.permissions.items():
            assert role in scope.roles or before.permissions.get(role) == granted
        self.previous = snapshot


TestModelAgainstReference = ModelAgainstReference.TestCase
TestModelAgainstReference.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None
)
