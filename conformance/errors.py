"""Errors that end a run with one clear line and a distinct exit code.

pytest owns exit codes 0-5, so the suite's own start at 10. Every code is listed in the README.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import IntEnum
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class ExitCode(IntEnum):
    OK = 0
    NEW_DEVIATIONS = 1
    USAGE = 2
    NO_DOCKER = 10
    IMAGE_BUILD = 11
    CLUSTER_START = 12
    UNREACHABLE = 13
    BAD_CREDENTIALS = 14
    BAD_INPUT = 15
    INFRASTRUCTURE = 16


class SetupError(Exception):
    """A problem with the environment, not a conformance verdict."""

    code: ExitCode = ExitCode.INFRASTRUCTURE

    def __init__(self, message: str, code: ExitCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class NoDockerError(SetupError):
    code = ExitCode.NO_DOCKER


class ImageBuildError(SetupError):
    code = ExitCode.IMAGE_BUILD


class ClusterStartError(SetupError):
    code = ExitCode.CLUSTER_START


class UnreachableError(SetupError):
    code = ExitCode.UNREACHABLE


class BadCredentialsError(SetupError):
    code = ExitCode.BAD_CREDENTIALS


class BadInputError(SetupError):
    code = ExitCode.BAD_INPUT


class InfrastructureError(SetupError):
    """Timeout, refused connection, 5xx or a dead cluster: an ERROR, never a verdict.

    ``exchange_seq`` names the recorded exchange that failed, when a request did.
    """

    code = ExitCode.INFRASTRUCTURE

    def __init__(
        self, message: str, code: ExitCode | None = None, exchange_seq: int | None = None
    ) -> None:
        super().__init__(message, code)
        self.exchange_seq = exchange_seq


def infrastructure_error_in(error: BaseException) -> InfrastructureError | None:
    """The first infrastructure problem behind a test's failure, if any.

    Hypothesis wraps an error that happened once and not when it tried again in a FlakyFailure
    group, and an error raised while handling another chains it: either way the run met an
    infrastructure problem, and that makes the test an ERROR, not a verdict. When several are
    chained (a clean-up request failing after the request that first failed), the earliest one
    is returned: it is the one that says what happened.
    """
    seen: set[int] = set()
    pending: list[tuple[BaseException, int]] = [(error, 0)]
    found: list[tuple[int, InfrastructureError]] = []  # (depth in the chain, error)
    while pending:
        current, depth = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, InfrastructureError):
            found.append((depth, current))
        if isinstance(current, BaseExceptionGroup):
            pending.extend((e, depth) for e in current.exceptions)
        chained = (current.__cause__, current.__context__)
        pending.extend((e, depth + 1) for e in chained if e is not None)
    if not found:
        return None
    # what an error chains (its cause or context) happened before it; among errors as deep,
    # the failed exchange recorded first
    deepest = max(depth for depth, _ in found)
    earliest = [e for depth, e in found if depth == deepest]
    return min(earliest, key=lambda e: e.exchange_seq if e.exchange_seq is not None else 1 << 62)


class InfrastructureAbort(BaseException):
    """An InfrastructureError carried out of a Hypothesis example. Hypothesis shrinks a failing
    Exception for minutes; a BaseException stops the test at once, and a dead cluster or a
    refused connection has no minimal example to find. The InfrastructureError is its cause, so
    the test is still reported as an ERROR (``infrastructure_error_in``)."""


def aborts_on_infrastructure(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a Hypothesis test body or state-machine rule with it."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except InfrastructureError as error:
            raise InfrastructureAbort(str(error)) from error

    return wrapper
