"""Product files, bundles and verify, on recorded runs (no Druid)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import certify, child, main
from conformance.cli.certify import run_files, run_pytest
from conformance.runner import deviations
from fixtures.errors import BadInputError
from reports import bundle, certification, product
from tests.recorded_runs import ROWS, RUN_ID, make_run

AGREEING = ROWS[:2]  # both agree with the documentation


def _bundle(
    tmp_path: Path,
    profile: str = "certification",
    partial: bool = False,
    declared: str | None = None,
    feasible: tuple[str, ...] | None = None,
    druid_version: str = "27.0.0",
    not_applicable: tuple[str, ...] = (),
) -> Path:
    run_dir = make_run(
        tmp_path,
        profile=profile,
        rows=AGREEING,
        feasible=feasible,
        druid_version=druid_version,
        not_applicable=not_applicable,
    )
    described = {"vendor": "V", "product": "P", "druid_version": druid_version}
    if declared:
        described["declared_druid_version"] = declared
    files = {
        certification.PRODUCT: product.to_yaml(described).encode(),
        certification.CONFIG: json.dumps({"partial": partial, "selection": []}).encode(),
        **run_files(run_dir),
    }
    return bundle.write(tmp_path / "bundle.tar.gz", files)


def test_yaml_subset_round_trips(tmp_path: Path) -> None:
    data = {"vendor": 'Ex "Co": #1', "product": "P", "product_version": "2026.11"}
    path = tmp_path / "p.yaml"
    path.write_text("# comment\n" + product.to_yaml(data))
    assert product.read(path) == data


def test_product_file_in_toml_and_plain_yaml(tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text('vendor = "V"\nproduct = "P"\n')
    assert product.read(toml) == {"vendor": "V", "product": "P"}
    plain = tmp_path / "p.yaml"
    plain.write_text("vendor: V Inc  # the company\nproduct: 'It''s P'\n")
    assert product.read(plain) == {"vendor": "V Inc", "product": "It's P"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("vendor: V\n", "missing product"),
        ("vendor: V\nproduct: P\ncolour: red\n", "unknown field(s) colour"),
        ("vendor: V\nproduct:\n  nested: x\n", "expected 'key: value'"),
        ("vendor: [a, b]\nproduct: P\n", "only plain scalar values"),
    ],
)
def test_bad_product_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(BadInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        product.read(path)


def test_verify_accepts_an_intact_certification_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(_bundle(tmp_path))]) == 0
    assert capsys.readouterr().out.startswith("ACCEPTED")


@pytest.mark.parametrize("release", ["31.0.0", "37.0.0", "26.0.0", "32.0.0-SNAPSHOT"])
def test_verify_accepts_a_run_on_a_release_outside_every_registry_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], release: str
) -> None:
    entries = deviations.registry()
    assert not any(entry.applies_to(release) for entry in entries)
    # test_deviations records those entries as not applicable: passed, not skipped
    outside = tuple(entry.id for entry in entries)
    path = _bundle(tmp_path, druid_version=release, not_applicable=outside)
    assert main(["verify", str(path)]) == 0, capsys.readouterr()
    assert capsys.readouterr().out.startswith("ACCEPTED")
    document = json.loads((tmp_path / RUN_ID / "summary.json").read_text())
    assert document["druid_version"] == release
    assert document["deviations"]["not_applicable"] == list(outside)  # as the run recorded


def _rewrite(path: Path, name: str, change: bytes) -> None:
    with tarfile.open(path, "r:gz") as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    files[name] += change
    with tarfile.open(path, "w:gz") as tar:
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_verify_rejects_a_changed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _bundle(tmp_path)
    _rewrite(path, "run/history.jsonl", b"\n")
    assert main(["verify", str(path)]) == 1
    assert "run/history.jsonl: SHA-256 differs from the manifest" in capsys.readouterr().out


def test_verify_rejects_other_profiles_partial_runs_and_new_deviations(tmp_path: Path) -> None:
    _, problems = certification.check(bundle.read(_bundle(tmp_path / "a", profile="ci")))
    assert any("not 'certification'" in p for p in problems)
    _, problems = certification.check(bundle.read(_bundle(tmp_path / "b", partial=True)))
    assert any("only part of the suite" in p for p in problems)
    summary = {"hypothesis_profile": "certification", "tests": {"passed": 1, "skipped": 2}}
    summary |= {"checks": {"new-deviation": 1}, "deviations": {"new_cells": ["c"]}}
    found = certification.run_problems({**summary, "exit_status": 1}, {})
    assert "2 test(s) skipped" in found and "1 new deviation(s): c" in found


def test_verify_rejects_a_run_that_left_a_feasible_cell_unchecked(tmp_path: Path) -> None:
    feasible = ("submit x SELECT_DATASOURCE x forbidden", "cancel x insert x allowed")
    _, problems = certification.check(bundle.read(_bundle(tmp_path, feasible=feasible)))
    assert "1 of 2 feasible cells never checked: cancel x insert x allowed" in problems


def test_verify_counts_coverage_from_the_history_not_the_summary(tmp_path: Path) -> None:
    """A summary without coverage (older suites) is judged against this suite's cells."""
    files = bundle.read(_bundle(tmp_path))
    stored = json.loads(files[certification.SUMMARY])
    del stored["coverage"]
    files = {**files, certification.SUMMARY: json.dumps(stored).encode()}
    problems = certification.coverage_problems(*certification.coverage_of(files, stored))
    assert len(problems) == 1 and "of 98 feasible cells never checked" in problems[0]


def test_verify_of_something_else_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "x.tar.gz"
    path.write_text("not a bundle")
    assert main(["verify", str(path)]) == 15


def test_verify_rejects_a_product_file_declaring_another_druid_version(tmp_path: Path) -> None:
    _, problems = certification.check(bundle.read(_bundle(tmp_path, declared="30.0.0")))
    assert any("declared Druid 30.0.0, but the cluster reported 27.0.0" in p for p in problems)


def test_certify_keeps_the_suite_as_the_path_unless_arguments_name_one(tmp_path: Path) -> None:
    import argparse

    from conformance.cli.certify import SUITE_DIR, pytest_command

    def command(*extra: str) -> list[str]:
        names = (
            "druid_url",
            "druid_coordinator_url",
            "druid_version",
            "druid_image",
            "druid_distribution",
        )
        args = argparse.Namespace(pytest_args=list(extra), druid_setting=[], **dict.fromkeys(names))
        return pytest_command(args, tmp_path)[3:]

    assert command()[0] == str(SUITE_DIR)
    assert command("-k", "test_cell")[:3] == [str(SUITE_DIR), "-k", "test_cell"]
    named = str(SUITE_DIR / "test_basics.py") + "::test_no_credentials_is_401"
    assert command(named)[0] == named


_CHILD = """
import signal, sys, time
from pathlib import Path
def cleanup(signum, frame):
    time.sleep(0.3)  # the teardown a real run does: users, roles, the container
    Path(sys.argv[1]).write_text("cleaned up")
    sys.exit(2)
signal.signal(signal.SIGINT, cleanup)
signal.signal(signal.SIGTERM, cleanup)
Path(sys.argv[1] + ".ready").write_text("")
time.sleep(30)
"""


def _interrupt_both_when_ready(marker: Path, child_pid: list[int], signum: int) -> None:
    """What a Ctrl-C in a terminal (SIGINT) or a cancelled CI job (SIGTERM) does: the signal to
    the child and to the waiting parent."""
    ready = Path(f"{marker}.ready")
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(child_pid[0], signum)
    signal.pthread_kill(threading.main_thread().ident or 0, signum)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_certify_lets_pytest_clean_up_after_ctrl_c(
    signum: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "child"
    started: list[int] = []
    real_popen = subprocess.Popen

    def popen(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
        process = real_popen(command, **options)
        started.append(process.pid)
        threading.Thread(
            target=_interrupt_both_when_ready, args=(marker, started, signum), daemon=True
        ).start()
        return process

    monkeypatch.setattr(subprocess, "Popen", popen)
    # Python's own Ctrl-C handler, as in a terminal: a shell that starts the tests in the
    # background (nohup ... &) leaves SIGINT ignored, and then no KeyboardInterrupt is raised
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_pytest([sys.executable, "-c", _CHILD, str(marker)], grace=10.0)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert marker.read_text() == "cleaned up"  # not killed before its teardown
    assert signal.getsignal(signal.SIGTERM) is not child.terminate_as_interrupt


def test_certify_judges_the_bundle_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """certify's verdict is verify's, on the written file (manifest included)."""
    reports = tmp_path / "reports"
    product_file = tmp_path / "product.yaml"
    product_file.write_text("vendor: V\nproduct: P\n")

    def fake_pytest(command: list[str], grace: float = 0.0) -> int:
        make_run(reports, profile="certification", rows=AGREEING)
        return 0

    monkeypatch.setattr(certify, "run_pytest", fake_pytest)
    out = tmp_path / "bundle.tar.gz"
    code = main(
        [
            "certify",
            "--product",
            str(product_file),
            "--reports-dir",
            str(reports),
            "-o",
            str(out),
            "--druid-url",
            "http://127.0.0.1:1",
        ]
    )
    printed = capsys.readouterr().out
    assert "does not certify" not in printed, printed
    assert code == 0
    assert main(["verify", str(out)]) == 0


def test_the_bundle_hashes_the_rule_tables_and_the_registry_where_they_live() -> None:
    from conformance.cli import certify
    from conformance.runner.deviations import REGISTRY_DIR

    rules = certify._digests("oracle/rules/*.toml")
    registry = certify._digests(f"{REGISTRY_DIR.relative_to(certify.SUITE_DIR)}/*.toml")
    assert "conformance/oracle/rules/common.toml" in rules
    assert "conformance/runner/deviations/druid.toml" in registry
    with pytest.raises(RuntimeError, match="no file matches"):
        certify._digests("deviations/*.toml")  # where the registry was before the re-layering
