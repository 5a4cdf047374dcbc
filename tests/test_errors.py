"""An infrastructure problem stays an ERROR even when Hypothesis or a handler wraps it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure

from conformance.errors import InfrastructureError, infrastructure_error_in


def _raised(function: object) -> BaseException:
    with pytest.raises(BaseException) as caught:
        function()  # type: ignore[operator]
    return caught.value


def test_a_one_off_problem_inside_hypothesis_is_found_in_its_flaky_failure() -> None:
    calls: list[int] = []

    @settings(max_examples=5, database=None)
    @given(st.integers())
    def once(n: int) -> None:
        calls.append(n)
        if len(calls) == 1:
            raise InfrastructureError("security API DELETE /roles/r answered 400")

    error = _raised(once)
    assert isinstance(error, FlakyFailure)
    found = infrastructure_error_in(error)
    assert found is not None and "answered 400" in str(found)


def test_a_problem_behind_another_error_is_found() -> None:
    def chained() -> None:
        try:
            raise InfrastructureError("connection refused")
        except InfrastructureError as problem:
            raise AssertionError("the check could not finish") from problem

    assert str(infrastructure_error_in(_raised(chained))) == "connection refused"


def test_a_plain_failure_is_a_verdict() -> None:
    def fails() -> None:
        raise AssertionError("new deviation")

    assert infrastructure_error_in(_raised(fails)) is None
