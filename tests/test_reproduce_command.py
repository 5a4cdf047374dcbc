"""``conformance.test_support.reproduce_command``: the last line of every failure's text."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from conformance.runner.run import Run
from conformance.test_support import reproduce_command


def _request(nodeid: str) -> pytest.FixtureRequest:
    return cast(pytest.FixtureRequest, SimpleNamespace(node=SimpleNamespace(nodeid=nodeid)))


def _run(facts: dict[str, Any]) -> Run:
    return cast(Run, SimpleNamespace(facts=facts, dir=Path(".")))


def test_it_names_the_test_and_the_profile() -> None:
    command = reproduce_command(
        _request("conformance/test_properties.py::test_cell[submit x SELECT_JOIN]"),
        _run({"hypothesis_profile": "ci"}),
    )
    assert command == (
        "pytest 'conformance/test_properties.py::test_cell[submit x SELECT_JOIN]'"
        " --hypothesis-profile ci  (add --druid-url to reuse a running cluster)"
    )


def test_a_random_profile_gives_its_seed_and_no_profile_means_ci() -> None:
    seeded = reproduce_command(
        _request("t"), _run({"hypothesis_profile": "nightly", "hypothesis_seed": 42})
    )
    assert "--hypothesis-profile nightly --hypothesis-seed 42" in seeded
    assert "--hypothesis-profile ci " in reproduce_command(_request("t"), _run({}))
