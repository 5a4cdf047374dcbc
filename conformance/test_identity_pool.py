"""The run's identity pool holds, on the real Druid, exactly what each example asked for.

Two batches of examples with different grants are bound one after the other; after each, the
users' roles and every role's permission list are read back from the Coordinator: each acting
user holds exactly its example's grants, nothing of the first batch is left with an actor of the
second, every pool role holds what the pool last wrote (``IdentityPool.leaks``), and the pool
made no other user. A pool user that acts in no example of a batch keeps its lists: nothing is
asked as it until a batch binds it, and binding replaces each of its lists whole.
"""

from __future__ import annotations

import pytest

from conformance.runner.pool import IdentityPool
from conformance.runner.scenario import fresh_identity
from fixtures.provision import Grant, SecurityAdmin
from strategies.scenario import Scenario

pytestmark = pytest.mark.druid

WIDE = (Grant("DATASOURCE", ".*", "READ"), Grant("EXTERNAL", "EXTERNAL", "READ"))
NARROW = (Grant("DATASOURCE", "wikipedia", "READ"),)


def test_no_grant_leaks_from_one_example_to_the_next(
    identity_pool: IdentityPool, security: SecurityAdmin, seeds: list[str]
) -> None:
    def example(name: str, first: tuple[Grant, ...], second: tuple[Grant, ...]) -> Scenario:
        return Scenario.everyone_asks(
            "SELECT 1", name, fresh_identity("sub", first), (fresh_identity("oth", second),)
        )

    batches = [
        [example("wide", WIDE, WIDE), example("mixed", NARROW, ())],
        [example("narrow", NARROW, NARROW), example("none", (), ())],
    ]
    for batch in batches:
        bound = identity_pool.bind_all(batch)
        assert identity_pool.leaks() == []
        for scenario, ours in zip(batch, bound, strict=True):
            for user, original in zip(ours.users, scenario.users, strict=True):
                held = {
                    g
                    for role in security.user_roles(user.name)
                    for g in security.role_permissions(role)
                }
                assert held == set(original.grants())
    pool_users = {u for u in security.list_users() if u.startswith(identity_pool.prefix)}
    assert pool_users == {u.name for u in identity_pool.users}
