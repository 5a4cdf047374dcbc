"""``fixtures/druid/peon-java.sh``: the peons' java command and its class-data-sharing archive.

The script runs in the cluster's container; here it runs against a fake ``java`` that records its
arguments and, when asked to archive at exit, writes the archive the way the JVM would.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from fixtures.cluster import CDS_MOUNT, class_data_archive
from fixtures.image import DRUID_DIR
from fixtures.waiting import Condition, wait_until

SCRIPT = DRUID_DIR / "peon-java.sh"
MIDDLE_MANAGER = DRUID_DIR / "conf" / "middleManager" / "runtime.properties"

FAKE_JAVA = """#!/bin/sh
echo "$@" >> "$CALLS"
readlink /proc/$$/fd/0 > "$CALLS.stdin"
for arg in "$@"; do
  case "$arg" in
    -XX:ArchiveClassesAtExit=*) [ "${FAKE_DUMP:-yes}" = yes ] && echo archive > "${arg#*=}" ;;
  esac
done
[ -n "${FAKE_SLEEP:-}" ] && exec sleep "$FAKE_SLEEP"
exit "${FAKE_RC:-0}"
"""


@pytest.fixture
def world(tmp_path: Path) -> dict[str, str]:
    java_home = tmp_path / "jdk"
    (java_home / "bin").mkdir(parents=True)
    java = java_home / "bin" / "java"
    java.write_text(FAKE_JAVA)
    java.chmod(0o755)
    return {
        "PATH": os.environ["PATH"],
        "JAVA_HOME": str(java_home),
        "CALLS": str(tmp_path / "calls"),
        "DRUID_CDS_ARCHIVE": str(tmp_path / "peon-cds.jsa"),
    }


def _peon(env: dict[str, str], **extra: str) -> int:
    result = subprocess.run(
        [str(SCRIPT), "-cp", "/opt/druid/lib/*", "org.apache.druid.cli.Main", "internal", "peon"],
        env={**env, **extra},
        timeout=30,
        check=False,
    )
    return result.returncode


def _calls(env: dict[str, str]) -> list[str]:
    return Path(env["CALLS"]).read_text().splitlines()


def test_the_first_peon_makes_the_archive_and_later_ones_map_it(world: dict[str, str]) -> None:
    archive = Path(world["DRUID_CDS_ARCHIVE"])
    assert _peon(world) == 0
    assert archive.read_text() == "archive\n"
    assert _peon(world) == 0
    first, second = _calls(world)
    assert f"-XX:ArchiveClassesAtExit={archive}." in first and ".partial " in first
    assert f"-XX:SharedArchiveFile={archive}" in second
    # the peon's own command line follows, unchanged
    assert second.endswith("-cp /opt/druid/lib/* org.apache.druid.cli.Main internal peon")
    assert not list(archive.parent.glob("*.partial"))


@pytest.mark.parametrize(("rc", "dump"), [("3", "yes"), ("0", "no")])
def test_a_peon_that_ends_badly_leaves_no_archive_and_the_next_one_tries_again(
    world: dict[str, str], rc: str, dump: str
) -> None:
    archive = Path(world["DRUID_CDS_ARCHIVE"])
    assert _peon(world, FAKE_RC=rc, FAKE_DUMP=dump) == int(rc)
    assert not archive.exists()
    assert not list(archive.parent.glob("*.partial"))
    assert _peon(world) == 0
    assert archive.exists()
    assert all("-XX:ArchiveClassesAtExit=" in call for call in _calls(world))


@pytest.mark.parametrize("archive", ["absent", "present"])
def test_java_reads_the_middle_managers_pipe_as_the_peon_would(
    world: dict[str, str], archive: str
) -> None:
    """A peon exits with 2 when its standard input ends (the MiddleManager has gone)."""
    if archive == "present":
        Path(world["DRUID_CDS_ARCHIVE"]).write_text("archive\n")
    process = subprocess.Popen([str(SCRIPT), "-cp", "x", "Main"], env=world, stdin=subprocess.PIPE)
    assert process.stdin is not None
    # the pipe's name as the child's /proc/<pid>/fd/0 shows it, from the parent's end: the fake
    # java records its standard input and exits, so reading the child's /proc raced its exit
    pipe = f"pipe:[{os.fstat(process.stdin.fileno()).st_ino}]"
    process.stdin.close()
    assert process.wait(timeout=10) == 0
    assert Path(world["CALLS"] + ".stdin").read_text().strip() == pipe


def test_while_one_peon_makes_the_archive_the_others_run_plain_java(world: dict[str, str]) -> None:
    Path(world["DRUID_CDS_ARCHIVE"] + ".lock").mkdir()
    assert _peon(world, FAKE_RC="7") == 7
    (call,) = _calls(world)
    assert "-XX:" not in call.split(" -cp ")[0]


def test_the_lock_is_the_containers_own_and_the_archive_may_be_elsewhere(
    world: dict[str, str], tmp_path: Path
) -> None:
    shared = tmp_path / "cache"
    shared.mkdir()
    lock = tmp_path / "var" / "peon-cds.lock"
    lock.parent.mkdir()
    env = {**world, "DRUID_CDS_ARCHIVE": str(shared / "peon-x.jsa"), "DRUID_CDS_LOCK": str(lock)}
    assert _peon(env) == 0
    assert [p.name for p in shared.iterdir()] == ["peon-x.jsa"]
    assert lock.is_dir()  # held for good: the archive is made


def test_stopping_the_training_peon_stops_its_java(world: dict[str, str]) -> None:
    process = subprocess.Popen(
        [str(SCRIPT), "-cp", "x", "Main"], env={**world, "FAKE_SLEEP": "60"}, start_new_session=True
    )
    calls = Path(world["CALLS"])
    wait_until(Condition("the fake java to start", lambda: None if calls.exists() else "no"), 10)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) != 0
    orphans = subprocess.run(["pgrep", "-s", str(process.pid)], capture_output=True, check=False)
    assert orphans.stdout == b""
    assert not Path(world["DRUID_CDS_ARCHIVE"]).exists()


def test_the_middle_manager_starts_peons_through_the_script_on_a_classpath_of_jars() -> None:
    properties = dict(
        line.split("=", 1)
        for line in MIDDLE_MANAGER.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert properties["druid.indexer.runner.javaCommand"] == "@HERE@/peon-java.sh"
    assert properties["druid.indexer.runner.classpath"] == "@DRUID_HOME@/lib/*"
    assert os.access(SCRIPT, os.X_OK)


def test_an_archive_is_named_for_its_image_and_the_peons_settings() -> None:
    image = "sha256:" + "ab" * 32
    name = class_data_archive(image, b"druid.indexer.runner.javaOptsArray=[]")
    assert name.startswith(f"{CDS_MOUNT}/peon-abababababababab-") and name.endswith(".jsa")
    assert class_data_archive(image, b"another setting") != name
    assert (
        class_data_archive("sha256:" + "cd" * 32, b"druid.indexer.runner.javaOptsArray=[]") != name
    )
    with pytest.raises(ValueError, match="not an image id"):
        class_data_archive("sha256:../../etc", b"")
