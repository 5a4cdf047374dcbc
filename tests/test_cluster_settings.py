"""``--druid-setting``: one parsed value for the cluster's properties, the cells and the oracle."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conformance.oracle.profiles import (
    ProfileError,
    canonical_settings,
    get_profile,
    parse_settings,
    runtime_properties,
)
from strategies.steering import feasible_cells

DRUID_27 = get_profile("druid-27")


def test_short_names_and_property_names_mean_the_same_setting() -> None:
    short = canonical_settings(DRUID_27, parse_settings(["authorizeQueryContextParams=true"]))
    long = canonical_settings(
        DRUID_27, parse_settings(["druid.auth.authorizeQueryContextParams=true"])
    )
    assert short == long == {"authorizeQueryContextParams": True}


def test_lists_are_recorded_sorted_and_given_to_druid_as_json() -> None:
    settings = canonical_settings(DRUID_27, parse_settings(['unsecuredContextKeys=["b","a"]']))
    assert settings == {"unsecuredContextKeys": ["a", "b"]}
    assert runtime_properties(settings) == {"druid.auth.unsecuredContextKeys": '["a", "b"]'}


def test_booleans_are_given_to_druid_as_java_booleans() -> None:
    properties = runtime_properties({"authorizeQueryContextParams": False})
    assert properties == {"druid.auth.authorizeQueryContextParams": "false"}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("authorizeQueryContextParams", "expected KEY=VALUE"),
        ("=true", "expected KEY=VALUE"),
        ("authorizeQueryContextParams=yes", "is not JSON"),
    ],
)
def test_malformed_items_are_refused(item: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_settings([item])


def test_unknown_and_mistyped_settings_are_refused() -> None:
    with pytest.raises(ProfileError, match="unknown setting"):
        canonical_settings(DRUID_27, {"authorizeEverything": True})
    with pytest.raises(ProfileError, match="must be bool"):
        canonical_settings(DRUID_27, {"authorizeQueryContextParams": "true"})


def test_a_setting_that_secures_context_keys_adds_the_forbidden_literal_select() -> None:
    default = {str(cell) for cell in feasible_cells()}
    secured = {str(cell) for cell in feasible_cells(settings={"authorizeQueryContextParams": True})}
    assert secured - default == {"submit x SELECT_LITERAL x forbidden"}


def _collect(setting: str) -> subprocess.CompletedProcess[str]:
    """``pytest conformance --collect-only`` with one ``--druid-setting``."""
    command = [sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q"]
    command += ["-p", "no:cacheprovider", "--druid-setting", setting]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_pytest_refuses_an_unknown_setting_in_one_line_with_the_bad_input_code() -> None:
    done = _collect("authorizeEverything=true")
    assert done.returncode == 15
    assert "--druid-setting: unknown setting 'authorizeEverything'" in done.stdout + done.stderr


def test_pytest_collects_one_cell_test_per_question_batching_every_cell_of_the_settings() -> None:
    from conformance.test_properties import cell_groups

    settings = {"authorizeQueryContextParams": True}
    groups = cell_groups(feasible_cells(settings=settings))
    assert sorted(cell for group in groups for cell in group) == sorted(
        feasible_cells(settings=settings)
    )
    assert all(len({(c.operation, c.kind) for c in group}) == 1 for group in groups)
    [literal] = [g for g in groups if str(g[0]).startswith("submit x SELECT_LITERAL")]
    assert "submit x SELECT_LITERAL x forbidden" in {str(cell) for cell in literal}
    done = _collect("authorizeQueryContextParams=true")
    collected = [line for line in done.stdout.splitlines() if "::test_cell[" in line]
    assert len(collected) == len(groups)
    assert "conformance/test_properties.py::test_cell[submit x SELECT_LITERAL]" in collected


def test_certify_passes_the_declared_settings_to_the_run() -> None:
    import argparse
    from pathlib import Path

    from conformance.cli.certify import pytest_command

    args = argparse.Namespace(
        pytest_args=[],
        druid_url="http://127.0.0.1:8888",
        druid_coordinator_url=None,
        druid_version=None,
        druid_image=None,
        druid_distribution=None,
        druid_setting=["authorizeQueryContextParams=true"],
    )
    command = pytest_command(args, Path("reports"))
    at = command.index("--druid-setting")
    assert command[at + 1] == "authorizeQueryContextParams=true"
