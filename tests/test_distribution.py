"""A Druid distribution read as ``--druid-distribution`` reads it: its version, its layout, and
one line for anything that is not a distribution (no Docker, no Druid: small made-up trees)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from fixtures import distribution
from fixtures.distribution import read_distribution
from fixtures.errors import BadInputError
from fixtures.source import check_source

LIB = ("druid-server-{v}.jar", "druid-processing-{v}.jar", "guava-16.0.1.jar")


BOTH = ("druid-basic-security", "druid-multi-stage-query")


def _tree(root: Path, version: str, extensions: tuple[str, ...] = BOTH) -> Path:
    for jar in LIB:
        (root / "lib").mkdir(parents=True, exist_ok=True)
        (root / "lib" / jar.format(v=version)).write_bytes(b"jar")
    for ext in extensions:
        (root / "extensions" / ext).mkdir(parents=True)
        (root / "extensions" / ext / f"{ext}-{version}.jar").write_bytes(b"jar")
    (root / "extensions" / "druid-kafka-indexing-service").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "bin" / "start-druid").write_text("#!/bin/bash\n")
    return root


def _tarball(tmp: Path, version: str, top: str | None = None, **tree: tuple[str, ...]) -> Path:
    top = top if top is not None else f"apache-druid-{version}"
    home = _tree(tmp / "src" / (top or "flat"), version, **tree)
    path = tmp / f"apache-druid-{version}-bin.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for entry in sorted(home.iterdir()):
            archive.add(entry, arcname=f"{top}/{entry.name}" if top else entry.name)
    return path


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    read_distribution.cache_clear()
    monkeypatch.setattr(distribution, "STATE_DIR", tmp_path / "cache")


@pytest.mark.parametrize("version", ["27.0.0", "31.0.0-SNAPSHOT", "30.0.1"])
def test_a_tarball_gives_the_version_its_jars_carry(tmp_path: Path, version: str) -> None:
    dist = read_distribution(_tarball(tmp_path, version))
    assert dist.version == version
    assert dist.release == version[:6]
    assert dist.prefix == f"apache-druid-{version}/"
    assert dist.tag == f"druid-conformance/druid:{version}-dist-{dist.digest}"
    assert len(dist.digest) == 16 and dist.home is None


def test_a_tarball_without_a_top_directory_is_read_too(tmp_path: Path) -> None:
    dist = read_distribution(_tarball(tmp_path, "28.0.0", top=""))
    assert (dist.version, dist.prefix) == ("28.0.0", "")


def test_only_lib_and_the_loaded_extensions_are_unpacked(tmp_path: Path) -> None:
    path = _tarball(
        tmp_path, "29.0.0", extensions=("druid-basic-security", "druid-multi-stage-query")
    )
    home = distribution._unpacked(read_distribution(path))
    found = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    assert found == [
        ".complete",
        "extensions/druid-basic-security/druid-basic-security-29.0.0.jar",
        "extensions/druid-multi-stage-query/druid-multi-stage-query-29.0.0.jar",
        "lib/druid-processing-29.0.0.jar",
        "lib/druid-server-29.0.0.jar",
        "lib/guava-16.0.1.jar",
    ]


def test_a_directory_and_its_parent_are_read(tmp_path: Path) -> None:
    home = _tree(tmp_path / "out" / "apache-druid-32.0.0", "32.0.0")
    for path in (home, home.parent):
        read_distribution.cache_clear()
        dist = read_distribution(path)
        assert (dist.version, dist.home) == ("32.0.0", home)


def test_a_changed_directory_gets_another_digest(tmp_path: Path) -> None:
    home = _tree(tmp_path / "d", "32.0.0")
    before = read_distribution(home).digest
    read_distribution.cache_clear()
    (home / "lib" / "guava-16.0.1.jar").write_bytes(b"rebuilt jar")
    assert read_distribution(home).digest != before


def _refusal(path: Path) -> str:
    with pytest.raises(BadInputError) as raised:
        read_distribution(path)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"--druid-distribution {path}")
    return message


def test_what_is_not_a_distribution_is_refused_in_one_line(tmp_path: Path) -> None:
    assert "no such file or directory" in _refusal(tmp_path / "nothing.tar.gz")
    assert "no lib/ directory" in _refusal(tmp_path)
    (tmp_path / "notes.txt").write_text("not a tarball")
    assert "not a readable tar archive" in _refusal(tmp_path / "notes.txt")
    no_security = _tree(tmp_path / "a", "30.0.0", extensions=("druid-multi-stage-query",))
    assert "no extensions/druid-basic-security/" in _refusal(no_security)
    no_msq = _tree(tmp_path / "e", "34.0.0", extensions=("druid-basic-security",))
    assert "no extensions/druid-multi-stage-query/, which the suite's" in _refusal(no_msq)
    read_distribution(_tree(tmp_path / "f", "35.0.0", extensions=("druid-basic-security",)))
    two = _tree(tmp_path / "b", "30.0.0")
    (two / "lib" / "druid-server-31.0.0.jar").write_bytes(b"jar")
    assert "2 druid-server jars (lib/druid-server-30.0.0.jar, lib/druid-server-31.0.0.jar)" in (
        _refusal(two)
    )
    no_server = _tree(tmp_path / "g", "30.0.0")
    (no_server / "lib" / "druid-server-30.0.0.jar").unlink()
    assert "no lib/druid-server-<version>.jar in it; expected" in _refusal(no_server)
    old = _tree(tmp_path / "c", "0.22.1")
    assert "older than any release" in _refusal(old)


def test_a_source_is_one_of_image_distribution_or_version(tmp_path: Path) -> None:
    home = _tree(tmp_path / "d", "30.0.0")
    check_source(None, None, home)
    check_source("27.0.0", None, None)
    check_source(None, "apache/druid:30.0.0", None)
    with pytest.raises(BadInputError, match="give one"):
        check_source(None, "apache/druid:30.0.0", home)
    with pytest.raises(BadInputError, match="takes no --druid-version"):
        check_source("27.0.0", None, home)
