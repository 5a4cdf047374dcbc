"""Identities made once per run: the users a scenario acts as, with their roles, reused.

Provisioning each scenario's users anew cost about nine basic-security writes per user (create,
password, authorizer user, role, permission list, assignment, then three deletions) and was half
of a ``ci`` run's time with Druid (issue 15). A scenario's users and roles matter to Druid only
through who holds which permissions, so the pool keeps users whose passwords and role
assignments are made once, and an example only replaces the permission lists of the roles of
the pool users it acts as (``bind_all`` chooses them: for each of the example's users, in order,
the free pool user whose lists already come closest, so that an actor holding nothing, or the
grants an earlier example gave, costs no write). A user's ``j``-th role is its pool user's role
``j``, and that user's other pool roles are emptied; a user without roles is acted by a pool
user without roles (not by one whose roles are emptied). A permission list is replaced whole
(basic-security's ``POST .../permissions``), so no grant leaks from one example to the next: an
acting pool user holds exactly its scenario user's grants (``leaks`` reads it back), and a pool
user that does not act in an example is not asked about. After any write the propagation
barrier is waited on once per batch.

A role two users of one scenario share is given to each as a copy: what a user may do depends
only on the permissions of its roles. Scenarios about users and roles themselves (the state
machine, authentication) create and delete their own.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from conformance.runner.run import Run
from fixtures.client import Credentials
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin
from strategies.grants import RoleSpec, UserSpec
from strategies.identities import NoCredentials
from strategies.scenario import Request, Scenario, credentials


@dataclass
class PoolUser:
    """A user of the pool: its name and password (set once) and the roles assigned to it once,
    in order (``<user>_r<j>``)."""

    name: str
    password: str
    roles: list[str] = field(default_factory=list)


class IdentityPool:
    """Users and roles made on first need and removed by :meth:`close`; :meth:`bind` gives a
    scenario their identities.

    ``prefix`` starts every name (the run's tag keeps runs apart). Each write goes through
    ``security`` (InfrastructureError or BadCredentialsError as it raises them), and every
    password becomes a secret of ``run``'s history.
    """

    def __init__(
        self, security: SecurityAdmin, barrier: PropagationBarrier, run: Run, prefix: str
    ) -> None:
        self.security = security
        self.barrier = barrier
        self.run = run
        self.prefix = prefix
        self.users: list[PoolUser] = []
        self.lists: dict[str, tuple[Grant, ...]] = {}  # role -> the list last written
        self.writes = 0  # basic-security writes made, for the figures

    # -- the pool ---------------------------------------------------------------------------
    def _new_user(self) -> PoolUser:
        user = PoolUser(f"{self.prefix}_{len(self.users)}", secrets.token_urlsafe(16))
        self.run.history.secret(user.password)
        self.security.create_user(Credentials(user.name, user.password))
        self.users.append(user)
        self.writes += 3
        return user

    def _add_roles(self, user: PoolUser, count: int) -> None:
        """At least ``count`` roles for ``user`` (new ones empty)."""
        while len(user.roles) < count:
            role = f"{user.name}_r{len(user.roles)}"
            self.security.create_role(role)
            self.security.assign(user.name, role)
            self.lists[role] = ()
            user.roles.append(role)
            self.writes += 3

    def _changes(self, spec: UserSpec, user: PoolUser) -> list[tuple[str, tuple[Grant, ...]]]:
        """The (role, whole list) writes that make ``user``'s existing roles hold exactly
        ``spec``'s grants: its ``j``-th role's grants to role ``j``, the others emptied; a list
        already as wanted is left out."""
        wanted = {r: spec_role.grants for spec_role, r in zip(spec.roles, user.roles, strict=False)}
        return [
            (role, wanted.get(role, ()))
            for role in user.roles
            if self.lists[role] != wanted.get(role, ())
        ]

    def _cost(self, spec: UserSpec, user: PoolUser) -> int:
        """Writes needed for ``user`` to hold exactly ``spec``'s grants, role by role."""
        missing = max(0, len(spec.roles) - len(user.roles))
        return 3 * missing + len(self._changes(spec, user))

    def _assign(self, specs: Sequence[UserSpec]) -> list[PoolUser]:
        """A distinct pool user for each of ``specs``, in order: the free one needing fewest
        writes (the earliest on a tie, so a run's choices repeat), a new one when none is
        free."""
        free = list(self.users)
        chosen = []
        for spec in specs:
            # a user without roles is acted by a pool user without roles: empty roles are not
            # the same thing to an authorizer that reads "no roles" as "no restriction"
            fit = free if spec.roles else [u for u in free if not u.roles]
            if fit:
                user = min(fit, key=lambda u: self._cost(spec, u))
                free.remove(user)
            else:
                user = self._new_user()
            self._add_roles(user, len(spec.roles))
            chosen.append(user)
        return chosen

    def bind(self, scenario: Scenario) -> Scenario:
        """``scenario`` acted by pool users holding exactly its roles' permissions; Druid holds
        them when this returns (the barrier was waited on after any write)."""
        [bound] = self.bind_all([scenario])
        return bound

    def bind_all(self, scenarios: Sequence[Scenario]) -> list[Scenario]:
        """Each of ``scenarios`` acted by pool users of its own (no pool user acts in two
        scenarios of a batch), each holding exactly its scenario user's grants, behind one
        barrier for the whole batch: a batch of independent scenarios costs one wait, not one
        each."""
        specs = [spec for scenario in scenarios for spec in scenario.users]
        before, started, users = self.writes, time.monotonic(), len(self.users)
        chosen = self._assign(specs)
        for spec, user in zip(specs, chosen, strict=True):
            for role, grants in self._changes(spec, user):
                self.security.set_permissions(role, grants)
                self.lists[role] = grants
                self.writes += 1
        self.run.add_time("provisioning", time.monotonic() - started)
        if self.writes != before:
            started = time.monotonic()
            self.barrier.wait(users_changed=len(self.users) != users)
            self.run.add_time("propagation_barrier", time.monotonic() - started)
        bound, offset = [], 0
        for scenario in scenarios:
            bound.append(_renamed(scenario, chosen[offset : offset + len(scenario.users)]))
            offset += len(scenario.users)
        return bound

    def leaks(self) -> list[str]:
        """What Druid holds that the pool did not set (read back from the Coordinator): a
        role's permission list other than the last written, a user's roles other than those
        assigned. Empty when the pool's invariant holds."""
        found = []
        for user in self.users:
            held = self.security.user_roles(user.name)
            if held != frozenset(user.roles):
                found.append(f"user {user.name} holds roles {sorted(held)}, not {user.roles}")
            for role in user.roles:
                listed = self.security.role_permissions(role)
                if listed != self.lists[role]:
                    found.append(f"role {role} holds {listed}, not {self.lists[role]}")
        return found

    def close(self) -> None:
        """Remove every role and user of the pool (also after a failure)."""
        users, self.users = self.users, []
        for user in users:
            for role in user.roles:
                self.security.delete_role(role)
                self.lists.pop(role, None)
            self.security.delete_user(user.name)


def _renamed(scenario: Scenario, users: Sequence[PoolUser]) -> Scenario:
    """The same scenario with its ``i``-th user replaced by ``users[i]`` (name, password, roles);
    a login with the user's own credentials becomes the pool user's, any other is kept."""
    as_pool = {
        spec.name: UserSpec(
            user.name,
            user.password,
            tuple(
                RoleSpec(role, role_spec.grants)
                for role_spec, role in zip(spec.roles, user.roles, strict=False)
            ),
        )
        for spec, user in zip(scenario.users, users, strict=True)
    }
    originals = {spec.name: spec for spec in scenario.users}

    def request(asked: Request) -> Request:
        login: Credentials | NoCredentials = asked.login
        actor = as_pool[asked.actor.name]
        if isinstance(login, Credentials) and login == credentials(originals[asked.actor.name]):
            login = credentials(actor)
        return replace(asked, actor=actor, login=login)

    return replace(
        scenario,
        users=tuple(as_pool[spec.name] for spec in scenario.users),
        submit=request(scenario.submit),
        follow_ups=tuple(request(r) for r in scenario.follow_ups),
    )
