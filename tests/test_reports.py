"""summary.json, report.html, analyze and the reproduction text, on recorded runs (no Druid)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.cli import analyze, main
from conformance.runner.replay_plan import plan
from reports import html, records, summary
from reports.reproduce import curl_commands, reproduction
from tests.recorded_runs import RUN_ID, make_run


class MatrixReader(HTMLParser):
    """The matrix rows' data-* attributes, as a browser test reads them back."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "tr" and "cell" in values.get("class", "").split():
            self.rows.append({k[5:]: v for k, v in values.items() if k.startswith("data-")})


def read_matrix(text: str) -> list[dict[str, str]]:
    reader = MatrixReader()
    reader.feed(text)
    return reader.rows


def expected_matrix(run_dir: Path) -> list[dict[str, str]]:
    rows = html.matrix(records.load(run_dir).checks)
    return [
        {
            "operation": r.operation,
            "kind": r.kind,
            "expected": r.expected,
            "expected-status": str(r.expected_status),
            "observed": " ".join(f"{s}:{n}" for s, n in r.observed.items()),
            "count": str(r.count),
            "outcome": r.outcome,
        }
        for r in rows
    ]


def test_summary_counts_verdicts_and_deviations(tmp_path: Path) -> None:
    data = json.loads((make_run(tmp_path) / "summary.json").read_text())
    assert data["checks"] == {
        "total": 4,
        "agrees": 2,
        "known-deviation": 1,
        "new-deviation": 1,
        "undecided": 0,
    }
    assert data["deviations"]["known"] == {"DRUID-CANCEL-NEEDS-WRITE": 1}
    assert data["deviations"]["new_cases"] == [f"{RUN_ID}-4"]
    assert data["verdicts"]["forbidden"] == {"agrees": 1, "new-deviation": 1}
    # cancel answered 403 to the documented READ: what the user-auth page's POST rule says
    assert data["deviations"]["by_kind"] == {
        "documentation-conflict": {"known-deviation": 1},
        "druid-deviation": {"new-deviation": 1},
    }
    assert [
        (f["severity"], f["direction"], f["outcome"], f["count"]) for f in data["findings"]
    ] == [
        ("critical", "over-permissive", "new-deviation", 1),
        ("major", "over-restrictive", "known-deviation", 1),
    ]
    assert summary.headline(data) == (
        "4 checks: 2 agree, 1 known (1 documentation conflicts), 1 new, 0 undecided"
    )


def test_the_report_shows_a_documentation_conflict_with_both_passages(tmp_path: Path) -> None:
    page = html.render(records.load(make_run(tmp_path)), [])
    assert "<b>documentation conflict</b>" in page
    assert "conflicting rule <code>ua.http-methods</code>" in page
    assert "requests require WRITE permissions" in page
    assert "Users must have READ DATASOURCE permission on the output" in page
    assert "<h2>Undecided (0 checks)</h2>" in page


def test_analyze_reproduces_an_unchanged_run(tmp_path: Path) -> None:
    code, lines = analyze.analyze(make_run(tmp_path))
    assert code == 0
    assert lines[-1].endswith("4 of 4 checks judged as recorded (verdicts reproduced exactly)")


def test_analyze_lists_a_changed_verdict(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    history = run_dir / "history.jsonl"
    lines = history.read_text().splitlines()
    changed = []
    for line in lines:
        entry = json.loads(line)
        if entry["type"] == "check" and entry["case"]["id"].endswith("-1"):
            entry["verdict"]["status"] = 200  # as if an older oracle had allowed it
            entry["outcome"] = "new-deviation"
        changed.append(json.dumps(entry))
    history.write_text("\n".join(changed) + "\n")
    code, out = analyze.analyze(run_dir)
    assert code == 1
    assert any("CHANGED" in line and "status: 200 -> 403" in line for line in out)
    assert "3 of 4 checks judged as recorded, 1 changed" in out[-1]


def test_analyze_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(make_run(tmp_path))]) == 0
    assert main(["analyze", str(tmp_path / "nothing")]) == 15
    assert "not a run directory" in capsys.readouterr().err


def test_report_html_matrix_round_trips(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    page = html.render(records.load(run_dir), ["submit x SELECT_DATASOURCE x forbidden"])
    assert read_matrix(page) == expected_matrix(run_dir)
    assert "<script" not in page and "http://" not in page.split("<pre>")[0]


def test_report_html_shows_each_deviation_with_passage_and_reproduction(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    page = html.render(records.load(run_dir), [])
    assert f'data-case="{RUN_ID}-4" data-outcome="new-deviation"' in page
    assert "DRUID-CANCEL-NEEDS-WRITE" in page
    assert "To interact with a query through the Overlord API" in page  # the passage
    assert f"druid-conformance replay {run_dir} --case {RUN_ID}-4" in page
    assert "$DRUID_ADMIN_PASSWORD" in page


def test_reproduction_ends_with_replay_and_curl_without_passwords(tmp_path: Path) -> None:
    run = records.load(make_run(tmp_path))
    check = run.find(f"{RUN_ID}-4")
    text = reproduction(run.dir, check, run.exchange_of(check))
    assert text.startswith(f"replay: druid-conformance replay {run.dir} --case {RUN_ID}-4")
    assert '-u "replay_submitter:$SUBMITTER_PASSWORD"' in text  # another user submitted
    assert text.rstrip().endswith('"$DRUID_URL/druid/indexer/v1/task/$ID/status"')


def test_plan_grants_the_submitter_what_submitting_requires(tmp_path: Path) -> None:
    run = records.load(make_run(tmp_path))
    the_plan = plan(run.find(f"{RUN_ID}-4"))
    assert the_plan.submitter_grants is not None
    names = {(g.type, g.name, g.action) for g in the_plan.submitter_grants}
    assert ("DATASOURCE", "koalas", "READ") in names
    assert plan(run.find(f"{RUN_ID}-1")).submitter_grants is None  # submit: the actor submits


def test_curl_of_an_unreadable_case_says_so() -> None:
    text = curl_commands({"case": {"id": "x"}, "cell": "c", "verdict": {}, "observed_status": 1})
    assert text.startswith("# no curl equivalent")


def test_coverage_counts_cells_asked_and_agreed_apart(tmp_path: Path) -> None:
    """A cell hit only by disagreeing checks is asked, not agreed, and named."""
    data = json.loads((make_run(tmp_path) / "summary.json").read_text())
    found = data["coverage"]
    assert (found["hit"], found["agreed"]) == (4, 2)
    assert found["asked_not_agreed"] == [
        "cancel (other) x insert x allowed",
        "status (other) x SELECT_JOIN x forbidden",
    ]
    assert data["statements_coverage"]["feasible"] == []
    assert data["not_judged"] == {}
