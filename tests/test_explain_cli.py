"""The explain and oracle subcommands, run through the real entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.cli.oracle import run_cases
from conformance.exit_codes import ExitCode

EXTERN_INSERT = (
    'INSERT INTO wikipedia SELECT * FROM TABLE(EXTERN(\'{"type":"http","uris":["u"]}\', '
    '\'{"type":"json"}\')) EXTEND (page VARCHAR) PARTITIONED BY DAY'
)


@pytest.fixture
def grants(tmp_path: Path) -> Path:
    path = tmp_path / "grants.json"
    roles = {
        "reader": [{"type": "DATASOURCE", "name": "wiki.*", "action": "READ"}],
        "loader": [{"resource": {"name": "wikipedia", "type": "DATASOURCE"}, "action": "WRITE"}],
    }
    path.write_text(json.dumps({"roles": roles}))
    return path


def test_explain_an_insert_from_extern(grants: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--sql", EXTERN_INSERT, "--grants", str(grants)]) == 0
    out = capsys.readouterr().out
    assert "held     WRITE DATASOURCE 'wikipedia'" in out
    assert "MISSING  READ EXTERNAL 'EXTERNAL'" in out
    assert "Verdict     FORBIDDEN: HTTP 403 (4xx)" in out
    assert "Deciding rule: sqli.submit.extern [stated]" in out
    assert "> [EXTERN](reference.md#extern-function) and the input-source-specific" in out


def test_explain_without_grants_lists_everything_as_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sql = "SELECT * FROM wikipedia w JOIN kttm k ON w.page = k.page"
    assert main(["explain", "--sql", sql, "--profile", "druid-24"]) == 0
    out = capsys.readouterr().out
    assert "MISSING  READ DATASOURCE 'kttm'" in out
    assert "MISSING  READ DATASOURCE 'wikipedia'" in out
    assert "Apache Druid 24.0" in out


def test_explain_cancel_of_someone_elses_select_as_json(
    grants: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["explain", "--op", "cancel", "--not-submitter", "--sql", "SELECT 1", "--json"]
    assert main([*argv, "--grants", str(grants)]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["verdict"] == "forbidden"
    assert verdict["missing"] == [
        {"type": "DATASOURCE", "name": "__query_select", "action": "READ"}
    ]
    assert verdict["rule"]["id"] == "sqli.interact.select"


def test_explain_bad_input_is_one_line_and_exit_15(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["explain", "--sql", "SELECT 1", "--grants", str(bad)]) == ExitCode.BAD_INPUT
    assert main(["explain", "--sql", "SELECT 1", "--context", "[]"]) == ExitCode.BAD_INPUT
    assert main(["explain", "--sql", "SELECT 1", "--setting", "nope=1"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("druid-conformance: error:") for line in err)


def test_explain_help_is_true(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    out = capsys.readouterr().out
    for option in ("--sql", "--op", "--grants", "--profile", "--setting", "--not-submitter"):
        assert option in out


def test_oracle_answers_a_file_and_reports_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [
        {
            "id": "ok",
            "profile": "druid-27",
            "settings": {},
            "operation": "submit",
            "sql": "SELECT * FROM wikipedia",
            "context": {},
            "permissions": [{"type": "DATASOURCE", "name": "wiki.*", "action": "READ"}],
            "authenticated": True,
            "actor_is_submitter": True,
            "existing_datasources": ["wikipedia"],
        },
        {"id": "unknown-field", "operation": "submit", "sql": "SELECT 1", "colour": "red"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n{broken\n\n"
    text += json.dumps({"id": "last", "operation": "submit", "sql": "SELECT * FROM"}) + "\n"
    cases.write_text(text)
    assert main(["oracle", "--cases", str(cases)]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    answers = [json.loads(line) for line in captured.out.splitlines()]
    assert [a.get("id") for a in answers] == ["ok", "unknown-field", None, "last"]
    assert answers[0]["verdict"] == "allowed" and answers[0]["status_class"] == "2xx"
    assert answers[1]["error"] == "unknown field(s): colour" and answers[1]["line"] == 2
    assert answers[2]["line"] == 3
    assert answers[3]["verdict"] == "invalid" and answers[3]["status"] == 400
    assert "line 2: unknown field(s): colour" in captured.err
    assert "line 3: not JSON" in captured.err


def test_oracle_reads_stdin_and_exits_0_when_all_lines_are_good() -> None:
    source = io.StringIO(json.dumps({"id": "a", "operation": "status", "sql": "SELECT 1"}) + "\n")
    out, err = io.StringIO(), io.StringIO()
    assert run_cases(source, out, err) == 0
    assert json.loads(out.getvalue())["verdict"] == "forbidden"
    assert err.getvalue() == ""


def test_oracle_missing_file_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["oracle", "--cases", "/nonexistent/cases.jsonl"]) == ExitCode.BAD_INPUT
    assert "cannot read cases file" in capsys.readouterr().err
