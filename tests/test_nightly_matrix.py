"""The nightly matrix is data kept in two places (tox.ini, the workflow); they must agree, and
they must include the default release the suite assembles (fixtures/druid/releases.toml)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from fixtures.releases import default_version

ROOT = Path(__file__).resolve().parents[1]


def tox_factors() -> set[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini")
    (section,) = [s for s in parser.sections() if s.startswith("testenv:conformance-")]
    factors = set(re.findall(r"[0-9]+", section))
    versions = dict(
        re.findall(r"^\s*([0-9]+): DRUID_VERSION = (\S+)", parser[section]["setenv"], re.M)
    )
    assert set(versions) == factors, "every factor needs a DRUID_VERSION line"
    assert all(v.split(".")[0] == f for f, v in versions.items())
    return factors


def workflow_factors() -> set[str]:
    text = (ROOT / ".github" / "workflows" / "nightly.yml").read_text()
    match = re.search(r"druid: \[([^\]]*)\]", text)
    assert match, "the workflow has a matrix.druid list"
    return set(re.findall(r"[0-9]+", match.group(1)))


def test_tox_and_the_workflow_list_the_same_releases() -> None:
    assert tox_factors() == workflow_factors()


def test_the_default_release_is_in_the_matrix() -> None:
    assert default_version().split(".")[0] in tox_factors()
