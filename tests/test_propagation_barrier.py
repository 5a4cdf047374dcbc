"""The propagation barrier against a fake Druid whose services learn changes late (no Druid).

The canary's new grant must be seen by both the Broker and the Overlord in two observations in
a row; a role-only wait leaves the canary's password alone; a change that never arrives is an
infrastructure error naming what was last seen.
"""

from __future__ import annotations

from typing import Any

import pytest

from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.errors import InfrastructureError
from fixtures.provision import PropagationBarrier, SecurityAdmin


class LateDruid(DruidClient):
    """Security writes succeed; the services answer the canary with ``answers`` in turn (then
    the last one forever). Every request is logged as (method, path, user)."""

    def __init__(self, answers: list[int], log: list[tuple[str, str, str | None]]) -> None:
        super().__init__("http://late-druid", None)
        self.answers = answers
        self.log = log

    def as_user(self, credentials: Credentials | None) -> DruidClient:
        client = LateDruid(self.answers, self.log)
        client.credentials = credentials
        return client

    def request(
        self, method: str, path: str, body: Any = None, allow_server_error: bool = False
    ) -> Exchange:
        user = self.credentials.user if self.credentials else None
        self.log.append((method, path, user))
        status = 200
        if method == "GET" and "__probe_" in path:
            status = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return Exchange(method, path, user, body, status, {}, 0.0, 0.0, len(self.log))


def _barrier(answers: list[int]) -> tuple[PropagationBarrier, list[tuple[str, str, str | None]]]:
    log: list[tuple[str, str, str | None]] = []
    druid = LateDruid(answers, log)
    barrier = PropagationBarrier(SecurityAdmin(druid), druid, "abc123")
    log.clear()
    return barrier, log


def _probes(log: list[tuple[str, str, str | None]]) -> int:
    return sum(1 for method, path, _ in log if method == "GET")


def test_both_services_twice_in_a_row() -> None:
    # (Broker, Overlord) pairs: (403, 200) not through; (200, 200) through but the observation
    # right after, (200, 403), is not: start again; (200, 200) twice in a row: arrived
    barrier, log = _barrier([403, 200, 200, 200, 200, 403, 200, 200, 200, 200])
    barrier.wait(timeout=10)
    assert _probes(log) == 10
    writes = [(m, p.rsplit("/", 2)[-1]) for m, p, _ in log if m == "POST"]
    assert writes == [("POST", "credentials"), ("POST", "permissions")]


def test_a_wait_for_roles_only_leaves_the_password_alone() -> None:
    barrier, log = _barrier([200])
    before = barrier.canary
    barrier.wait(timeout=10, users_changed=False)
    assert barrier.canary == before
    assert [p.rsplit("/", 1)[-1] for m, p, _ in log if m == "POST"] == ["permissions"]
    assert _probes(log) == 4  # one check: two observations of both services


def test_a_change_that_never_arrives_is_an_infrastructure_error() -> None:
    barrier, _ = _barrier([403])
    with pytest.raises(InfrastructureError, match=r"did not propagate.*Broker 403, Overlord 403"):
        barrier.wait(timeout=0.3)
