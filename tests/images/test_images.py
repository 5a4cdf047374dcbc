"""Other ways to get the Druid under test, each checked by starting it and running suite tests.

- The replica of the official ``apache/druid`` image (``fixtures/replica.py``: busybox ``sh``
  only, user ``druid``, ``/opt/druid``, ``/druid.sh``) given with ``--druid-image`` passes the
  ``ci`` profile's authentication and basic tests.
- A distribution tarball made from the 27.0.0 image's ``/opt/druid`` (what ``mvn -Pdist``
  writes), given with ``--druid-distribution``, becomes the Druid under test, labelled with the
  version its jars carry, and the registry re-checks run on it.

Marked ``images``: ``./dev test`` runs them as a stage of their own (``pytest tests -m images``);
``pytest tests`` alone leaves them out. One Druid at a time: each run removes its cluster.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import docker
import pytest

from fixtures.distribution import images_built_from
from fixtures.releases import default_version
from fixtures.replica import ABSENT_PROGRAMS, replica_tag
from reports import certification

pytestmark = pytest.mark.images

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUN_TIMEOUT = 1800.0  # an image build, a cluster start and the seeds on a loaded 2-core machine
VERSION = default_version()


def _druid_conformance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "druid-conformance"), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )  # fmt: skip


def _suite(reports: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``pytest conformance ARGS`` in a subprocess; its result and the run's summary.json."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "--reports-dir", str(reports), "-p",
         "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )  # fmt: skip
    (run_dir,) = [p for p in reports.iterdir() if (p / "summary.json").exists()]
    return done, json.loads((run_dir / "summary.json").read_text())


def _in_image(image: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/bin/sh", image, "-c", script],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_official_image_replica_passes_authentication_and_basics(tmp_path: Path) -> None:
    built = _druid_conformance("image", "build", "--official-replica")
    assert built.returncode == 0, built.stderr[-2000:]
    tag = replica_tag(VERSION)
    probe = "id -u; id -un; readlink /bin/sh; echo $DRUID_HOME; " + "".join(
        f"command -v {p} >/dev/null && echo has-{p}; " for p in ABSENT_PROGRAMS
    )
    shown = _in_image(tag, probe).stdout.split()
    assert shown == ["1000", "druid", "/busybox/busybox", "/opt/druid"], shown
    entrypoint = docker.from_env().images.get(tag).attrs["Config"]["Entrypoint"]
    assert entrypoint == ["/druid.sh"]

    done, summary = _suite(
        tmp_path,
        "conformance/test_authentication.py",
        "conformance/test_basics.py",
        "--druid-image",
        tag,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert summary["image"] == tag and summary["druid_version"] == VERSION
    assert summary["tests"]["passed"] > 0
    assert summary["tests"]["skipped"] == summary["tests"]["failed"] == 0


def _distribution_from_image(image: str, dest: Path) -> Path:
    """``apache-druid-<version>-bin.tar.gz`` holding the image's ``/opt/druid`` as
    ``apache-druid-<version>/``, as ``mvn -Pdist`` lays it out."""
    client = docker.from_env()
    container = client.containers.create(image, entrypoint=["/bin/true"])
    try:
        stream, _ = container.get_archive("/opt/druid")
        archived = b"".join(stream)
    finally:
        container.remove(force=True)
    top = f"apache-druid-{VERSION}"
    tarball = dest / f"{top}-bin.tar.gz"
    with (
        tarfile.open(fileobj=io.BytesIO(archived)) as source,
        gzip.open(tarball, "wb", compresslevel=1) as raw,
        tarfile.open(fileobj=raw, mode="w") as out,
    ):
        for member in source:
            member.name = top + member.name.removeprefix("druid")
            out.addfile(member, source.extractfile(member) if member.isfile() else None)
    return tarball


def _remove_images_of(tarball: Path) -> None:
    client = docker.from_env()
    for image in images_built_from(client, tarball):
        client.images.remove(image.id, force=True)


def test_a_distribution_is_the_druid_under_test(tmp_path: Path) -> None:
    built = _druid_conformance("image", "build", "--druid-version", VERSION)
    assert built.returncode == 0, built.stderr[-2000:]
    tarball = _distribution_from_image(f"druid-conformance/druid:{VERSION}", tmp_path)

    try:
        done, summary = _suite(
            tmp_path / "reports",
            "conformance/test_deviations.py",
            "conformance/test_basics.py",
            "--druid-distribution",
            str(tarball),
        )
    finally:  # a tarball of its own each time: its image (0.6 GB) is of no later use
        _remove_images_of(tarball)
    assert done.returncode == 0, done.stdout[-3000:]
    assert summary["druid_version"] == VERSION  # what the started Druid reports
    assert f":{VERSION}-dist-" in summary["image"]
    assert summary["druid_source"].startswith(f"distribution {tarball.resolve()}")
    assert summary["tests"]["skipped"] == summary["tests"]["failed"] == 0
    # certification would refuse this run only for its Hypothesis profile (ci, not certification)
    problems = certification.run_problems(summary, {})
    assert problems == [f"Hypothesis profile 'ci', not {certification.PROFILE!r}"], problems
