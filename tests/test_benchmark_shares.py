"""The benchmark's share of time per phase adds up to the whole."""

from __future__ import annotations

import re

from conformance.cli.benchmark import _shares


def test_the_shares_are_the_phases_over_the_whole_and_add_up() -> None:
    line = _shares({"provisioning": 1.0, "propagation_barrier": 3.0}, 8.0)
    assert line == "shares: provisioning 12%, barrier 38%, requests and judging 50%"
    assert sum(int(p) for p in re.findall(r"(\d+)%", line)) == 100
