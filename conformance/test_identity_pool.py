"""The run's identity pool holds, on the real Druid, exactly what each example asked for.

Two examples with different grants are bound one after the other; after each, the users' roles
and every role's permission list are read back from the Coordinator: nothing of the first
example is left in the second (``IdentityPool.leaks``), and the pool made no other user.
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
    first = Scenario.everyone_asks(
        "SELECT 1", "pool-first", fresh_identity("sub", WIDE), (fresh_identity("oth", WIDE),)
    )
    second = Scenario.everyone_asks("SELECT 1", "pool-second", fresh_identity("sub", NARROW), ())
    for scenario in (first, second):
        bound = identity_pool.bind(scenario)
        assert identity_pool.leaks() == []
        for user, original in zip(bound.users, scenario.users, strict=True):
            held = {
                g
                for role in security.user_roles(user.name)
                for g in security.role_permissions(role)
            }
            assert held == set(original.grants())
    others = {u.name for u in identity_pool.users} - {u.name for u in bound.users}
    for name in others:  # the first example's other user holds nothing now
        assert not any(security.role_permissions(r) for r in security.user_roles(name))
    pool_users = {u for u in security.list_users() if u.startswith(identity_pool.prefix)}
    assert pool_users == {u.name for u in identity_pool.users}
