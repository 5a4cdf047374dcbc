"""Asking Druid several independent things at once, without letting threads decide anything.

A batch's scenarios share nothing but the cluster (each has its own users and its own query), so
their requests can be in flight together: while one scenario waits for its query to end, the
others submit, ask and cancel. Only the asking overlaps; judging stays in the test's thread, in
the batch's order (``ScenarioRunner._exercise``), so a run's checks are the same whichever
thread answered first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


def overlapped(
    calls: Sequence[Callable[[], T]], parallel: int, abandoned: threading.Event
) -> list[T]:
    """Each call's result, in the order of ``calls``, running at most ``parallel`` at once.

    A single call (or ``parallel`` 1) runs in the caller's thread, as before batches existed.
    Every call runs to its end even when another raised; then the first exception in the
    order of ``calls`` is raised, so which error a batch reports does not depend on timing.
    When the caller is interrupted while waiting (Ctrl-C, SIGTERM), ``abandoned`` is set for
    the calls still running (their waits give up on it), calls not yet started are dropped,
    and the interruption is raised at once.
    """
    if len(calls) <= 1 or parallel <= 1:
        return [call() for call in calls]
    executor = ThreadPoolExecutor(
        max_workers=min(parallel, len(calls)), thread_name_prefix="scenario"
    )
    try:
        futures = [executor.submit(call) for call in calls]
        wait(futures)
    except BaseException:
        abandoned.set()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]
