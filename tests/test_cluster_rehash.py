"""The cluster start sets the initial users' passwords again, to the same values, so that their
hashes take the cluster's credentialIterations (Druid hashes them at 10,000 whatever it is)."""

from __future__ import annotations

import pytest

from fixtures import cluster as cluster_module
from fixtures.client import Credentials
from fixtures.provision import SecurityAdmin


def test_the_admin_and_the_internal_client_get_their_own_passwords_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_again: list[tuple[str, str, str]] = []

    def set_password(self: SecurityAdmin, credentials: Credentials) -> None:
        set_again.append((self.client.base_url, credentials.user, credentials.password))

    monkeypatch.setattr(SecurityAdmin, "set_password", set_password)
    admin = Credentials("admin", "admin-secret")
    started = cluster_module.ContainerCluster(
        router_url="http://127.0.0.1:1",
        coordinator_url="http://127.0.0.1:1/proxy/coordinator",
        admin=admin,
        druid_version="27.0.0",
        image="img",
        started_by_suite=True,
    )
    internal = Credentials(cluster_module.INTERNAL_USER, "internal-secret")
    cluster_module._rehash_initial_users(started, internal)
    assert set_again == [
        ("http://127.0.0.1:1/proxy/coordinator", "druid_system", "internal-secret"),
        ("http://127.0.0.1:1/proxy/coordinator", "admin", "admin-secret"),
    ]
