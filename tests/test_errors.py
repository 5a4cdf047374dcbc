"""An infrastructure problem stays an ERROR even when Hypothesis or a handler wraps it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule, run_state_machine_as_test

from fixtures.errors import (
    InfrastructureAbort,
    InfrastructureError,
    aborts_on_infrastructure,
    infrastructure_error_in,
)


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


def test_an_aborting_example_is_not_shrunk_and_stays_an_infrastructure_error() -> None:
    calls: list[list[int]] = []

    @settings(max_examples=50, database=None)
    @given(st.lists(st.integers()))
    @aborts_on_infrastructure
    def body(xs: list[int]) -> None:
        calls.append(xs)
        if len(xs) > 2:
            raise InfrastructureError("connection refused")

    error = _raised(body)
    assert isinstance(error, InfrastructureAbort)
    assert len(calls[-1]) > 2
    assert not any(len(c) > 2 for c in calls[:-1])  # it stopped at the first: no shrinking
    assert str(infrastructure_error_in(error)) == "connection refused"


class _Machine(RuleBasedStateMachine):
    """Rules wrapped as the suite's are: Hypothesis must still see their arguments."""

    values = Bundle("values")

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    @rule(target=values, n=st.integers(0, 9))
    @aborts_on_infrastructure
    def make(self, n: int) -> int:
        return n

    @rule(n=values)
    @aborts_on_infrastructure
    def use(self, n: int) -> None:
        self.seen += 1
        if self.seen > 3:
            raise InfrastructureError("cluster died")


def test_a_wrapped_state_machine_rule_aborts_the_machine() -> None:
    error = _raised(
        lambda: run_state_machine_as_test(
            _Machine, settings=settings(max_examples=20, database=None)
        )
    )
    assert isinstance(error, InfrastructureAbort)
    assert str(infrastructure_error_in(error)) == "cluster died"


def test_every_exit_code_has_a_meaning_and_every_error_kind_a_code() -> None:
    from conformance.exit_codes import CODES, ExitCode, exit_code
    from fixtures import errors
    from reports.summary import EXIT_MEANINGS

    assert set(ExitCode) <= set(EXIT_MEANINGS)
    kinds = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.SetupError)
    }
    assert kinds - {errors.SetupError} == {kind for kind, _ in CODES}
    assert exit_code(errors.SetupError("x")) == ExitCode.INFRASTRUCTURE


def test_the_container_label_is_the_one_earlier_runs_used() -> None:
    """``cleanup`` finds the containers of runs made by earlier versions of the suite by it."""
    from fixtures.cluster import RUN_LABEL

    assert RUN_LABEL == "io.druid-conformance.run"
