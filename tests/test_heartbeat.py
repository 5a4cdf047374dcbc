"""The heartbeat of long tests, on a fake clock."""

from __future__ import annotations

from conformance.runner.heartbeat import Heartbeat


def _beat(interval: float = 120.0) -> tuple[Heartbeat, list[str], list[float]]:
    lines: list[str] = []
    now = [0.0]
    return Heartbeat(interval, clock=lambda: now[0], emit=lines.append), lines, now


def test_one_line_per_interval_with_the_tests_counts() -> None:
    beat, lines, now = _beat()
    beat.start("conformance/test_properties.py::test_statements_api[results]")
    for second in range(0, 300, 10):
        now[0] = float(second)
        beat.checked("known-deviation" if second == 150 else "agrees")
    assert lines == [
        "conformance/test_properties.py::test_statements_api[results]: "
        "13 checks in 2 min so far (13 agrees)",
        "conformance/test_properties.py::test_statements_api[results]: "
        "25 checks in 4 min so far (24 agrees, 1 known-deviation)",
    ]


def test_a_new_test_starts_from_zero_and_a_short_one_says_nothing() -> None:
    beat, lines, now = _beat()
    beat.start("a")
    now[0] = 100.0
    beat.checked("agrees")
    beat.start("b")
    now[0] = 219.0
    beat.checked("new-deviation")
    assert lines == []
    now[0] = 220.0
    beat.checked("agrees")
    assert lines == ["b: 2 checks in 2 min so far (1 agrees, 1 new-deviation)"]


def test_nothing_before_a_test_has_started() -> None:
    beat, lines, _ = _beat(interval=0.0)
    beat.checked("agrees")
    assert lines == []
