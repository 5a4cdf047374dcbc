"""``druid-conformance diff RUN_A RUN_B``: the checks whose answer changed between two runs.

The runs are written by ``tests/recorded_runs.py`` with the History and summary code a run
uses; the second is the same rows under another run id (as a second run of the same seed), some
of Druid's answers changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.exit_codes import ExitCode
from fixtures.errors import BadInputError
from fixtures.secrets import SECRETS
from reports import diff, diff_html, records
from tests.recorded_runs import (
    ROWS,
    RUN_ID,
    SECOND_RUN_ID,
    Row,
    make_changed_run,
    make_run,
)

BAD = int(ExitCode.BAD_INPUT)


def _tagged_rows(run_id: str) -> tuple[Row, ...]:
    """Rows naming what the run made for itself, as a run names them (``Run.tag``): an INSERT
    into ``p<tag>_ds7``, granted WRITE on it by exact name, by a prefix cut inside the tag and
    with one of its tag's characters a dot; the same draws under another run id."""
    tag = run_id.rsplit("-", 1)[1]
    out = f"p{tag}_ds7"
    sql = f'INSERT INTO "{out}" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY'
    read = ("DATASOURCE", "wikipedia", "READ")
    return (
        Row(
            "submit x INSERT_FROM_DATASOURCE",
            "submit",
            sql,
            (read, ("DATASOURCE", out, "WRITE")),
            202,
        ),
        Row(
            "submit x INSERT_FROM_DATASOURCE",
            "submit",
            sql,
            (read, ("DATASOURCE", f"p{tag[:3]}.*", "WRITE")),
            202,
        ),
        Row(
            "submit x INSERT_FROM_DATASOURCE",
            "submit",
            sql,
            (read, ("DATASOURCE", f"p{tag[:2]}.{tag[3:]}_ds7", "WRITE")),
            202,
        ),
        Row("submit x INSERT_FROM_DATASOURCE", "submit", sql, (read,), 403),
    )


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_identical_runs_of_one_seed_pair_every_check_and_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_run(tmp_path, rows=_tagged_rows(RUN_ID) + ROWS)
    b = make_changed_run(tmp_path, rows=_tagged_rows(SECOND_RUN_ID) + ROWS)
    code, out, err = _run([str(a), str(b)], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "0 changed of 8 paired checks; 0 only in A, 0 only in B"
    assert lines[1].startswith(f"A {RUN_ID}: Druid 27.0.0, settings none, oracle ")
    assert lines[2].startswith(f"B {SECOND_RUN_ID}: Druid 27.0.0, settings none, oracle ")
    assert "no changed check" in lines
    assert not [line for line in lines if line.startswith("warning")]


def test_one_changed_status_is_that_check_in_its_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_run(tmp_path)
    b = make_changed_run(tmp_path, {1: 403})  # submit x SELECT_DATASOURCE with READ: 202 -> 403
    code, out, _ = _run([str(a), str(b)], capsys)
    assert code == int(ExitCode.NEW_DEVIATIONS)
    lines = out.splitlines()
    assert lines[0] == (
        "1 changed of 4 paired checks (1 answer, 0 verdicts alone); 0 only in A, 0 only in B"
    )
    assert lines[3] == "answers changed:"
    assert lines[4] == (
        "  submit x SELECT_DATASOURCE, rule common.status.submit: 2xx -> 403, now refused (1 check)"
    )
    assert lines[5] == (
        f"    A answered 202 (agrees), B answered 403 (new-deviation); cases {RUN_ID}-2 and "
        f"{SECOND_RUN_ID}-2"
    )
    assert lines[6] == '    statement: SELECT page FROM "wikipedia"'
    assert lines[7] == "    grants: READ DATASOURCE 'wikipedia'; the submitter"
    assert lines[8] == "    verdict: A allowed 200, B allowed 200"
    assert len(lines) == 9

    compared = diff.compare(diff.load(a), diff.load(b))
    [group] = compared.groups
    assert (group.change, group.operation, group.kind, group.transition) == (
        "answer",
        "submit",
        "SELECT_DATASOURCE",
        "2xx -> 403",
    )
    assert [pair.a["case"]["id"] for pair in group.pairs] == [f"{RUN_ID}-2"]


def test_another_2xx_is_the_same_answer(tmp_path: Path) -> None:
    a = make_run(tmp_path)
    b = make_changed_run(tmp_path, {1: 200})  # 202 -> 200: both accepted
    compared = diff.compare(diff.load(a), diff.load(b))
    assert compared.changed == [] and compared.groups == ()


def test_checks_of_one_run_only_are_counted_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = Row("status (other) x SELECT_LITERAL", "status", "SELECT 1", (), 403, False)
    a = make_run(tmp_path, rows=ROWS[1:])
    b = make_changed_run(tmp_path, {len(ROWS): 200}, rows=(*ROWS, extra))
    code, out, _ = _run([str(a), str(b)], capsys)
    assert code == 0  # the extra check's answer is not compared with anything
    lines = out.splitlines()
    assert lines[0] == "0 changed of 3 paired checks; 0 only in A, 2 only in B"
    assert lines[-1] == (
        "only in B, not compared: 2 checks (status (other) x SELECT_LITERAL 1, "
        "submit x SELECT_DATASOURCE 1)"
    )


def test_a_question_asked_twice_pairs_in_order(tmp_path: Path) -> None:
    rows = (ROWS[1], ROWS[1])
    a = make_run(tmp_path, rows=rows)
    b = make_changed_run(tmp_path, {1: 403}, rows=rows)
    compared = diff.compare(diff.load(a), diff.load(b))
    assert [(p.a["case"]["id"], p.b["case"]["id"]) for p in compared.changed] == [
        (f"{RUN_ID}-2", f"{SECOND_RUN_ID}-2")
    ]


def test_a_setting_that_changes_the_verdict_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """authorizeQueryContextParams=true: SELECT 0 with a context key needs QUERY_CONTEXT WRITE.
    Druid refusing it now is an answer change (under another rule); still accepting it is a
    verdict change alone."""
    context = (("maxNumTasks", 2),)
    rows = (
        Row("submit x SELECT_LITERAL", "submit", "SELECT 0", (), 202, context=context),
        Row("submit x SELECT_LITERAL", "submit", "SELECT 1", (), 202, context=context),
    )
    a = make_run(tmp_path, rows=rows)
    b = make_changed_run(
        tmp_path, {0: 403}, rows=rows, settings={"authorizeQueryContextParams": True}
    )
    code, out, _ = _run([str(a), str(b)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "2 changed of 2 paired checks (1 answer, 1 verdict alone); 0 only in A, 0 only in B"
    )
    assert "settings authorizeQueryContextParams=true" in lines[2]
    assert (
        "  submit x SELECT_LITERAL, rule common.status.submit -> qc.context-keys: 2xx -> 403, "
        "now refused (1 check)"
    ) in lines
    assert "    verdict: A allowed 200, B forbidden 403" in lines
    verdicts = lines.index(
        "verdicts changed (Druid answered alike; the documentation requires otherwise):"
    )
    assert lines[verdicts + 1] == (
        "  submit x SELECT_LITERAL, rule common.status.submit -> qc.context-keys: "
        "allowed 200 -> forbidden 403 (1 check)"
    )
    assert lines[verdicts + 2].startswith("    A answered 202 (agrees), B answered 202 (new-dev")


@pytest.mark.parametrize(
    ("options", "warning"),
    [
        ({"seed": 7}, "warning: seeds differ (none and 7): "),
        ({"profile": "nightly"}, "warning: Hypothesis profiles differ (ci and nightly): "),
    ],
)
def test_another_seed_or_profile_is_one_warning_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: dict[str, Any],
    warning: str,
) -> None:
    a = make_run(tmp_path)
    b = make_changed_run(tmp_path, **options)
    _, out, _ = _run([str(a), str(b)], capsys)
    warnings = [line for line in out.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1 and warnings[0].startswith(warning)
    assert warnings[0].endswith("only those both asked are compared")


def test_a_run_that_ended_early_exits_16_with_its_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_run(tmp_path)
    b = make_changed_run(tmp_path, {1: 403})
    path = b / records.SUMMARY
    document = json.loads(path.read_text())
    document.update(exit_status=16, exit_meaning="infrastructure error", errors=["Druid went away"])
    path.write_text(json.dumps(document))
    code, out, _ = _run([str(a), str(b)], capsys)
    assert code == int(ExitCode.INFRASTRUCTURE)
    assert (
        "warning: B: the run ended with exit 16 (infrastructure error): Druid went away; its "
        "checks are incomplete"
    ) in out.splitlines()
    assert "  submit x SELECT_DATASOURCE, rule common.status.submit: 2xx -> 403" in out


def _bad_history(run: Path, text: str | bytes) -> Path:
    data = text.encode("utf-8") if isinstance(text, str) else text
    (run / records.HISTORY).write_bytes(data)
    return run


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda run: run / "nowhere", "nowhere: not a run directory (no history.jsonl)"),
        (
            lambda run: (run / records.HISTORY).unlink() or run,
            f"{RUN_ID}: not a run directory (no history.jsonl)",
        ),
        (lambda run: _bad_history(run, "{not json\n"), "history.jsonl:1: not JSON"),
        (
            lambda run: _bad_history(run, '{"type": "check", "observed_status": 200}\n'),
            "history.jsonl: check 1: no case",
        ),
        (
            lambda run: _bad_history(run, b"\xff\xfe{}\n"),
            "cannot read the run",
        ),
        (
            lambda run: _bad_history(run, '{"type": "exchange", "status": 200}\n'),
            "history.jsonl:1: an exchange without its seq",
        ),
    ],
    ids=["missing directory", "no history", "not JSON", "no case", "not UTF-8", "no seq"],
)
def test_bad_input_is_one_line_and_exit_15(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spoil: object, message: str
) -> None:
    good = make_changed_run(tmp_path)
    bad = spoil(make_run(tmp_path))  # type: ignore[operator]
    code, out, err = _run([str(bad), str(good)], capsys)
    assert (code, out) == (BAD, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("druid-conformance: error: ") and message in err


def test_a_page_that_cannot_be_written_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = make_run(tmp_path), make_changed_run(tmp_path)
    code, _, err = _run([str(a), str(b), "--html", str(tmp_path / "no" / "such.html")], capsys)
    assert code == BAD and err.count("\n") == 1
    assert "such.html: cannot write the page" in err


def test_html_shows_the_change_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT '<script>alert(1)</script>' AS c0"
    rows = (Row("submit x SELECT_LITERAL", "submit", sql, (), 202),)
    a = make_run(tmp_path, rows=rows)
    b = make_changed_run(tmp_path, {0: 403}, rows=rows, druid_version="28.0.0")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, _ = _run([str(a), str(b), "--html", str(out_dir)], capsys)
    assert code == 1
    page_path = out_dir / "diff.html"
    assert out.splitlines()[-1] == f"diff page: {page_path}"
    page = page_path.read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'data-changed="1" data-paired="1"' in page
    assert (
        '<tr class="change changed" data-change="answer" data-operation="submit" '
        'data-kind="SELECT_LITERAL" data-rule="common.status.submit" '
        'data-transition="2xx -&gt; 403" data-count="1">'
    ) in page
    assert f'data-case-a="{RUN_ID}-1" data-case-b="{SECOND_RUN_ID}-1"' in page
    assert '<tr data-fact="Druid" class="changed"><th>Druid</th><td>27.0.0</td><td>28.0.0</td>' in (
        page
    )
    assert "http://" not in page.replace("http://www.w3.org", "")  # nothing fetched


def test_secrets_are_scrubbed_from_the_terminal_and_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "hunter2-not-redacted"
    rows = (Row("submit x SELECT_LITERAL", "submit", f"SELECT '{secret}' AS c0", (), 202),)
    a = make_run(tmp_path, rows=rows)
    b = make_changed_run(tmp_path, {0: 403}, rows=rows)
    SECRETS.add(secret)  # known to the process only after the runs were written
    page = tmp_path / "diff.html"
    _, out, _ = _run([str(a), str(b), "--html", str(page)], capsys)
    assert "SELECT '***' AS c0" in out and secret not in out
    assert secret not in page.read_text(encoding="utf-8")


def test_names_a_run_made_for_itself_are_compared_by_place() -> None:
    def check(sql: str, *names: str) -> dict[str, object]:
        permissions = [{"type": "DATASOURCE", "name": n, "action": "WRITE"} for n in names]
        return {
            "label": "l",
            "case": {"operation": "submit", "sql": sql, "permissions": permissions},
        }

    a = check('INSERT INTO "pabc123_ds9" SELECT 1', "pabc1.*", "PABC123_DS9", "wiki")
    b = check('INSERT INTO "pdef456_ds9" SELECT 1', "pdef4.*", "PDEF456_DS9", "wiki")
    assert diff.question(a, "abc123") == diff.question(b, "def456")
    assert '"sql": "INSERT INTO \\"{n1}\\" SELECT 1"' in diff.question(a, "abc123")
    other = check('INSERT INTO "pdef456_ds9" SELECT 1', "pdef4.*", "pdef456_ds9", "wiki")
    assert diff.question(a, "abc123") != diff.question(other, "def456")  # the case differs
    assert diff.run_tag(RUN_ID) == "abc123" and diff.run_tag("no-tag-here") is None


def test_a_check_line_without_its_status_is_bad_input(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    lines = (run / records.HISTORY).read_text().splitlines()
    spoilt = []
    for line in lines:
        entry = json.loads(line)
        if entry["type"] == "check":
            entry.pop("observed_status")
        spoilt.append(json.dumps(entry))
    (run / records.HISTORY).write_text("\n".join(spoilt) + "\n")
    with pytest.raises(BadInputError, match=r"check 1: no observed_status"):
        diff.load(run)


def test_the_page_without_changes_says_so(tmp_path: Path) -> None:
    a, b = make_run(tmp_path), make_changed_run(tmp_path)
    page = diff_html.render(diff.compare(diff.load(a), diff.load(b)))
    assert '<p id="changes">none: no changed check</p>' in page
    assert '<p id="only-a">none</p>' in page and '<p id="only-b">none</p>' in page
