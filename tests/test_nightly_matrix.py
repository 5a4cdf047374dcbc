"""The nightly matrix is data kept in two places (tox.ini, the workflow); they must agree, list
every major release of the oracle's release table (conformance/oracle/releases.toml: 24 to the
newest), each with a runtime the suite can assemble it on (fixtures/druid/releases.toml), and
include the default release."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from conformance.oracle.releases import druid_releases
from conformance.oracle.versions import profile_for_version
from fixtures.releases import default_version, release

ROOT = Path(__file__).resolve().parents[1]


def tox_versions() -> dict[str, str]:
    """The Druid release of each conformance-<N> environment, by factor."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini")
    (section,) = [s for s in parser.sections() if s.startswith("testenv:conformance-")]
    factors = set(re.findall(r"[0-9]+", section))
    versions = dict(
        re.findall(r"^\s*([0-9]+): DRUID_VERSION = (\S+)", parser[section]["setenv"], re.M)
    )
    assert set(versions) == factors, "every factor needs a DRUID_VERSION line"
    assert all(v.split(".")[0] == f for f, v in versions.items())
    return versions


def tox_factors() -> set[str]:
    return set(tox_versions())


def workflow_factors() -> set[str]:
    text = (ROOT / ".github" / "workflows" / "nightly.yml").read_text()
    match = re.search(r"druid: \[([^\]]*)\]", text)
    assert match, "the workflow has a matrix.druid list"
    return set(re.findall(r"[0-9]+", match.group(1)))


def test_tox_and_the_workflow_list_the_same_releases() -> None:
    assert tox_factors() == workflow_factors()


def test_the_default_release_is_in_the_matrix() -> None:
    assert default_version().split(".")[0] in tox_factors()


def test_the_matrix_runs_every_release_of_the_oracle() -> None:
    assert tox_factors() == {str(row.major) for row in druid_releases()}


def test_every_release_of_the_matrix_can_be_assembled_and_is_judged_by_its_own_profile() -> None:
    for factor, version in tox_versions().items():
        assert release(version).version == version  # a runtime range covers it
        assert profile_for_version(version) == f"druid-{factor}"
