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
    """Timeout, refused connection, 5xx or a dead cluster: an ERROR, never a verdict."""

    code = ExitCode.INFRASTRUCTURE


def infrastructure_error_in(error: BaseException) -> InfrastructureError | None:
    """The infrastructure problem behind a test's failure, if any. Hypothesis wraps an error that
    happened once and not when it tried again in a FlakyFailure group, and an error raised while
    handling another chains it: either way the run met an infrastructure problem, and that makes
    the test an ERROR, not a verdict."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, InfrastructureError):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


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
