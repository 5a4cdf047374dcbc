"""Mutation testing without Druid: the mutants' list, the kill matrix read from recorded runs,
``druid-conformance mutate``'s bad input, and the extension compiled and self-checked.

- the list (``mutants/.../mutants.tsv``, the one place the names live): at least 12 mutants,
  an authenticator among them, each a Java class of the extension with a comment naming the
  real-world bug;
- the kill matrix (``reports/mutation.py``) from run directories written by the suite's own
  History and summary code (``tests/recorded_runs.py``) next to recorded ``junit.xml`` files:
  killed (the first failing test, the smallest new finding with its statement, grants and
  statuses), survived, error; its text and JSON;
- ``druid-conformance mutate``: bad input ends with one line and exit 15 before Docker is asked;
- ``test_the_extension_compiles_and_passes_its_self_check``: Maven builds ``mutants/`` against
  Druid 27.0.0's jars (skipped, saying why, without ``mvn`` or ``java``, or when Maven cannot
  resolve them), the jar holds every listed class, the service file and the list itself, and
  the extension's ``SelfCheck`` passes: the control answers as druid-basic-security's own
  authorizer, every authorizer mutant otherwise, the authenticator mutant as its bug says.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.cli.mutate import check_pytest_args, pytest_command, required_settings
from fixtures import mutants
from fixtures.errors import BadInputError
from fixtures.maven import SETTINGS, parse_log
from reports import mutation
from tests.recorded_runs import RUN_ID, make_run

JAVA = mutants.MUTANTS_DIR / "src/main/java/io/druidconformance/mutants"

# ----------------------------------------------------------------------------- the list


def test_the_list_has_at_least_12_mutants_and_an_authenticator() -> None:
    listed = mutants.mutants()
    kinds = [m.kind for m in listed]
    assert len(listed) >= 12, [m.name for m in listed]
    assert "authenticator" in kinds and kinds.count("authorizer") >= 11
    assert [m.name for m in mutants.catalog() if not m.is_mutant] == ["control"]
    assert all(re.fullmatch(r"[a-z][a-z-]+", m.name) for m in listed)


def test_every_listed_class_exists_and_says_the_bug_it_models() -> None:
    for entry in mutants.catalog():
        source = JAVA / f"{entry.class_name}.java"
        assert source.is_file(), entry
        if entry.is_mutant:
            assert "Real-world bug" in source.read_text(), source


def test_the_readme_lists_every_mutant_with_its_bug() -> None:
    readme = (mutants.MUTANTS_DIR.parent / "README.md").read_text()
    section = readme.split("## Mutation testing", 1)[1].split("\n## ", 1)[0]
    for entry in mutants.mutants():
        assert f"| `{entry.name}` | {entry.bug}" in section, entry.name


def test_a_mutant_that_needs_a_setting_names_one_the_suite_knows() -> None:
    from conformance.cluster_settings import from_items

    needing = [m for m in mutants.mutants() if m.requires]
    assert [m.name for m in needing] == ["context-key-unchecked"]
    assert from_items([needing[0].requires or ""]) == {"authorizeQueryContextParams": True}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name\tkind\tclass\trequires\tbug\nx\tauthorizer\tX\t-\n", "not 5 tab-separated"),
        ("name\tkind\tclass\trequires\tbug\nx\twizard\tX\t-\tb\n", "kind 'wizard'"),
        ("h\th\th\th\th\nx\tauthorizer\tX\t-\tb\nx\tauthorizer\tY\t-\tb\n", "name 'x' is taken"),
        ("h\th\th\th\th\nnone\tauthorizer\tX\t-\tb\n", "name 'none' is taken"),
    ],
)
def test_a_bad_list_is_bad_input_naming_its_line(text: str, words: str) -> None:
    with pytest.raises(BadInputError, match=words):
        mutants.parse_catalog(text, "mutants.tsv")


def test_selection_keeps_the_order_given_and_refuses_an_unknown_name() -> None:
    assert [m.name for m in mutants.select(["first-role-only", "partial-regex"])] == [
        "first-role-only",
        "partial-regex",
    ]
    assert mutants.select(None) == mutants.mutants()
    with pytest.raises(BadInputError, match="'nope' is unknown; known: partial-regex"):
        mutants.select(["nope"])


def test_the_source_digest_ignores_target_and_follows_the_sources(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "A.java").write_text("class A {}")
    first = mutants.source_digest(tmp_path)
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "A.class").write_bytes(b"\xca\xfe")
    assert mutants.source_digest(tmp_path) == first
    (tmp_path / "src" / "A.java").write_text("class A { int x; }")
    assert mutants.source_digest(tmp_path) != first


def test_the_cluster_names_the_mutant_types_for_authorizer_and_validator() -> None:
    assert mutants.CLUSTER_PROPERTIES == {
        "druid.auth.authorizer.basic.type": "conformance-mutant",
        "druid.auth.authenticator.basic.credentialsValidator.type": "conformance-mutant",
    }
    module = (JAVA / "MutantsModule.java").read_text()
    assert f'TYPE = "{mutants.TYPE}"' in module
    assert f'"{mutants.MUTANT_FILE}"' in (JAVA / "ActiveMutant.java").read_text()


# ----------------------------------------------------------------------------- the command


def test_settings_a_mutant_needs_are_added_and_a_contradiction_refused() -> None:
    chosen = mutants.select(["context-key-unchecked", "partial-regex"])
    assert required_settings([], chosen) == ["authorizeQueryContextParams=true"]
    given = ["authorizeQueryContextParams=true"]
    assert required_settings(given, chosen) == given
    assert required_settings([], mutants.select(["partial-regex"])) == []
    with pytest.raises(BadInputError, match="needs --druid-setting authorizeQueryContextParams"):
        required_settings(["authorizeQueryContextParams=false"], chosen)


def test_pytest_runs_stop_at_the_first_failure_against_the_started_cluster(tmp_path: Path) -> None:
    command = pytest_command(["-k", "test_cell"], ["a=b"], "http://127.0.0.1:1", tmp_path)
    assert command[3].endswith("conformance") and "-x" in command
    assert command[command.index("--druid-url") + 1] == "http://127.0.0.1:1"
    assert command[command.index("--reports-dir") + 1] == str(tmp_path)
    assert command[command.index("--druid-setting") + 1] == "a=b"
    assert command[-2:] == ["-k", "test_cell"]
    check_pytest_args(["-k", "x", "--hypothesis-profile", "nightly"])
    for own in ("--druid-url", "--reports-dir=r", "--druid-setting", "--junitxml=j.xml"):
        with pytest.raises(BadInputError, match="mutate gives every pytest run its own"):
            check_pytest_args([own])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--mutant", "nope"], "--mutant 'nope' is unknown"),
        (["--mutant", "partial-regex", "--mutant", "bad name"], "'bad name' is unknown"),
        (["--druid-setting", "authorizeQueryContextParams=false"], "context-key-unchecked needs"),
        (["--druid-setting", "noSuchSetting=1"], "--druid-setting"),
        (["--", "--druid-url", "http://x:1"], "--druid-url after --"),
        (["--druid-version", "1.0.0"], "--druid-version"),
        (["--druid-startup-timeout", "0"], "--druid-startup-timeout"),
    ],
)
def test_bad_input_is_one_line_and_exit_15_before_docker(
    argv: list[str],
    words: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_docker() -> None:
        raise AssertionError("Docker was asked before the input was checked")

    monkeypatch.setattr("conformance.cli.mutate.ensure_engine", no_docker)
    assert main(["mutate", *argv]) == 15
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and words in err, err


def test_a_reports_dir_that_cannot_be_written_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["mutate", "--mutant", "partial-regex", "--reports-dir", str(blocker)]) == 15
    assert "--reports-dir" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the matrix

# junit.xml as pytest writes it: a run stopped (-x) at its first failure, and one that passed
DATA = Path(__file__).parent / "data" / "mutation"
FAILED_JUNIT = (DATA / "junit-killed.xml").read_text()
PASSED_JUNIT = (DATA / "junit-passed.xml").read_text()


def _killed_run(root: Path) -> Path:
    run_dir = make_run(root)  # its new deviation: status (other) x SELECT_JOIN, 200 for 403
    (run_dir / "junit.xml").write_text(FAILED_JUNIT)
    return root


def test_a_killed_mutant_names_the_first_failing_test_and_the_smallest_new_finding(
    tmp_path: Path,
) -> None:
    outcome = mutation.read_run(_killed_run(tmp_path / "partial-regex"), 1)
    assert outcome.status == mutation.KILLED
    assert outcome.run_dir == tmp_path / "partial-regex" / RUN_ID
    assert outcome.failure == mutation.Failure(
        "test_properties::test_cell[status x SELECT_JOIN x forbidden]",
        "failure",
        "AssertionError: 1 new deviation(s)",
    )
    example = outcome.example
    assert example is not None
    assert example.case_id == f"{RUN_ID}-4"
    assert (example.operation, example.observed_status, example.documented_status) == (
        "status",
        200,
        403,
    )
    assert example.sql.startswith("SELECT w.page FROM")
    assert example.permissions == ("READ DATASOURCE wikipedia",)
    assert example.direction == "over-permissive"
    assert example.reproduce.startswith(f"druid-conformance replay {outcome.run_dir} --case ")
    assert outcome.checks == 4


def test_a_survivor_and_an_error_are_told_apart_by_the_exit_status(tmp_path: Path) -> None:
    survived = make_run(tmp_path / "survivor", rows=())
    (survived / "junit.xml").write_text(PASSED_JUNIT)
    outcome = mutation.read_run(tmp_path / "survivor", 0)
    assert (outcome.status, outcome.failure, outcome.example) == (mutation.SURVIVED, None, None)
    errored = mutation.read_run(tmp_path / "nothing-written", 16)
    assert (errored.status, errored.run_dir) == (mutation.ERROR, None)
    assert errored.meaning == "infrastructure error"


def test_a_recorded_kill_reads_as_it_was_measured() -> None:
    """A real run (Druid 27.0.0, 2026-11-29, ``-k test_cell``) with ``query-select-public``
    active: its junit.xml and summary.json as written, its history cut to the new findings."""
    outcome = mutation.read_run(DATA / "query-select-public", 1)
    assert outcome.status == mutation.KILLED and outcome.checks == 40
    assert outcome.failure is not None and outcome.example is not None
    assert outcome.failure.test == "test_properties::test_cell[status x SELECT_LITERAL x forbidden]"
    assert outcome.failure.message.startswith("conformance.runner.checks.NewDeviation: NEW-DEV")
    assert outcome.example.describe() == (
        "status answered 200 where 403 is documented (over-permissive, rule "
        "sqli.interact.select): SELECT 0 AS c0 holding nothing "
        "[status x SELECT_LITERAL x forbidden; case 20261129T224654Z-f3e20f-36]"
    )


def test_junit_that_is_not_xml_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text("<testsuites")
    with pytest.raises(BadInputError, match="not XML"):
        mutation.first_failure(tmp_path / "junit.xml")


def _matrix(tmp_path: Path) -> mutation.Matrix:
    baseline_root = tmp_path / "none"
    (make_run(baseline_root, rows=()) / "junit.xml").write_text(PASSED_JUNIT)
    survivor_root = tmp_path / "first-role-only"
    (make_run(survivor_root, rows=()) / "junit.xml").write_text(PASSED_JUNIT)
    rows = {
        "partial-regex": (_killed_run(tmp_path / "partial-regex"), 1),
        "first-role-only": (survivor_root, 0),
        "same-length-password": (tmp_path / "absent", 16),
    }
    known = {m.name: m for m in mutants.catalog()}
    matrix = mutation.Matrix(
        "27.0.0",
        "druid-conformance/druid:27.0.0-mutants",
        ("-k", "test_cell"),
        {"authorizeQueryContextParams": True},
        mutation.MutantResult(
            "none", "baseline", "none", 300.0, mutation.read_run(baseline_root, 0)
        ),
    )
    for name, (root, code) in rows.items():
        outcome = mutation.read_run(root, code)
        entry = known[name]
        matrix = matrix.with_result(
            mutation.MutantResult(name, entry.kind, entry.bug, 42.0, outcome)
        )
    return matrix


def test_the_matrix_text_lists_each_mutant_its_catch_and_the_survivors(tmp_path: Path) -> None:
    matrix = _matrix(tmp_path)
    lines = mutation.text_lines(matrix)
    text = "\n".join(lines)
    assert lines[0].startswith("mutation testing of Druid 27.0.0 (druid-conformance/druid:27.0")
    assert "pytest -x -k test_cell" in lines[0] and "authorizeQueryContextParams=True" in lines[0]
    assert lines[1] == "baseline (no mutant): every check passed, 0 checks, 300 s"
    killed = next(line for line in lines if line.startswith("partial-regex"))
    assert "KILLED" in killed and "test_cell[status x SELECT_JOIN x forbidden]" in killed
    assert "status answered 200 where 403 is documented (over-permissive" in text
    assert "holding READ DATASOURCE wikipedia" in text
    assert f"druid-conformance replay {tmp_path / 'partial-regex' / RUN_ID} --case" in text
    assert re.search(r"^first-role-only +SURVIVED +42s  - \(all 0 checks agreed\)", text, re.M)
    assert re.search(r"^same-length-password +ERROR .*exit 16: infrastructure error", text, re.M)
    assert "3 mutants: 1 killed, 1 survived, 1 error" in lines
    assert "survivor: first-role-only: only the user's first role (by name) is consulted" in lines
    assert matrix.exit_status == 1


def test_the_matrix_json_is_written_with_the_text(tmp_path: Path) -> None:
    matrix = _matrix(tmp_path / "runs")
    as_json, as_text = mutation.write(tmp_path / "out", matrix)
    document = json.loads(as_json.read_text())
    assert document["counts"] == {"killed": 1, "survived": 1, "error": 1}
    assert document["survivors"] == ["first-role-only"]
    assert document["exit_status"] == 1
    assert document["exit_meaning"] == "a mutant survived"
    killed = document["mutants"][0]
    assert killed["name"] == "partial-regex" and killed["status"] == "killed"
    assert killed["caught_by"]["test"].endswith("[status x SELECT_JOIN x forbidden]")
    assert killed["example"]["case_id"] == f"{RUN_ID}-4"
    assert document["baseline"]["status"] == "survived"  # the baseline passed: nothing to kill
    assert as_text.read_text().splitlines() == mutation.text_lines(matrix)


def test_every_mutant_killed_is_exit_0_and_an_error_without_survivors_16(tmp_path: Path) -> None:
    matrix = _matrix(tmp_path)
    killed_only = mutation.Matrix(
        matrix.druid_version,
        matrix.image,
        matrix.pytest_args,
        matrix.settings,
        matrix.baseline,
        tuple(matrix.named(mutation.KILLED)),
    )
    assert killed_only.exit_status == 0
    with_error = killed_only.with_result(matrix.named(mutation.ERROR)[0])
    assert with_error.exit_status == 16


# ----------------------------------------------------------------------------- the extension


def test_the_extension_compiles_and_passes_its_self_check(tmp_path: Path) -> None:
    missing = [tool for tool in ("mvn", "java") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not on PATH: the Java extension is not compiled")
    work = tmp_path / "mutants"
    shutil.copytree(mutants.MUTANTS_DIR, work, ignore=shutil.ignore_patterns("target"))
    built = subprocess.run(
        [
            *mutants.maven_command("27.0.0"),
            "dependency:build-classpath",
            "-Dmdep.outputFile=classpath.txt",
        ],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if built.returncode and parse_log(built.stdout):
        pytest.skip(
            "Maven cannot resolve Druid 27.0.0's jars here (settings "
            f"{SETTINGS.name}): {parse_log(built.stdout)[0].coordinate}"
        )
    assert built.returncode == 0, built.stdout[-3000:]
    jar = work / "target" / mutants.JAR
    with zipfile.ZipFile(jar) as archive:
        names = set(archive.namelist())
        listed = archive.read("io/druidconformance/mutants/mutants.tsv").decode()
        service = archive.read("META-INF/services/org.apache.druid.initialization.DruidModule")
    assert listed == mutants.CATALOG.read_text()
    assert service.decode().strip() == "io.druidconformance.mutants.MutantsModule"
    for entry in mutants.catalog():
        assert f"io/druidconformance/mutants/{entry.class_name}.class" in names, entry
    classpath = f"{jar}:{(work / 'classpath.txt').read_text().strip()}"
    checked = subprocess.run(
        ["java", "-cp", classpath, "io.druidconformance.mutants.SelfCheck"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    said = checked.stdout.splitlines()
    assert said[-1] == "self-check passed"
    for entry in mutants.catalog():
        assert any(line.startswith(f"{entry.name}: ") for line in said), entry
    assert "control: 80 questions, answers as the original" in said


def test_mutants_run_in_a_cluster_with_only_the_settings_they_need() -> None:
    """A setting changes every answer (with context authorization on, Druid 27 refuses every
    submit without WRITE on queryId), so the mutants that need none run with the given settings
    alone, first, and a mutant that needs one runs in a cluster of its own with it."""
    from conformance.cli.mutate import setting_groups

    chosen = mutants.select(["partial-regex", "context-key-unchecked", "first-role-only"])
    groups = setting_groups([], chosen)
    assert [(settings, [m.name for m in members]) for settings, members in groups] == [
        ([], ["partial-regex", "first-role-only"]),
        (["authorizeQueryContextParams=true"], ["context-key-unchecked"]),
    ]
    given = ["authorizeQueryContextParams=true"]  # then every mutant shares one cluster
    assert [(s, len(m)) for s, m in setting_groups(given, chosen)] == [(given, 3)]
    assert setting_groups([], mutants.select(["partial-regex"])) == [
        ([], mutants.select(["partial-regex"]))
    ]
