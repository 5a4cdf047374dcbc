"""The cluster start sets the initial users' passwords again, to the same values, so that their
hashes take the cluster's credentialIterations (Druid hashes them at 10,000 whatever it is). It
is the last readiness condition: a refusal (Druid 27 once answered 500 right after the others
held) is shown and the password set again until the deadline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures import cluster as cluster_module
from fixtures.client import Credentials
from fixtures.errors import BadCredentialsError, ClusterStartError, InfrastructureError
from fixtures.provision import SecurityAdmin

ADMIN = Credentials("admin", "admin-secret")
INTERNAL = Credentials(cluster_module.INTERNAL_USER, "internal-secret")
COORDINATOR = "http://127.0.0.1:1/proxy/coordinator"
REFUSAL = "security API POST .../druid_system/credentials answered 500: Unable to set isolation"


def _cluster() -> cluster_module.ContainerCluster:
    return cluster_module.ContainerCluster(
        router_url="http://127.0.0.1:1",
        coordinator_url=COORDINATOR,
        admin=ADMIN,
        druid_version="27.0.0",
        image="img",
        started_by_suite=True,
    )


def _rehash(timeout: float) -> None:
    """The cluster start's last readiness condition, waited on as the start waits on it."""
    cluster_module.wait_for_all([cluster_module._rehashed(_cluster(), INTERNAL)], timeout)


def _druid(
    monkeypatch: pytest.MonkeyPatch, answers: Iterator[Exception | None]
) -> list[tuple[str, str, str]]:
    """SecurityAdmin.set_password raising the next of ``answers`` (None: taken); the calls."""
    calls: list[tuple[str, str, str]] = []

    def set_password(self: SecurityAdmin, credentials: Credentials) -> None:
        calls.append((self.client.base_url, credentials.user, credentials.password))
        answer = next(answers)
        if answer is not None:
            raise answer

    monkeypatch.setattr(SecurityAdmin, "set_password", set_password)
    return calls


def test_the_admin_and_the_internal_client_get_their_own_passwords_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _druid(monkeypatch, iter([None, None]))
    _rehash(timeout=5)
    assert calls == [
        (COORDINATOR, "druid_system", "internal-secret"),
        (COORDINATOR, "admin", "admin-secret"),
    ]


def test_a_refused_password_is_set_again_and_the_refusal_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _druid(monkeypatch, iter([InfrastructureError(REFUSAL), None, None]))
    _rehash(timeout=30)
    assert [user for _, user, _ in calls] == ["druid_system", "druid_system", "admin"]
    assert "ready: the security API to take the initial users' passwords again" in (
        capsys.readouterr().err
    )


def test_a_cluster_that_keeps_refusing_never_becomes_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    _druid(monkeypatch, iter(lambda: InfrastructureError(REFUSAL), None))
    with pytest.raises(ClusterStartError, match=r"never became ready.*answered 500"):
        _rehash(timeout=1)


def test_a_refused_admin_is_not_waited_on(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _druid(monkeypatch, iter([BadCredentialsError("the admin credentials were rejected")]))
    with pytest.raises(BadCredentialsError):
        _rehash(timeout=30)
    assert len(calls) == 1
