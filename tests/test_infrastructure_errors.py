"""The error a run reports is the request that failed first, not a clean-up after it (issue 11,
item 5)."""

from __future__ import annotations

from fixtures.errors import InfrastructureError, infrastructure_error_in


def _chain() -> BaseException:
    try:
        try:
            raise InfrastructureError("POST /druid/v2/sql/task: connection refused", exchange_seq=7)
        finally:
            raise InfrastructureError("DELETE .../users/u1: connection refused", exchange_seq=8)
    except InfrastructureError as error:
        return error


def test_the_first_failure_is_named_not_the_cleanup() -> None:
    found = infrastructure_error_in(_chain())
    assert found is not None
    assert found.exchange_seq == 7
    assert "sql/task" in str(found)


def test_a_group_and_a_cause_are_searched() -> None:
    inner = InfrastructureError("GET /status: timed out", exchange_seq=3)
    group = ExceptionGroup("flaky", [ValueError("x"), inner])
    found = infrastructure_error_in(group)
    assert found is inner
    assert infrastructure_error_in(ValueError("a verdict")) is None


def test_a_request_without_an_answer_is_recorded_and_named() -> None:
    from fixtures.client import NO_RESPONSE, DruidClient, Exchange

    recorded: list[Exchange] = []

    def recorder(exchange: Exchange) -> int:
        recorded.append(exchange)
        return len(recorded)

    client = DruidClient("http://127.0.0.1:9", None, recorder=recorder, timeout=5)
    try:
        client.request("GET", "/status")
    except InfrastructureError as error:
        assert error.exchange_seq == 1
        assert "(history #1)" in str(error)
        assert error.__cause__ is None and error.__suppress_context__  # no urllib3 frames
    else:
        raise AssertionError("a closed port answered")
    assert [(e.method, e.path, e.status) for e in recorded] == [("GET", "/status", NO_RESPONSE)]
