"""``overlapped``: concurrent asking whose results, errors and interruptions do not depend on
which thread finished first."""

from __future__ import annotations

import threading
import time

import pytest

from conformance.runner.overlap import overlapped


def test_results_come_in_the_order_of_the_calls_whatever_finishes_first() -> None:
    def after(seconds: float, value: int) -> int:
        time.sleep(seconds)  # a finishing order opposite to the calls' order
        return value

    calls = [lambda: after(0.2, 1), lambda: after(0.1, 2), lambda: after(0.0, 3)]
    assert overlapped(calls, 3, threading.Event()) == [1, 2, 3]


def test_the_calls_really_run_at_once() -> None:
    met = threading.Barrier(3, timeout=5)  # broken (an error) unless three threads meet

    def meet() -> int:
        return met.wait()

    assert sorted(overlapped([meet, meet, meet], 3, threading.Event())) == [0, 1, 2]


def test_at_most_parallel_calls_run_at_once() -> None:
    running, most, lock = [0], [0], threading.Lock()

    def call() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    overlapped([call] * 7, 2, threading.Event())
    assert most[0] == 2


def test_every_call_ends_and_the_first_error_in_order_is_raised() -> None:
    ended: list[str] = []

    def fails(name: str, delay: float) -> None:
        time.sleep(delay)
        ended.append(name)
        raise RuntimeError(name)

    def succeeds() -> None:
        time.sleep(0.1)
        ended.append("ok")

    calls = [succeeds, lambda: fails("second", 0.15), lambda: fails("third", 0.0)]
    with pytest.raises(RuntimeError, match="second"):
        overlapped(calls, 3, threading.Event())
    assert sorted(ended) == ["ok", "second", "third"]


def test_one_call_runs_in_the_callers_thread() -> None:
    assert overlapped([threading.get_ident], 3, threading.Event()) == [threading.get_ident()]


def test_an_interrupted_wait_abandons_the_calls_and_raises_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    abandoned = threading.Event()
    release = threading.Event()

    def waits() -> None:
        release.wait(5)

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("conformance.runner.overlap.wait", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        overlapped([waits, waits], 2, abandoned)
    assert abandoned.is_set() and time.monotonic() - started < 2
    release.set()
