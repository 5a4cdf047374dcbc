"""summary.json, report.html, analyze and the reproduction text, on recorded runs (no Druid)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter, defaultdict
from html.parser import HTMLParser
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import analyze, main
from conformance.runner.replay_plan import plan
from reports import html, records, summary
from reports.reproduce import curl_commands, reproduction
from strategies.queries import QueryKind
from tests.recorded_runs import ROWS, RUN_ID, Row, make_run

# made-up answers in more operations and kinds than ROWS: an undecided check next to agreeing
# ones, the statements API, a status by the submitter, and a check without a query kind
WIDE_ROWS = (
    *ROWS,
    Row(
        "submit x SELECT_DATASOURCE",
        "submit",
        'EXPLAIN PLAN FOR SELECT page FROM "wikipedia"',
        (),
        400,
    ),
    Row(
        "statements.submit x SELECT_JOIN",
        "statements.submit",
        'SELECT w.page FROM "wikipedia" w JOIN "koalas" k ON w.page = k.page',
        (("DATASOURCE", "wikipedia", "READ"), ("DATASOURCE", "koalas", "READ")),
        200,
    ),
    Row(
        "status (submitter) x INSERT_FROM_DATASOURCE",
        "status",
        'INSERT INTO "out1" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY',
        (("DATASOURCE", "out1", "WRITE"), ("DATASOURCE", "wikipedia", "READ")),
        200,
    ),
    Row("submit (no credentials)", "submit", "SELECT 1", (), 401),
)


def make_wide_run(root: Path) -> Path:
    """``make_run`` of WIDE_ROWS, its EXPLAIN check recorded as undecided (as the oracle judges
    unmodelled syntax) whatever the oracle of the day makes of EXPLAIN, and its summary.json
    made again from the history it then has."""
    run_dir = make_run(root, rows=WIDE_ROWS)
    history = run_dir / "history.jsonl"
    entries = [json.loads(line) for line in history.read_text().splitlines()]
    for entry in entries:
        if entry["type"] == "check" and entry["case"]["sql"].startswith("EXPLAIN"):
            entry["verdict"].update(
                verdict="undecided",
                status=None,
                status_class=None,
                reason="unsupported syntax: EXPLAIN PLAN FOR (not modelled by the oracle)",
            )
            entry.update(outcome="undecided", finding=None, direction=None, severity=None)
            entry["cell"] = f"{entry['label']} x undecided"
    history.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    path = run_dir / records.SUMMARY
    data = json.loads(path.read_text())
    checks = [entry for entry in entries if entry["type"] == "check"]
    document = summary.build(
        RUN_ID,
        data["facts"],
        data["timings"],
        checks,
        data["tests"],
        data["exit_status"],
        feasible=data["coverage"]["feasible"],
    )
    summary.write(path, document)
    return run_dir


# a grid cell shows the worst outcome of its checks
WORST = ("agrees", "undecided", "known-deviation", "new-deviation")


class ReportReader(HTMLParser):
    """What a reader of report.html (or of the DOM a browser built from it) checks: the
    matrix rows' and grid cells' data-* attributes and links, the findings in order, the
    per-cell lists of checks, every id and href, the timings table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []  # tr.cell: the matrix by verdict
        self.grid: list[dict[str, str]] = []  # td.gridcell, with "href" when it links
        self.findings: list[dict[str, str]] = []  # tr.finding
        self.finding_links: list[list[str]] = []  # each finding's hrefs
        self.cell_checks: dict[str, list[str]] = {}  # section.cell-checks id -> case ids
        self.deviations: dict[str, str] = {}  # section.deviation id -> case id
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: Counter[str] = Counter()
        self.timings: list[list[str]] = []  # table#timings rows (name, seconds)
        self.grid_tables: list[tuple[str, list[str], list[str]]] = []  # id, rows, columns
        self._section: str | None = None
        self._in_grid_cell = False
        self._table: str | None = None
        self._row: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        classes = values.get("class", "").split()
        data = {k[5:]: v for k, v in values.items() if k.startswith("data-")}
        self.tags[tag] += 1
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "href" in values:
            self.hrefs.append(values["href"])
            if self._in_grid_cell:
                self.grid[-1].setdefault("href", values["href"])
            if self._table == "findings" and self.finding_links:
                self.finding_links[-1].append(values["href"])
        if tag == "tr" and "cell" in classes:
            self.rows.append(data)
        elif tag == "td" and "gridcell" in classes:
            self.grid.append({**data, "class": " ".join(classes)})
            self._in_grid_cell = True
        elif tag == "tr" and "finding" in classes:
            self.findings.append(data)
            self.finding_links.append([])
        elif tag == "section" and "cell-checks" in classes:
            self._section = values["id"]
            self.cell_checks[self._section] = []
        elif tag == "section" and "deviation" in classes:
            self.deviations[values["id"]] = data["case"]
        elif tag == "tr" and "check" in classes and self._section is not None:
            self.cell_checks[self._section].append(data["case"])
        elif tag == "table" and values.get("id"):
            self._table = values["id"]
            if "grid" in classes:
                self.grid_tables.append((values["id"], [], []))
        elif tag == "tr" and "data-row" in values and self.grid_tables:
            self.grid_tables[-1][1].append(values["data-row"])
        elif tag == "th" and "kind" in classes and self.grid_tables:
            self.grid_tables[-1][2].append(values["data-value"])
        if self._table == "timings" and tag == "tr":
            self._row = []
        if tag in ("td", "th"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_grid_cell = False
        if tag == "section":
            self._section = None
        elif tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("".join(self._text).strip())
        elif tag == "tr" and self._row is not None:
            self.timings.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def read_report(text: str) -> ReportReader:
    reader = ReportReader()
    reader.feed(text)
    reader.close()
    return reader


def read_matrix(text: str) -> list[dict[str, str]]:
    return read_report(text).rows


def expected_matrix(run_dir: Path) -> list[dict[str, str]]:
    rows = html.matrix(records.load(run_dir).checks)
    return [
        {
            "operation": r.operation,
            "kind": r.kind,
            "expected": r.expected,
            "expected-status": html.status_text(r.expected_status),
            "observed": " ".join(f"{s}:{n}" for s, n in r.observed.items()),
            "count": str(r.count),
            "outcome": r.outcome,
        }
        for r in rows
    ]


def history_checks(run_dir: Path) -> list[dict[str, Any]]:
    """The check lines of the run's history.jsonl, read without the reports package."""
    lines = (run_dir / "history.jsonl").read_text().splitlines()
    return [entry for entry in map(json.loads, lines) if entry["type"] == "check"]


def expected_grid(run_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(operation, kind) -> what the grids must show, from the history: for every cell, its
    outcome (the worst), count, verdicts and case ids; the grids are operations x generated
    query kinds, named cases x operations, and operation x condition for checks without a
    kind, so a cell never asked (count 0, no outcome) is a combination within one of them."""
    members: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for check in history_checks(run_dir):
        label = check["label"]
        operation, kind = label.rsplit(" x ", 1) if " x " in label else (label, "")
        members[(operation, kind)].append(check)
    generated = [key for key in members if key[1] in {k.value for k in QueryKind}]
    named = [key for key in members if key[1] and key not in generated]
    bare = [re.fullmatch(r"(.*?)(?: \((.*)\))?", op) for op, kind in members if not kind]
    positions = {
        *product({op for op, _ in generated}, {kind for _, kind in generated}),
        *product({op for op, _ in named}, {kind for _, kind in named}),
        *(
            (f"{base} ({who})" if who else base, "")
            for base, who in product({m[1] for m in bare if m}, {m[2] or "" for m in bare if m})
        ),
    }
    grid: dict[tuple[str, str], dict[str, Any]] = {}
    for key in positions:
        checks = members.get(key, [])
        grid[key] = {
            "outcome": max((c["outcome"] for c in checks), key=WORST.index, default=""),
            "count": len(checks),
            "verdicts": dict(Counter(c["verdict"]["verdict"] for c in checks)),
            "cases": sorted(c["case"]["id"] for c in checks),
        }
    return grid


def page_grids(reader: ReportReader) -> list[tuple[str, list[str], list[str]]]:
    """Each grid table's id, row names and column names, in page order."""
    return reader.grid_tables


def shown_grid(reader: ReportReader) -> dict[tuple[str, str], dict[str, Any]]:
    """The grid as the page shows it, in the shape of ``expected_grid``; each linked cell's
    case ids are those of the section its link leads to."""
    grid: dict[tuple[str, str], dict[str, Any]] = {}
    for cell in reader.grid:
        verdicts = dict(pair.split(":") for pair in cell.get("verdicts", "").split())
        href = cell.get("href", "")
        assert bool(href) == (cell["count"] != "0"), cell  # a cell never asked has no link
        # coloured by its outcome; hatched when never asked
        assert cell["class"].split()[1:] == [cell["outcome"] or "never"], cell
        grid[(cell["operation"], cell["kind"])] = {
            "outcome": cell["outcome"],
            "count": int(cell["count"]),
            "verdicts": {v: int(n) for v, n in verdicts.items()},
            "cases": sorted(reader.cell_checks[href[1:]]) if href else [],
        }
    return grid


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


def test_report_html_is_one_file_that_loads_nothing(tmp_path: Path) -> None:
    """No script, no stylesheet or image from anywhere, and every link leads into the page.
    (A statement or a body may quote a URL, such as an EXTERN http input source: text, never
    fetched; so the page is checked for what loads, not for the string http://.)"""
    page = html.render(records.load(make_wide_run(tmp_path)), [])
    reader = read_report(page)
    assert "<script" not in page and reader.tags["script"] == 0
    assert reader.tags["link"] == reader.tags["img"] == reader.tags["iframe"] == 0
    assert " src=" not in page and "url(" not in page and "@import" not in page
    assert reader.hrefs and all(href.startswith("#") for href in reader.hrefs)
    assert {href[1:] for href in reader.hrefs} <= reader.ids


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


def set_exit(run_dir: Path, status: int, errors: list[str]) -> Path:
    path = run_dir / records.SUMMARY
    data = json.loads(path.read_text())
    data.update(exit_status=status, exit_meaning=summary.exit_meaning(status), errors=errors)
    data.update(oracle_profile="druid-27", hypothesis_seed=1234)
    path.write_text(json.dumps(data))
    return run_dir


def banner(page: str) -> str:
    return page.split('<div id="run-end"', 1)[1].split("</div>", 1)[0]


def test_the_banner_says_fail_with_counts_by_outcome_and_severity(tmp_path: Path) -> None:
    run_dir = set_exit(make_wide_run(tmp_path), 1, [])
    page = html.render(records.load(run_dir), [])
    assert page.index('id="run-end"') < page.index('id="findings"') < page.index('id="grid"')
    top = banner(page)
    assert 'class="end failed" data-exit-status="1" data-verdict="fail"' in top
    assert '<span class="verdict">FAIL</span>' in top and "exit 1 (a check failed)" in top
    data = json.loads((run_dir / "summary.json").read_text())
    for outcome in summary.OUTCOMES:
        assert f'data-outcome="{outcome}" data-count="{data["checks"][outcome]}"' in top
    checks, groups = Counter[str](), Counter[str]()
    for finding in data["findings"]:
        checks[finding["severity"]] += finding["count"]
        groups[finding["severity"]] += 1
    for severity in ("critical", "major", "minor"):
        assert (
            f'data-severity="{severity}" data-count="{checks[severity]}" '
            f'data-findings="{groups[severity]}"'
        ) in top
    assert checks["critical"] == 2 and checks["major"] == 2  # the rows say so
    for fact in ("27.0.0", "druid-27", ">ci<", ">1234<", RUN_ID):
        assert fact in top


@pytest.mark.parametrize(("status", "word", "colour"), [(0, "PASS", "ok"), (16, "ERROR", "failed")])
def test_the_banner_says_pass_or_error(tmp_path: Path, status: int, word: str, colour: str) -> None:
    errors = [] if status == 0 else ["test_x: POST /druid/v2/sql/task: 503 <no broker>"]
    page = html.render(records.load(set_exit(make_run(tmp_path), status, errors)), [])
    top = banner(page)
    assert f'class="end {colour}" data-exit-status="{status}" data-verdict="{word.lower()}"' in top
    assert f'<span class="verdict">{word}</span>' in top
    assert f"({summary.exit_meaning(status)})" in top
    if errors:
        assert "<li>test_x: POST /druid/v2/sql/task: 503 &lt;no broker&gt;</li>" in top
        assert "Its checks are incomplete" in top


def test_findings_come_first_in_the_summary_order_and_link_their_example(
    tmp_path: Path,
) -> None:
    run_dir = make_wide_run(tmp_path)
    reader = read_report(html.render(records.load(run_dir), []))
    data = json.loads((run_dir / "summary.json").read_text())
    keys = ("severity", "direction", "kind", "outcome", "rule", "observed_status", "count")
    shown = [
        {**{k: f[k.replace("_", "-")] for k in keys}, "example": f["example"]}
        for f in reader.findings
    ]
    expected = [{k: str(f[k]) for k in (*keys, "example")} for f in data["findings"]]
    assert shown == expected
    assert [f["severity"] for f in shown] == ["critical", "critical", "major", "major"]
    assert shown[2]["outcome"] == "new-deviation" and shown[3]["outcome"] == "known-deviation"
    grid_anchors = {cell["href"] for cell in reader.grid if "href" in cell}
    for finding, links in zip(data["findings"], reader.finding_links, strict=True):
        example = [href for href in links if href.startswith("#deviation-")]
        assert [reader.deviations[href[1:]] for href in example] == [finding["example"]]
        cells = [href for href in links if href.startswith("#cell-")]
        assert len(cells) == len(finding["cells"]) and set(cells) <= grid_anchors


def test_a_documentation_conflict_is_marked_in_the_findings(tmp_path: Path) -> None:
    page = html.render(records.load(make_run(tmp_path)), [])
    findings_table = page.split('<table id="findings">', 1)[1].split("</table>", 1)[0]
    conflict_row = findings_table.split('data-kind="documentation-conflict"', 1)[1]
    assert '<span class="conflict">documentation conflict</span>' in conflict_row
    assert "known DRUID-CANCEL-NEEDS-WRITE" in conflict_row


def test_the_grid_shows_every_operation_and_kind_of_the_history(tmp_path: Path) -> None:
    run_dir = make_wide_run(tmp_path)
    reader = read_report(html.render(records.load(run_dir), []))
    grid = shown_grid(reader)
    assert grid == expected_grid(run_dir)
    # agreeing and undecided checks in one cell: the cell shows the worse, undecided
    assert grid[("submit", "SELECT_DATASOURCE")]["outcome"] == "undecided"
    assert grid[("submit", "SELECT_DATASOURCE")]["verdicts"] == {
        "allowed": 1,
        "forbidden": 1,
        "undecided": 1,
    }
    assert grid[("status (other)", "SELECT_JOIN")]["outcome"] == "new-deviation"
    assert grid[("cancel (other)", "insert")]["outcome"] == "known-deviation"
    assert grid[("submit", "SELECT_JOIN")]["count"] == 0  # never asked
    assert ("submit", "insert") not in grid  # a named case and a query kind: other grids
    tables = page_grids(reader)
    assert tables == [
        (
            "grid",
            ["submit", "status (submitter)", "status (other)", "statements.submit"],
            ["SELECT_DATASOURCE", "SELECT_JOIN", "INSERT_FROM_DATASOURCE"],
        ),
        ("grid-named", ["insert"], ["cancel (other)"]),
        ("grid-bare", ["submit"], ["no credentials"]),
    ]


def test_a_check_of_each_cell_links_to_its_detailed_example(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    page = html.render(records.load(run_dir), [])
    section = page.split('id="cell-status-other--SELECT_JOIN"', 1)[1].split("</section>", 1)[0]
    assert f'<a href="#deviation-1">{RUN_ID}-4</a>' in section
    assert 'data-case="20260101T000000Z-abc123-4" data-outcome="new-deviation"' in section


def test_timings_and_throughput_are_tables(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    path = run_dir / records.SUMMARY
    data = json.loads(path.read_text())
    data["timings"] = {"cluster_start_to_ready": 41.5, "seed_datasources": 90.27}
    data["throughput"] = {"checked_operations": 4, "wall_seconds": 308.066}
    path.write_text(json.dumps(data))
    page = html.render(records.load(run_dir), [])
    reader = read_report(page)
    assert reader.timings == [
        ["name", "seconds"],
        ["cluster_start_to_ready", "41.500"],
        ["seed_datasources", "90.270"],
    ]
    assert '<table id="throughput">' in page and "<td>wall_seconds</td>" in page
    assert "{&#x27;" not in page and "{'" not in page  # no Python dict anywhere


def test_request_and_response_bodies_are_pretty_json(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    history = run_dir / "history.jsonl"
    lines = []
    for entry in map(json.loads, history.read_text().splitlines()):
        if entry["type"] == "exchange" and entry["seq"] == 4:
            entry["request_body"] = {"query": 'SELECT w.page FROM "wikipedia" w', "context": {}}
            entry["body"] = json.dumps({"error": "Forbidden", "errorCode": None})  # as text
        lines.append(json.dumps(entry))
    history.write_text("\n".join(lines) + "\n")
    page = html.render(records.load(run_dir), [])
    section = page.split('id="deviation-1"', 1)[1].split("</section>", 1)[0]
    assert (
        '<pre class="json request">{\n  &quot;query&quot;: &quot;SELECT w.page FROM '
        "\\&quot;wikipedia\\&quot; w&quot;,\n  &quot;context&quot;: {}\n}</pre>"
    ) in section
    assert (
        '<pre class="json response">{\n  &quot;error&quot;: &quot;Forbidden&quot;,\n'
        "  &quot;errorCode&quot;: null\n}</pre>"
    ) in section


def test_pretty_body_keeps_text_and_cuts_long_bodies() -> None:
    assert html.pretty_body(None) == ""
    assert html.pretty_body("Forbidden") == "Forbidden"
    assert html.pretty_body('"quoted"') == "quoted"
    assert html.pretty_body([1, {"a": "ü"}]) == '[\n  1,\n  {\n    "a": "ü"\n  }\n]'
    long = html.pretty_body("x" * (html.MAX_BODY + 10))
    assert long.endswith("... (10 more characters)") and len(long) < html.MAX_BODY + 40


def test_an_undecided_check_has_a_matrix_row_without_status(tmp_path: Path) -> None:
    run_dir = make_wide_run(tmp_path)
    rows = read_matrix(html.render(records.load(run_dir), []))
    assert {
        "operation": "submit",
        "kind": "SELECT_DATASOURCE",
        "expected": "undecided",
        "expected-status": "none",
        "observed": "400:1",
        "count": "1",
        "outcome": "undecided",
    } in rows
    assert rows == expected_matrix(run_dir)


def test_a_history_without_directions_is_ranked_from_its_statuses(tmp_path: Path) -> None:
    """Check lines written before findings were recorded (no finding, direction, severity):
    the report ranks them as the run would have."""
    run_dir = make_wide_run(tmp_path)
    before = read_report(html.render(records.load(run_dir), [])).findings
    history = run_dir / "history.jsonl"
    lines = []
    for entry in map(json.loads, history.read_text().splitlines()):
        for key in ("finding", "direction", "severity"):
            entry.pop(key, None)
        lines.append(json.dumps(entry))
    history.write_text("\n".join(lines) + "\n")
    after = read_report(html.render(records.load(run_dir), [])).findings
    assert after == before and len(after) == 4


def test_analyze_compares_what_a_verdict_decides_not_how_its_rule_is_quoted(
    tmp_path: Path,
) -> None:
    """A history written before verdicts carried conflicts, or before a rule's note was
    edited, is reproduced; a changed conflict is a change."""
    run_dir = make_run(tmp_path)
    history = run_dir / "history.jsonl"
    lines = [json.loads(line) for line in history.read_text().splitlines()]
    for line in lines:
        if line.get("type") == "check":
            line["verdict"].pop("conflicts")
            line["verdict"]["rule"]["note"] = "an older note"
    history.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, found = analyze.analyze(run_dir)
    changed = [line for line in found if line.startswith("CHANGED")]
    # the cancel check now carries the HTTP-methods passage: shown, nothing else
    assert [c.split(": ", 1)[1][:40] for c in changed] == [
        'conflicts: [] -> [{"rule": "ua.http-meth'
    ]
    assert code == 1


def test_the_summary_counts_metamorphic_relations_apart_from_the_checks() -> None:
    relations = [
        {"relation": "equivalent-statement", "outcome": "holds"},
        {"relation": "equivalent-statement", "outcome": "broken"},
        {"relation": "grant-added", "outcome": "vacuous"},
    ]
    data = summary.build("r", {}, {}, [], {}, 1, relations=relations)
    assert data["checks"]["total"] == 0
    assert data["relations"] == {
        "total": 3,
        "holds": 1,
        "broken": 1,
        "vacuous": 1,
        "by_relation": {
            "equivalent-statement": {"broken": 1, "holds": 1},
            "grant-added": {"vacuous": 1},
        },
    }
    assert summary.headline(data) == (
        "0 checks: 0 agree, 0 known, 0 new, 0 undecided; "
        "3 metamorphic relations: 1 hold, 1 broken, 1 vacuous"
    )
    assert summary.headline(summary.build("r", {}, {}, [], {}, 0)).endswith("0 undecided")


FIXED = "holds (a break is registered for this version: fixed?)"


def _property(name: str, scope: str, outcome: str) -> dict[str, Any]:
    """A property event line as ``properties.expect`` writes it to the history."""
    return {
        "type": "event",
        "event": "property",
        "property": name,
        "scope": scope,
        "outcome": outcome,
        "druid_version": "27.0.0",
    }


def test_the_summary_lists_security_properties_whose_registered_break_no_longer_happens() -> None:
    events = [
        _property("NO-USER-ENUMERATION", "status", FIXED),
        _property("NO-USER-ENUMERATION", "status", FIXED),  # asked twice, listed once
        _property("NO-USER-ENUMERATION", "cancel", FIXED),
        _property("NO-USER-ENUMERATION", "submit", "known break"),
        _property("NO-ECHO-IN-401", "", "holds"),
        _property("NO-ECHO-IN-401", "", "new break"),
        {"type": "event", "event": "not-judged", "label": "l", "reason": "r"},  # not counted
    ]
    data = summary.build("r", {"druid_version": "27.0.0"}, {}, [], {}, 1, events=events)
    assert data["properties"] == {
        "total": 6,
        "outcomes": {"holds": 1, FIXED: 3, "known break": 1, "new break": 1},
        "fixed": [
            {"property": "NO-USER-ENUMERATION", "scope": "cancel"},
            {"property": "NO-USER-ENUMERATION", "scope": "status"},
        ],
        "new": [{"property": "NO-ECHO-IN-401", "scope": ""}],
    }
    assert summary.headline(data) == (
        "0 checks: 0 agree, 0 known, 0 new, 0 undecided; "
        "6 security property checks: 1 hold, 1 known breaks, 1 new breaks, 3 fixed?"
    )
    assert summary.property_lines(data) == [
        "FIXED?: known break of security property NO-USER-ENUMERATION no longer occurs on "
        "Druid 27.0.0 (cancel, status); see its [[break]] in conformance/runner/properties.toml"
    ]


def test_a_run_without_property_events_counts_none() -> None:
    data = summary.build("r", {}, {}, [], {}, 0)
    assert data["properties"] == {
        "total": 0,
        "outcomes": {"holds": 0, FIXED: 0, "known break": 0, "new break": 0},
        "fixed": [],
        "new": [],
    }
    assert summary.headline(data) == "0 checks: 0 agree, 0 known, 0 new, 0 undecided"
    assert summary.property_lines(data) == []
    held = summary.build("r", {}, {}, [], {}, 0, events=[_property("P", "", "holds")])
    assert summary.headline(held).endswith(
        "1 security property checks: 1 hold, 0 known breaks, 0 new breaks"
    )
    assert summary.property_lines(held) == []


def test_a_recorded_run_reads_its_event_lines(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    history = run_dir / "history.jsonl"
    event = _property("NO-USER-ENUMERATION", "status", FIXED)
    history.write_text(history.read_text() + json.dumps(event) + "\n")
    run = records.load(run_dir)
    assert run.events == [event]
    assert len(run.checks) == len(ROWS)  # the checks are read as before
    fixed = summary.build("r", {}, {}, run.checks, {}, 0, events=run.events)["properties"]["fixed"]
    assert fixed == [{"property": "NO-USER-ENUMERATION", "scope": "status"}]


def test_the_report_counts_metamorphic_relations_when_the_run_made_some(tmp_path: Path) -> None:
    run = records.load(make_run(tmp_path))
    assert "Metamorphic relations" not in html.render(run, [])
    relations = [{"relation": "grant-added", "outcome": "broken"}]
    document = summary.build("r", {}, {}, [], {}, 1, relations=relations)
    page = html.render(dataclasses.replace(run, summary=document), [])
    assert "<h2>Metamorphic relations (1 comparisons)</h2>" in page
    assert "<tr><td>grant-added</td><td>.</td><td>1</td><td>.</td></tr>" in page
