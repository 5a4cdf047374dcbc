"""The exit codes of ``pytest conformance`` and ``druid-conformance``, chosen in one place.

pytest owns 0-5, so the suite's own start at 10. The lower layers raise typed errors
(``fixtures/errors.py``) and know no exit code; the commands and the pytest suite ask
:func:`exit_code` which code an error ends the run with. Every code is listed in the README,
and what each means in ``reports.summary.EXIT_MEANINGS``.
"""

from __future__ import annotations

from enum import IntEnum

from fixtures.errors import (
    BadCredentialsError,
    BadInputError,
    ClusterStartError,
    ImageBuildError,
    InfrastructureError,
    NoDockerError,
    SetupError,
    UnreachableError,
)


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


# the most specific kind first; an error of no listed kind is an infrastructure problem
CODES: tuple[tuple[type[SetupError], ExitCode], ...] = (
    (NoDockerError, ExitCode.NO_DOCKER),
    (ImageBuildError, ExitCode.IMAGE_BUILD),
    (ClusterStartError, ExitCode.CLUSTER_START),
    (UnreachableError, ExitCode.UNREACHABLE),
    (BadCredentialsError, ExitCode.BAD_CREDENTIALS),
    (BadInputError, ExitCode.BAD_INPUT),
    (InfrastructureError, ExitCode.INFRASTRUCTURE),
)


def exit_code(error: SetupError) -> ExitCode:
    """The code ``error`` ends a run with."""
    for kind, code in CODES:
        if isinstance(error, kind):
            return code
    return ExitCode.INFRASTRUCTURE
