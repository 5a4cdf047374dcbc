"""A progress line now and then during long tests.

Under the nightly and certification profiles one Hypothesis test runs for many minutes (200
statements-API examples take about 20 minutes here) and pytest prints nothing until it ends.
The heartbeat says which test is running, how many checks it has made and how they came out, at
most once per interval, from the checks themselves: no thread, nothing when nothing happens.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from fixtures.progress import say

DEFAULT_INTERVAL = 120.0  # seconds between two lines


@dataclass
class Heartbeat:
    """Counts the running test's checks and emits a progress line at most once per ``interval``
    seconds (``clock`` gives seconds; ``emit`` writes a line, ``say`` by default)."""

    interval: float = DEFAULT_INTERVAL
    clock: Callable[[], float] = time.monotonic
    emit: Callable[[str], None] = say
    test: str = ""
    _started: float = 0.0
    _last: float = 0.0
    _outcomes: Counter[str] = field(default_factory=Counter)

    def start(self, test: str) -> None:
        """A new test begins: its counts start from zero, and so does the interval."""
        self.test = test
        self._started = self._last = self.clock()
        self._outcomes = Counter()

    def checked(self, outcome: str) -> None:
        """One more check, ``agrees``, ``known-deviation`` or ``new-deviation``."""
        self._outcomes[outcome] += 1
        now = self.clock()
        if self.test and now - self._last >= self.interval:
            self._last = now
            self.emit(self.line(now))

    def line(self, now: float) -> str:
        """``<test>: 12 checks in 3 min so far (11 agrees, 1 known-deviation)``, at ``now`` (the
        clock's seconds)."""
        minutes = (now - self._started) / 60
        total = sum(self._outcomes.values())
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(self._outcomes.items()))
        return f"{self.test}: {total} checks in {minutes:.0f} min so far ({outcomes})"
