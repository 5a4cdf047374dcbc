"""What druid-basic-security holds, as the state machine believes it: a pure model.

Users (each with a password), roles, which users hold which roles, and each role's permission
list, changed as basic-security changes them (Druid 27, ``druid-basic-security.md``):

- a user exists in the authenticator (name, password) and in the authorizer (name, roles) alike;
- a role's permission list is replaced whole ("This replaces the previous set of permissions");
- deleting a role takes it from every user holding it; deleting a user takes its roles with it;
- creating a user or role that exists, assigning a role the user holds already (Druid answers
  400) or unassigning one it does not hold, and naming a user or role that does not exist, are
  refused: :class:`ModelError`, and the model stays as it was.

The model remembers every name it ever created, deleted or not (``known_users``,
``known_roles``): a deleted user can still be made to send requests (Druid must answer 401), and
a comparison with Druid's listings is restricted to the model's own names.

``snapshot()`` is the model as basic-security should list it; ``compare`` and ``describe`` set
it against what Druid lists. Reading everything back after every step costs a request per user
and role (about half the state machine's time on Druid 27), so ``changes`` names what differs
between two snapshots (what a step changed) and ``restrict`` cuts a snapshot down to that.

It never talks to Druid and imports only the standard library and ``conformance.oracle`` (an
import-linter contract in ``pyproject.toml`` keeps it so); ``tests/test_security_model.py``
checks its behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conformance.oracle import Grants, Permission

__all__ = [
    "ModelError",
    "Scope",
    "SecurityModel",
    "SecuritySnapshot",
    "changes",
    "compare",
    "describe",
    "restrict",
]


class ModelError(ValueError):
    """A transition basic-security refuses (or one naming what does not exist)."""


def _key(permission: Permission) -> tuple[str, str, str]:
    return (permission.type, permission.pattern, permission.action.value)


@dataclass(frozen=True)
class SecuritySnapshot:
    """Who exists and who holds what: the model's belief, or what basic-security lists.

    A listing that was not read is None; ``assignments`` and ``permissions`` may hold only some
    users and roles (see :class:`Scope`). Permission lists are sets here: their order and
    repeats grant nothing.
    """

    users: frozenset[str] | None  # the authenticator's users
    authorizer_users: frozenset[str] | None  # the authorizer's users
    roles: frozenset[str] | None
    assignments: Mapping[str, frozenset[str]]  # authorizer users' roles
    permissions: Mapping[str, frozenset[Permission]]  # roles' permissions

    @classmethod
    def empty(cls) -> SecuritySnapshot:
        """Nothing exists: the model before its first change."""
        return cls(frozenset(), frozenset(), frozenset(), {}, {})


@dataclass(frozen=True)
class Scope:
    """What to read back from basic-security: which of the three listings, and the roles of
    ``users`` and the permissions of ``roles``."""

    users_listing: bool = False
    authorizer_listing: bool = False
    roles_listing: bool = False
    users: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return any(
            (
                self.users_listing,
                self.authorizer_listing,
                self.roles_listing,
                self.users,
                self.roles,
            )
        )


def changes(before: SecuritySnapshot, after: SecuritySnapshot) -> Scope:
    """What differs between two full snapshots: what to read back after the steps between them.

    A listing when its names changed; a user's roles when they changed (a user created or
    stripped of a deleted role included), a role's permissions likewise. The authorizer users
    and the roles are listed too whenever a user's or role's entry is read, so that an entry
    Druid lost shows as a missing name rather than as a failed request.
    """
    users = frozenset(
        u for u, held in after.assignments.items() if before.assignments.get(u) != held
    )
    roles = frozenset(
        r for r, held in after.permissions.items() if before.permissions.get(r) != held
    )
    return Scope(
        users_listing=before.users != after.users,
        authorizer_listing=before.authorizer_users != after.authorizer_users or bool(users),
        roles_listing=before.roles != after.roles or bool(roles),
        users=users,
        roles=roles,
    )


def restrict(snapshot: SecuritySnapshot, scope: Scope) -> SecuritySnapshot:
    """The part of a full snapshot that ``scope`` reads back."""
    return SecuritySnapshot(
        users=snapshot.users if scope.users_listing else None,
        authorizer_users=snapshot.authorizer_users if scope.authorizer_listing else None,
        roles=snapshot.roles if scope.roles_listing else None,
        assignments={u: r for u, r in snapshot.assignments.items() if u in scope.users},
        permissions={r: p for r, p in snapshot.permissions.items() if r in scope.roles},
    )


def _names(names: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(names)) + "]"


def _permissions(permissions: Iterable[Permission]) -> str:
    shown = sorted(f"{a} {t} {p!r}" for t, p, a in map(_key, permissions))
    return "[" + ", ".join(shown) + "]"


def _listings(snapshot: SecuritySnapshot) -> tuple[tuple[str, frozenset[str] | None], ...]:
    return (
        ("users", snapshot.users),
        ("authorizer users", snapshot.authorizer_users),
        ("roles", snapshot.roles),
    )


def describe(snapshot: SecuritySnapshot) -> str:
    """The snapshot, one line per fact read, sorted (for an assertion message)."""
    lines = [f"{what}: {_names(names)}" for what, names in _listings(snapshot) if names is not None]
    lines += [
        f"roles of {u}: {_names(snapshot.assignments[u])}" for u in sorted(snapshot.assignments)
    ]
    lines += [
        f"permissions of {r}: {_permissions(snapshot.permissions[r])}"
        for r in sorted(snapshot.permissions)
    ]
    return "\n".join(lines)


def compare(model: SecuritySnapshot, druid: SecuritySnapshot) -> list[str]:
    """Where Druid's snapshot differs from the model's, one line each; empty when they agree.

    A listing either side did not read is not compared; a user or role missing from one side's
    ``assignments`` or ``permissions`` counts as holding nothing there.
    """
    found: list[str] = []
    for (what, mine), (_, theirs) in zip(_listings(model), _listings(druid), strict=True):
        if mine is not None and theirs is not None and mine != theirs:
            found.append(
                f"{what}: only in the model {_names(mine - theirs)}, "
                f"only in Druid {_names(theirs - mine)}"
            )
    empty: frozenset[str] = frozenset()
    for user in sorted(model.assignments.keys() | druid.assignments.keys()):
        held, listed = model.assignments.get(user, empty), druid.assignments.get(user, empty)
        if held != listed:
            found.append(f"roles of {user}: model {_names(held)}, Druid {_names(listed)}")
    none: frozenset[Permission] = frozenset()
    for role in sorted(model.permissions.keys() | druid.permissions.keys()):
        granted, listed_ = model.permissions.get(role, none), druid.permissions.get(role, none)
        if granted != listed_:
            found.append(
                f"permissions of {role}: model {_permissions(granted)}, "
                f"Druid {_permissions(listed_)}"
            )
    return found


class SecurityModel:
    """Users, passwords, roles, assignments and permission lists; every change is a method.

    Queries answer in creation order (what Hypothesis draws from shrinks towards older names).
    ``revision`` counts the changes made so far.
    """

    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}  # every user ever created, deleted or not
        self._users: dict[str, dict[str, None]] = {}  # existing users: their roles, in order
        self._known_roles: dict[str, None] = {}  # every role ever created
        self._roles: dict[str, tuple[Permission, ...]] = {}  # existing roles: their permissions
        self.revision = 0

    # -- transitions ---------------------------------------------------------------------------
    def create_user(self, user: str, password: str) -> None:
        if user in self._users:
            raise ModelError(f"user {user} exists already")
        self._passwords.pop(user, None)  # a name created again moves to the end
        self._passwords[user] = password
        self._users[user] = {}
        self.revision += 1

    def delete_user(self, user: str) -> None:
        self._existing_user(user)
        del self._users[user]
        self.revision += 1

    def create_role(self, role: str, permissions: Iterable[Permission] = ()) -> None:
        if role in self._roles:
            raise ModelError(f"role {role} exists already")
        self._known_roles.pop(role, None)
        self._known_roles[role] = None
        self._roles[role] = tuple(permissions)
        self.revision += 1

    def set_permissions(self, role: str, permissions: Iterable[Permission]) -> None:
        """Replace the role's whole permission list (grant and revoke at once)."""
        self._existing_role(role)
        self._roles[role] = tuple(permissions)
        self.revision += 1

    def delete_role(self, role: str) -> None:
        self._existing_role(role)
        del self._roles[role]
        for roles in self._users.values():
            roles.pop(role, None)
        self.revision += 1

    def assign(self, user: str, role: str) -> None:
        roles = self._existing_user(user)
        self._existing_role(role)
        if role in roles:
            raise ModelError(f"user {user} holds role {role} already")
        roles[role] = None
        self.revision += 1

    def unassign(self, user: str, role: str) -> None:
        roles = self._existing_user(user)
        if role not in roles:
            raise ModelError(f"user {user} does not hold role {role}")
        del roles[role]
        self.revision += 1

    # -- queries -------------------------------------------------------------------------------
    def users(self) -> tuple[str, ...]:
        """The users that exist."""
        return tuple(u for u in self._passwords if u in self._users)

    def roles(self) -> tuple[str, ...]:
        """The roles that exist."""
        return tuple(r for r in self._known_roles if r in self._roles)

    def known_users(self) -> tuple[str, ...]:
        """Every user ever created, deleted or not."""
        return tuple(self._passwords)

    def deleted_users(self) -> tuple[str, ...]:
        """The users created and since deleted (and not created again)."""
        return tuple(u for u in self._passwords if u not in self._users)

    def known_roles(self) -> tuple[str, ...]:
        """Every role ever created, deleted or not."""
        return tuple(self._known_roles)

    def exists(self, user: str) -> bool:
        return user in self._users

    def role_exists(self, role: str) -> bool:
        return role in self._roles

    def password(self, user: str) -> str:
        """The password the user was created with (also once deleted: it then gets 401)."""
        if user not in self._passwords:
            raise ModelError(f"no user {user} was ever created")
        return self._passwords[user]

    def roles_of(self, user: str) -> tuple[str, ...]:
        """The user's roles in the order assigned; none once the user is deleted."""
        self.password(user)
        return tuple(self._users.get(user, ()))

    def roles_lacking(self, user: str) -> tuple[str, ...]:
        """The existing roles the (existing) user does not hold: what may be assigned."""
        held = self._existing_user(user)
        return tuple(r for r in self.roles() if r not in held)

    def assignments(self) -> tuple[tuple[str, str], ...]:
        """Every (user, role) held."""
        return tuple((u, r) for u in self.users() for r in self._users[u])

    def assignable(self) -> tuple[tuple[str, str], ...]:
        """Every (user, role) that may be assigned: both exist, the user lacks the role."""
        return tuple((u, r) for u in self.users() for r in self.roles_lacking(u))

    def permissions_of(self, role: str) -> tuple[Permission, ...]:
        """The role's permission list, as last set."""
        self._existing_role(role)
        return self._roles[role]

    def permissions(self, user: str) -> tuple[Permission, ...]:
        """What the user holds: the union of its roles' lists, without repeats; none once
        deleted. The oracle's ``Case.permissions``."""
        held = (p for r in self.roles_of(user) for p in self._roles[r])
        return tuple(dict.fromkeys(held))

    def grants(self, user: str) -> Grants:
        return Grants(self.permissions(user))

    def snapshot(self) -> SecuritySnapshot:
        """The model as basic-security should list it."""
        users = frozenset(self._users)
        return SecuritySnapshot(
            users=users,
            authorizer_users=users,
            roles=frozenset(self._roles),
            assignments={u: frozenset(roles) for u, roles in self._users.items()},
            permissions={r: frozenset(held) for r, held in self._roles.items()},
        )

    # -- helpers -------------------------------------------------------------------------------
    def _existing_user(self, user: str) -> dict[str, None]:
        if user not in self._users:
            raise ModelError(f"user {user} does not exist")
        return self._users[user]

    def _existing_role(self, role: str) -> None:
        if role not in self._roles:
            raise ModelError(f"role {role} does not exist")
