"""A 5xx answer: judged when the cluster is live (a finding), an infrastructure error when not."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from conformance.runner.scenario import ScenarioRunner
from fixtures.client import Exchange
from fixtures.errors import InfrastructureError


def _runner(liveness: Any) -> ScenarioRunner:
    return ScenarioRunner(None, None, None, None, None, liveness)  # type: ignore[arg-type]


def _answer(status: int) -> Exchange:
    return Exchange("POST", "/druid/v2/sql/task", "u", {}, status, {"error": "x"}, 0.1, 0.0, 7)


def test_a_5xx_from_a_live_cluster_is_an_answer_to_judge() -> None:
    asked: list[int] = []
    runner = _runner(lambda: asked.append(1))  # returns None: live
    assert runner.live(_answer(500)).status == 500
    assert asked == [1], "a 5xx asks whether the cluster is live"


def test_a_5xx_from_a_cluster_that_is_not_live_is_an_infrastructure_error() -> None:
    runner = _runner(lambda: "the Router to answer /status/health: HTTP 503")
    with pytest.raises(InfrastructureError, match="is not live: the Router") as raised:
        runner.live(_answer(502))
    assert raised.value.exchange_seq == 7
    assert "(history #7)" in str(raised.value)


def test_without_a_probe_a_5xx_stays_an_infrastructure_error() -> None:
    with pytest.raises(InfrastructureError, match="no liveness probe"):
        _runner(None).live(_answer(500))


@pytest.mark.parametrize("status", [200, 400, 403, 404])
def test_other_answers_need_no_probe(status: int) -> None:
    def probe() -> str:
        raise AssertionError("probed")

    assert _runner(probe).live(_answer(status)).status == status


def test_only_the_requests_under_test_return_a_5xx() -> None:
    """The runner's clients return a 5xx to be judged; the suite's own requests raise on it."""
    from fixtures.client import Credentials, DruidClient

    class Answers500:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            return SimpleNamespace(status_code=500, text="boom", json=lambda: {"error": "boom"})

    strict = DruidClient("http://127.0.0.1:1", None, session=Answers500())  # type: ignore[arg-type]
    with pytest.raises(InfrastructureError, match="answered 500"):
        strict.task_status("t")
    judged = strict.as_user(Credentials("u", "p")).returning_server_errors()
    assert judged.task_status("t").status == 500
    assert judged.as_user(None).cancel_task("t").status == 500  # kept by as_user
    assert strict.as_user(None).returns_server_errors is False
