"""A pytest run in a child process, which Ctrl-C and SIGTERM reach as an interruption.

``certify`` and ``mutate`` run the suite as a user would, in a subprocess. On Ctrl-C (which the
terminal sends to the child too) or SIGTERM (a CI job cancelled) the parent waits for the child
to tear down, removing its users, roles and container and writing its reports, instead of
killing it as ``subprocess.run`` would; only a child that outlives the grace is killed.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping
from typing import IO

from fixtures.progress import say

INTERRUPT_GRACE = 180.0  # seconds the child may take to clean up after an interruption


def terminate_as_interrupt(signum: int, frame: object) -> None:
    """A SIGTERM handler that raises KeyboardInterrupt, as Ctrl-C does."""
    raise KeyboardInterrupt(f"signal {signum}")


def run_interruptibly(
    command: list[str],
    grace: float = INTERRUPT_GRACE,
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | None = None,
    interrupted: str = "interrupted",
) -> int:
    """Run ``command`` (its output to ``output``, or this process's), return its exit status.

    On Ctrl-C or SIGTERM, say ``interrupted`` and wait up to ``grace`` seconds for the child to
    end, then kill it; either way KeyboardInterrupt is raised again. The SIGTERM handler in
    place before is restored.
    """
    stderr = subprocess.STDOUT if output is not None else None
    process = subprocess.Popen(command, env=env, stdout=output, stderr=stderr)
    previous = signal.signal(signal.SIGTERM, terminate_as_interrupt)
    try:
        return process.wait()
    except KeyboardInterrupt:
        say(f"{interrupted}: waiting up to {grace:.0f} s for pytest to clean up")
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            say("pytest did not finish cleaning up in time: stopping it")
            process.kill()
            process.wait()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
