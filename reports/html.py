"""``report.html``: one self-contained page a person reads after a run (no script, no network).

Top to bottom:

- the verdict banner: PASS, FAIL or ERROR from the exit status (its meaning and the errors that
  ended the run; red unless 0), the checks by outcome and the disagreeing checks by severity,
  the Druid version, the oracle and Hypothesis profiles, the seed and the run id;
- the findings, ranked as ``findings.group`` ranks them (as summary.json's ``findings``):
  severity, new before known, size; each with its direction, kind, count, cells and a link to
  the detailed section of its smallest example;
- the permission matrix as grids (``grids``): operations x the generated query kinds, the named
  cases (documented examples, basics) x operations, and operation x condition for the checks
  without a kind (authentication); each cell shows its verdicts and counts, is coloured by the
  worst outcome of its checks and links to the list of them (``Checks by cell``); a cell never
  asked is hatched and empty;
- the run's facts, its timings and throughput as tables;
- every deviation with its minimal example, the passage it contradicts, the request and response
  bodies (pretty JSON) and how to reproduce it; the undecided checks by reason;
- the checks of each grid cell; the matrix by verdict (rows with ``data-*`` attributes that a
  browser test reads back); the coverage.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from conformance.runner import deviations, findings
from conformance.runner.checks import same_answer
from fixtures.errors import SetupError
from reports import coverage, records
from reports.coverage import VERDICT_COLUMNS
from reports.records import RecordedRun, RunEnd
from reports.reproduce import reproduction
from reports.summary import RELATION_OUTCOMES
from strategies.queries import QueryKind

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em 2em;color:#222;max-width:1600px}
h1{font-size:1.4em;margin:.2em 0}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.agrees{background:#e3f5e3}.known-deviation{background:#ffeec2}
.new-deviation{background:#fbd0d0}.undecided{background:#e3e6ec}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;white-space:pre-wrap;margin:.3em 0}
pre.json{max-height:24em;overflow-y:auto;font-size:12px}
blockquote{border-left:4px solid #bbb;margin:.5em 0;padding:.2em 1em;color:#444}
.end{border:2px solid;padding:.6em 1em;margin:.8em 0}.end.ok{background:#eef8ee;border-color:#393}
.end.failed{background:#fde8e8;border-color:#c00;color:#800}
.end[data-verdict=error]{background:#f3e6f7;border-color:#7a1f99;color:#4b0f60}
.end ul{margin:.3em 0}.end p{margin:.35em 0;color:#222}
.verdict{font-size:1.6em;font-weight:700;margin-right:.5em;letter-spacing:.05em}
.chip{display:inline-block;border:1px solid #aaa;border-radius:3px;padding:0 .5em;margin:0 .3em
.2em 0;color:#222}.chip.none{opacity:.45}
.sev{font-weight:700;border-radius:3px;padding:0 .4em;color:#fff}.sev.critical{background:#b00}
.sev.major{background:#d97700}.sev.minor{background:#777}
.conflict{font-weight:700;color:#5b2c83}
table.grid{font-size:12px}table.grid th.kind{font-size:11px;max-width:8em;font-weight:600}
table.grid td.gridcell{min-width:5.5em;padding:0}table.grid td.gridcell a{display:block;
padding:3px 5px;color:#111;text-decoration:none;height:100%}
table.grid td.gridcell a:hover{outline:2px solid #333}
table.grid td.never{background:repeating-linear-gradient(45deg,#fff 0 4px,#efefef 4px 8px);
color:#bbb;text-align:center;vertical-align:middle}
td.gridcell small{display:block;color:#900}.legend span{margin-right:1em}
table.checks{font-size:12px}table.checks td.sql{font-family:monospace;max-width:60em}
td.num{text-align:right;font-variant-numeric:tabular-nums}.nowrap{white-space:nowrap}
.hatch{background:repeating-linear-gradient(45deg,#fff 0 4px,#e4e4e4 4px 8px)}
"""

# the order outcomes are listed in, and the order in which one is worse than another (a grid
# cell or a matrix row shows the worst of its checks)
OUTCOME_ORDER = ("agrees", "known-deviation", "new-deviation", "undecided")
WORST_LAST = ("agrees", "undecided", "known-deviation", "new-deviation")
OUTCOME_WORDS = {
    "agrees": "agree",
    "known-deviation": "known",
    "new-deviation": "new",
    "undecided": "undecided",
}
VERDICT_ORDER = (*VERDICT_COLUMNS, "undecided")
VERDICT_SHORT = {"unauthenticated": "unauth", "not_found": "not found"}  # in grid cells
OPERATION_ORDER = ("submit", "status", "reports", "results", "cancel")
WHO_ORDER = ("", "submitter", "other")
KIND_ORDER = tuple(kind.value for kind in QueryKind)
MAX_BODY = 4000  # characters of a request or response body shown
MAX_CELLS = 8  # cells a finding lists before the rest fold away


def worst(outcomes: Iterable[str]) -> str:
    """The worst of some outcomes: new, then known, then undecided, then agrees."""
    return max(outcomes, key=lambda o: WORST_LAST.index(o) if o in WORST_LAST else -1)


def status_text(status: int | None) -> str:
    """A documented status as the page writes it: ``none`` for an undecided verdict."""
    return "none" if status is None else str(status)


@dataclass(frozen=True)
class MatrixRow:
    operation: str
    kind: str
    expected: str  # the oracle's verdict
    expected_status: int | None  # None when undecided
    observed: dict[int, int]  # status -> number of checks
    outcome: str  # the worst outcome among the row's checks

    @property
    def count(self) -> int:
        return sum(self.observed.values())


def split_label(label: str) -> tuple[str, str]:
    """'status (other) x SELECT_JOIN' -> ('status (other)', 'SELECT_JOIN')."""
    operation, _, kind = label.rpartition(" x ")
    return (operation, kind) if operation else (label, "")


def matrix(checks: Iterable[Mapping[str, Any]]) -> list[MatrixRow]:
    groups: dict[tuple[str, str, str, int | None], list[Mapping[str, Any]]] = defaultdict(list)
    for check in checks:
        operation, kind = split_label(str(check["label"]))
        verdict = check["verdict"]
        status = verdict.get("status")
        key = (operation, kind, str(verdict["verdict"]), None if status is None else int(status))
        groups[key].append(check)
    return [
        MatrixRow(
            op,
            kind,
            expected,
            status,
            dict(sorted(Counter(int(c["observed_status"]) for c in members).items())),
            worst(str(c["outcome"]) for c in members),
        )
        for (op, kind, expected, status), members in sorted(
            groups.items(), key=lambda item: (*item[0][:3], item[0][3] or 0)
        )
    ]


def _matrix_html(rows: Sequence[MatrixRow]) -> str:
    head = (
        "<tr><th>operation</th><th>query kind</th><th>expected</th><th>observed</th>"
        "<th>checks</th><th>outcome</th></tr>"
    )
    body = []
    for row in rows:
        observed = ", ".join(f"{status} x{n}" for status, n in row.observed.items())
        observed_attr = " ".join(f"{status}:{n}" for status, n in row.observed.items())
        expected_status = status_text(row.expected_status)
        body.append(
            f'<tr class="cell {row.outcome}" data-operation="{escape(row.operation)}" '
            f'data-kind="{escape(row.kind)}" data-expected="{row.expected}" '
            f'data-expected-status="{expected_status}" data-observed="{observed_attr}" '
            f'data-count="{row.count}" data-outcome="{row.outcome}">'
            f"<td>{escape(row.operation)}</td><td>{escape(row.kind)}</td>"
            f"<td>{row.expected} ({expected_status})</td><td>{observed}</td>"
            f"<td>{row.count}</td><td>{row.outcome}</td></tr>"
        )
    return f'<table id="matrix">{head}{"".join(body)}</table>'


# --- the grids: operations x query kinds -----------------------------------------------------


@dataclass(frozen=True)
class GridCell:
    """The checks of one operation on one query kind (every verdict)."""

    operation: str
    kind: str
    anchor: str  # the id of its list of checks
    checks: tuple[Mapping[str, Any], ...]

    @property
    def count(self) -> int:
        return len(self.checks)

    @property
    def outcome(self) -> str:
        """The worst outcome of its checks."""
        return worst(str(c["outcome"]) for c in self.checks)

    @property
    def verdicts(self) -> dict[str, int]:
        """verdict -> number of checks, in ``VERDICT_ORDER``."""
        counts = Counter(str(c["verdict"]["verdict"]) for c in self.checks)
        return dict(sorted(counts.items(), key=lambda item: _index(VERDICT_ORDER, item[0])))

    @property
    def outcomes(self) -> dict[str, int]:
        """outcome -> number of checks, in ``OUTCOME_ORDER``."""
        counts = Counter(str(c["outcome"]) for c in self.checks)
        return dict(sorted(counts.items(), key=lambda item: _index(OUTCOME_ORDER, item[0])))


@dataclass(frozen=True)
class Grid:
    """One table of cells: ``positions`` maps each (row, column) to the (operation, kind) it
    shows, ``cells`` those that some check asked (the others are shown empty)."""

    id: str
    title: str
    corner: str  # the header of the row names
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    positions: dict[tuple[str, str], tuple[str, str]]
    cells: dict[tuple[str, str], GridCell]


def _index(order: Sequence[str], value: str) -> int:
    return order.index(value) if value in order else len(order)


def split_who(operation: str) -> tuple[str, str]:
    """'status (other)' -> ('status', 'other'); 'submit' -> ('submit', '')."""
    if operation.endswith(")") and " (" in operation:
        base, _, who = operation[:-1].partition(" (")
        return base, who
    return operation, ""


def operation_key(operation: str) -> tuple[int, int, str, int, str]:
    """Rows: the task API, then the statements API, then the state machine's, then the rest;
    within one, submit, status, reports, results, cancel; then submitter before other."""
    rest, who = split_who(operation)
    api = 0
    for number, prefix in enumerate(("statements.", "stateful "), 1):
        if rest.startswith(prefix):
            api, rest = number, rest[len(prefix) :]
    if not rest.isidentifier():
        api = 3
    return api, _index(OPERATION_ORDER, rest), rest, _index(WHO_ORDER, who), who


def kind_key(kind: str) -> tuple[int, str]:
    """Columns: the query kinds in the generators' order, then any other."""
    return _index(KIND_ORDER, kind), kind


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-") or "none"


def grids(checks: Iterable[Mapping[str, Any]]) -> list[Grid]:
    """The checks' cells in up to three grids: operations x the generated query kinds; the
    named cases (documented examples, basics) x operations; and the checks without a kind
    (authentication) as operation x condition. Grids without a check are left out."""
    members: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for check in checks:
        members[split_label(str(check["label"]))].append(check)
    generated = {key for key in members if key[1] in KIND_ORDER}
    named = {key for key in members if key[1] and key[1] not in KIND_ORDER}
    bare = {key for key in members if not key[1]}
    used: set[str] = set()
    found: list[Grid] = []

    def make(
        grid_id: str,
        title: str,
        corner: str,
        rows: Iterable[str],
        columns: Iterable[str],
        at: Any,  # (row, column) -> (operation, kind)
    ) -> None:
        rows, columns = tuple(rows), tuple(columns)
        positions = {(r, c): at(r, c) for r in rows for c in columns}
        cells: dict[tuple[str, str], GridCell] = {}
        for key in positions.values():
            if key in members:
                anchor = base = f"cell-{_slug(key[0])}--{_slug(key[1])}"
                number = 1
                while anchor in used:
                    number += 1
                    anchor = f"{base}-{number}"
                used.add(anchor)
                cells[key] = GridCell(key[0], key[1], anchor, tuple(members[key]))
        found.append(Grid(grid_id, title, corner, rows, columns, positions, cells))

    if generated:
        make(
            "grid",
            "operation x generated query kind",
            "operation \\ query kind",
            sorted({op for op, _ in generated}, key=operation_key),
            sorted({kind for _, kind in generated}, key=kind_key),
            lambda row, column: (row, column),
        )
    if named:
        make(
            "grid-named",
            "named cases (documented examples, basics) x operation",
            "case \\ operation",
            sorted({kind for _, kind in named}),
            sorted({op for op, _ in named}, key=operation_key),
            lambda row, column: (column, row),
        )
    if bare:
        parts = [split_who(op) for op, _ in bare]
        make(
            "grid-bare",
            "checks without a query kind (authentication, unknown ids) x condition",
            "operation \\ condition",
            sorted({base for base, _ in parts}, key=operation_key),
            sorted({who for _, who in parts}),
            lambda row, column: (f"{row} ({column})" if column else row, ""),
        )
    return found


def _header(text: str, data: str) -> str:
    shown = escape(text).replace("_", "_<wbr>") if text else "(none)"
    return f'<th class="kind" data-value="{escape(data)}">{shown}</th>'


def _cell_html(cell: GridCell) -> str:
    lines = []
    for verdict, n in cell.verdicts.items():
        off = Counter(
            int(c["observed_status"])
            for c in cell.checks
            if c["verdict"]["verdict"] == verdict
            and c["outcome"] in ("known-deviation", "new-deviation")
        )
        line = f"{escape(VERDICT_SHORT.get(verdict, verdict))} {n}"
        if off:
            line += "<small>got " + ", ".join(f"{s} x{k}" for s, k in sorted(off.items()))
            line += "</small>"
        lines.append(f"<span>{line}</span><br>")
    verdicts = " ".join(f"{v}:{n}" for v, n in cell.verdicts.items())
    outcomes = " ".join(f"{o}:{n}" for o, n in cell.outcomes.items())
    title = f"{cell.operation} x {cell.kind}: {cell.count} checks ({outcomes})"
    return (
        f'<td class="gridcell {cell.outcome}" data-operation="{escape(cell.operation)}" '
        f'data-kind="{escape(cell.kind)}" data-outcome="{cell.outcome}" '
        f'data-count="{cell.count}" data-verdicts="{verdicts}" data-outcomes="{outcomes}" '
        f'title="{escape(title)}"><a href="#{cell.anchor}">{"".join(lines)}</a></td>'
    )


def _grid_table(the_grid: Grid) -> str:
    head = f"<tr><th>{escape(the_grid.corner)}</th>" + "".join(
        _header(column, column) for column in the_grid.columns
    )
    rows = []
    for row in the_grid.rows:
        tds = []
        for column in the_grid.columns:
            operation, kind = the_grid.positions[(row, column)]
            cell = the_grid.cells.get((operation, kind))
            tds.append(
                _cell_html(cell)
                if cell
                else f'<td class="gridcell never" data-operation="{escape(operation)}" '
                f'data-kind="{escape(kind)}" data-outcome="" data-count="0" '
                'title="never asked">&ndash;</td>'
            )
        rows.append(f'<tr data-row="{escape(row)}"><th>{escape(row)}</th>{"".join(tds)}</tr>')
    return (
        f"<h3>{escape(the_grid.title)}</h3>"
        f'<table id="{the_grid.id}" class="grid">{head}</tr>{"".join(rows)}</table>'
    )


def _grids_html(the_grids: Sequence[Grid]) -> str:
    if not the_grids:
        return '<p id="grid">no check was made</p>'
    legend = (
        '<p class="legend">each cell: the documented verdicts and how many checks met each '
        "(<small>got</small>: Druid's other answers), coloured by its worst outcome: "
        + "".join(f'<span class="chip {o}">{o}</span>' for o in WORST_LAST)
        + '<span class="chip hatch">never asked</span>; a cell links to its checks.</p>'
    )
    return legend + "".join(map(_grid_table, the_grids))


def _cell_checks_html(the_grids: Sequence[Grid], numbers: Mapping[str, int]) -> str:
    """One section per grid cell listing its checks, the target of the cell's link."""
    parts = []
    for the_grid in the_grids:
        for cell in the_grid.cells.values():
            rows = "".join(_check_row(check, numbers) for check in cell.checks)
            outcomes = ", ".join(f"{n} {o}" for o, n in cell.outcomes.items())
            parts.append(
                f'<section class="cell-checks" id="{cell.anchor}" '
                f'data-operation="{escape(cell.operation)}" data-kind="{escape(cell.kind)}">'
                f"<h3>{escape(cell.operation)} x {escape(cell.kind or '(no kind)')}: "
                f"{cell.count} checks ({outcomes})</h3>"
                '<table class="checks"><tr><th>case</th><th>documented</th><th>observed</th>'
                "<th>outcome</th><th>finding</th><th>actor holds</th><th>statement</th></tr>"
                f"{rows}</table></section>"
            )
    return "".join(parts)


def _check_row(check: Mapping[str, Any], numbers: Mapping[str, int]) -> str:
    case, verdict = check["case"], check["verdict"]
    case_id = str(case["id"])
    shown = escape(case_id)
    if case_id in numbers:
        shown = f'<a href="#deviation-{numbers[case_id]}">{shown}</a>'
    finding = ""
    if check.get("severity"):
        finding = (
            f'<span class="sev {escape(str(check["severity"]))}">{escape(str(check["severity"]))}'
            f"</span> {escape(str(check.get('direction')))}"
        )
        if check.get("finding") == "documentation-conflict":
            finding += ' <span class="conflict">documentation conflict</span>'
    if check.get("deviation"):
        finding += f" {escape(str(check['deviation']))}"
    who = "" if case.get("actor_is_submitter", True) else " (not the submitter)"
    return (
        f'<tr class="check {check["outcome"]}" data-case="{escape(case_id)}" '
        f'data-outcome="{check["outcome"]}"><td>{shown}</td>'
        f"<td>{escape(str(verdict['verdict']))} ({status_text(verdict.get('status'))})</td>"
        f"<td>{check['observed_status']}</td><td>{check['outcome']}</td><td>{finding}</td>"
        f"<td>{escape(_holds(case))}{who}</td><td class='sql'>{escape(str(case['sql']))}</td>"
        "</tr>"
    )


# --- findings ------------------------------------------------------------------------------


def _cell_anchors(the_grids: Sequence[Grid]) -> dict[tuple[str, str], str]:
    return {key: cell.anchor for grid in the_grids for key, cell in grid.cells.items()}


def _findings_html(
    groups: Sequence[findings.FindingGroup],
    anchors: Mapping[tuple[str, str], str],
    numbers: Mapping[str, int],
) -> str:
    if not groups:
        return '<h2 id="findings-title">Findings (0)</h2><p id="findings">none: no disagreement</p>'
    head = (
        "<tr><th>#</th><th>severity</th><th>direction</th><th>kind</th><th>outcome</th>"
        "<th>what</th><th>checks</th><th>cells</th><th>smallest example</th></tr>"
    )
    rows = []
    for number, group in enumerate(groups, 1):
        data = group.to_json()
        example = group.example
        kind = (
            '<span class="conflict">documentation conflict</span>'
            if group.kind == "documentation-conflict"
            else "Druid deviation"
        )
        known = f"known {escape(str(data['deviation']))}" if data["deviation"] else "<b>new</b>"
        what = (
            f"rule <code>{escape(group.rule)}</code>: {escape(str(example['case']['operation']))}"
            f" answered {group.observed_status} where "
            f"{status_text(example['verdict'].get('status'))} is documented"
        )
        links = [
            f'<a href="#{anchor}">{escape(cell)}</a>'
            if (anchor := anchors.get(split_label(cell.rpartition(" x ")[0])))
            else escape(cell)
            for cell in data["cells"]
        ]
        cells = "<br>".join(links[:MAX_CELLS])
        if len(links) > MAX_CELLS:
            cells += (
                f"<details><summary>{len(links) - MAX_CELLS} more</summary>"
                f"{'<br>'.join(links[MAX_CELLS:])}</details>"
            )
        case_id = str(data["example"])
        sql = escape(str(example["case"]["sql"]))
        example_html = (
            f'<a href="#deviation-{numbers[case_id]}">{escape(case_id)}</a>: <code>{sql}</code>'
            if case_id in numbers
            else f"{escape(case_id)}: <code>{sql}</code>"
        )
        rows.append(
            f'<tr class="finding {group.outcome}" data-severity="{data["severity"]}" '
            f'data-direction="{escape(group.direction)}" data-kind="{escape(group.kind)}" '
            f'data-outcome="{group.outcome}" data-rule="{escape(group.rule)}" '
            f'data-observed-status="{group.observed_status}" data-count="{data["count"]}" '
            f'data-example="{escape(case_id)}">'
            f"<td>{number}</td>"
            f'<td><span class="sev {data["severity"]}">{data["severity"]}</span></td>'
            f'<td class="nowrap">{escape(group.direction)}</td><td>{kind}</td><td>{known}</td>'
            f"<td>{what}</td><td class='num'>{data['count']}</td><td>{cells}</td>"
            f"<td>{example_html}</td></tr>"
        )
    return (
        f'<h2 id="findings-title">Findings ({len(groups)})</h2><p>Disagreements grouped by '
        "rule, direction and observed status; the most severe first, new before known, then "
        f'the largest.</p><table id="findings">{head}{"".join(rows)}</table>'
    )


# --- deviations in detail ------------------------------------------------------------------


def _size(check: Mapping[str, Any]) -> tuple[int, int]:
    """Smaller is more minimal: fewer permissions, then a shorter statement."""
    return len(check["case"].get("permissions", [])), len(str(check["case"]["sql"]))


def minimal_examples(checks: Iterable[Mapping[str, Any]], outcome: str) -> list[Mapping[str, Any]]:
    """One smallest check per (cell, observed status, deviation) among those with ``outcome``."""
    groups: dict[tuple[str, int, str], list[Mapping[str, Any]]] = defaultdict(list)
    for check in checks:
        if check["outcome"] == outcome:
            key = (str(check["cell"]), int(check["observed_status"]), str(check["deviation"]))
            groups[key].append(check)
    return [min(members, key=_size) for _, members in sorted(groups.items())]


def detailed_examples(
    checks: Sequence[Mapping[str, Any]], groups: Sequence[findings.FindingGroup], outcome: str
) -> list[Mapping[str, Any]]:
    """The examples shown in detail: ``minimal_examples`` and each finding's smallest example
    (which the findings table links to), in (cell, observed status, deviation) order."""
    chosen = {str(c["case"]["id"]): c for c in minimal_examples(checks, outcome)}
    for group in groups:
        if group.outcome == outcome:
            chosen.setdefault(str(group.example["case"]["id"]), group.example)
    return sorted(
        chosen.values(),
        key=lambda c: (str(c["cell"]), int(c["observed_status"]), str(c["deviation"]), _size(c)),
    )


def _holds(case: Mapping[str, Any]) -> str:
    held = [f"{p['action']} {p['type']} {p['name']!r}" for p in case.get("permissions", [])]
    return ", ".join(held) or "nothing"


def _passages(run: RecordedRun, check: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every documented rule behind the verdict (the recorded line keeps only the deciding one,
    which for an allowed verdict is the success status, so the oracle names the others)."""
    recorded = dict(check["verdict"]["rule"])
    try:
        rules = records.rejudge(run, check).verdict.rules
    except SetupError:
        return [recorded]
    cited = [rule.citation() for rule in rules if rule.effect != "status"]
    return cited or [recorded]


def _rules_html(run: RecordedRun, check: Mapping[str, Any]) -> str:
    return "".join(
        f"<p>rule <code>{escape(str(rule.get('id')))}</code>, {escape(str(rule.get('page')))} "
        f"({escape(str(rule.get('version')))}):</p>"
        f"<blockquote>{escape(str(rule.get('passage', '')).strip())}</blockquote>"
        for rule in _passages(run, check)
    )


def pretty_body(body: Any) -> str:
    """A request or response body as indented JSON (a string holding JSON too); other text as
    it is; at most ``MAX_BODY`` characters."""
    if body is None or body == "":
        return ""
    value = body
    if isinstance(body, str):
        try:
            value = json.loads(body)
        except ValueError:
            value = body
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    )
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY] + f"\n... ({len(text) - MAX_BODY} more characters)"
    return text


def _body_html(what: str, body: Any) -> str:
    text = pretty_body(body)
    if not text:
        return f"<p>{what} body: none</p>"
    return f'<p>{what} body:</p><pre class="json {what}">{escape(text)}</pre>'


def _example_html(run: RecordedRun, check: Mapping[str, Any], number: int) -> str:
    case, verdict = check["case"], check["verdict"]
    exchange = run.exchange_of(check) or {}
    known = ""
    if check.get("deviation"):
        entry = {d.id: d for d in deviations.registry()}.get(str(check["deviation"]))
        title = f": {escape(entry.title)}" if entry else ""
        known = f"<p>known deviation <b>{escape(str(check['deviation']))}</b>{title}</p>"
        if entry:
            known += f"<p>the registry: {escape(entry.observed)}</p>"
    if check.get("severity"):
        known = (
            f'<p><span class="sev {escape(str(check["severity"]))}">'
            f"{escape(str(check['severity']))}</span> {escape(str(check.get('direction')))}</p>"
            + known
        )
    known += _conflicts_html(check)
    return (
        f'<section class="deviation" id="deviation-{number}" data-case="{escape(case["id"])}" '
        f'data-outcome="{check["outcome"]}">'
        f"<h3>{number}. {escape(str(check['cell']))}: documented "
        f"{status_text(verdict.get('status'))}, observed {check['observed_status']}</h3>{known}"
        f"<p>case <code>{escape(case['id'])}</code>; statement: <code>{escape(case['sql'])}</code>"
        f"<br>actor holds: {escape(_holds(case))} "
        f"({'the submitter' if case.get('actor_is_submitter', True) else 'not the submitter'})"
        f"<br>oracle: {escape(str(verdict['reason']))}</p>"
        f"{_rules_html(run, check)}"
        f"<p>request: {escape(str(exchange.get('method')))} {escape(str(exchange.get('path')))}"
        f" as {escape(str(exchange.get('user')))}</p>"
        f"{_body_html('request', exchange.get('request_body'))}"
        f"<p>response: {check['observed_status']}</p>"
        f"{_body_html('response', exchange.get('body'))}"
        f"<p>reproduce:</p><pre>{escape(reproduction(run.dir, check, exchange))}</pre></section>"
    )


def _conflicts_html(check: Mapping[str, Any]) -> str:
    """The passages that contradict the verdict's rules, and whether Druid sided with one."""
    parts = []
    if check.get("finding") == "documentation-conflict":
        parts.append(
            '<p class="finding-kind"><b>documentation conflict</b>: Druid answers as a '
            "conflicting passage says, not as the rule the verdict follows</p>"
        )
    for conflict in check["verdict"].get("conflicts", []):
        rule = conflict["rule"]
        needs = ", ".join(f"{r['action']} {r['type']} {r['name']!r}" for r in conflict["required"])
        parts.append(
            f"<p>conflicting rule <code>{escape(str(rule['id']))}</code>, "
            f"{escape(str(rule['page']))}: would answer {conflict['status']}, requiring "
            f"{escape(needs or 'nothing')}</p>"
            f"<blockquote>{escape(str(rule['passage']).strip())}</blockquote>"
        )
    return "".join(parts)


def _undecided_html(checks: Sequence[Mapping[str, Any]]) -> str:
    """Checks the oracle could not decide, by reason: reported, never counted as agreement."""
    undecided = [c for c in checks if c["outcome"] == "undecided"]
    reasons = Counter(str(c["verdict"]["reason"]) for c in undecided)
    items = "".join(f"<li>{n} x {escape(reason)}</li>" for reason, n in reasons.most_common())
    return f"<h2>Undecided ({len(undecided)} checks)</h2>" + (
        f"<ul id='undecided'>{items}</ul>" if items else "<p>none</p>"
    )


def numbered_examples(
    checks: Sequence[Mapping[str, Any]], groups: Sequence[findings.FindingGroup]
) -> list[tuple[int, Mapping[str, Any]]]:
    """The detailed examples with their section numbers: the new ones, then the known."""
    examples = [
        check
        for outcome in ("new-deviation", "known-deviation")
        for check in detailed_examples(checks, groups, outcome)
    ]
    return list(enumerate(examples, 1))


def _deviations_html(run: RecordedRun, numbered: Sequence[tuple[int, Mapping[str, Any]]]) -> str:
    parts = []
    for outcome, title in (("new-deviation", "New deviations"), ("known-deviation", "Known")):
        examples = [(n, check) for n, check in numbered if check["outcome"] == outcome]
        parts.append(f"<h2>{title} ({len(examples)} distinct)</h2>")
        if not examples:
            parts.append("<p>none</p>")
        for number, check in examples:
            parts.append(_example_html(run, check, number))
    parts.append(_undecided_html(run.checks))
    return "".join(parts)


# --- coverage, facts, banner -----------------------------------------------------------------


def _coverage_html(checks: Sequence[Mapping[str, Any]], feasible: Sequence[str]) -> str:
    counts = coverage.tally_records(checks)
    missing = coverage.missing_cells(counts, feasible)
    head = "<tr><th>operation x kind</th>" + "".join(f"<th>{v}</th>" for v in VERDICT_COLUMNS)
    rows = [
        f"<tr><td>{escape(label)}</td>"
        + "".join(f"<td>{counts.get((label, v), 0) or '.'}</td>" for v in VERDICT_COLUMNS)
        + "</tr>"
        for label in sorted({label for label, _ in counts})
    ]
    summary = (
        f'<p id="coverage-summary" data-hit="{len(feasible) - len(missing)}" '
        f'data-feasible="{len(feasible)}">{len(feasible) - len(missing)} of {len(feasible)} '
        f"feasible task-API cells hit; {len(checks)} checks.</p>"
    )
    never = "".join(f"<li>{escape(cell)}</li>" for cell in missing)
    never_html = f"<p>feasible cells never hit:</p><ul>{never}</ul>" if missing else ""
    return f'{summary}<table id="coverage">{head}</tr>{"".join(rows)}</table>{never_html}'


def _relations_html(relations: Mapping[str, Any]) -> str:
    """The metamorphic comparisons (docs/metamorphic.md) counted per relation; nothing when
    the run made none. A broken one is a failed test, with its exchanges in the history."""
    by_relation = relations.get("by_relation") or {}
    if not by_relation:
        return ""
    columns = RELATION_OUTCOMES
    head = "<tr><th>relation</th>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    rows = "".join(
        f"<tr><td>{escape(name)}</td>"
        + "".join(f"<td>{counts.get(c, 0) or '.'}</td>" for c in columns)
        + "</tr>"
        for name, counts in by_relation.items()
    )
    return (
        f"<h2>Metamorphic relations ({relations.get('total', 0)} comparisons)</h2>"
        "<p>Druid's answers compared with its own (no documentation read): see "
        "docs/metamorphic.md.</p>"
        f'<table id="relations">{head}{rows}</table>'
    )


def _value_html(value: Any) -> str:
    """A fact's value: a mapping as a small table, a list comma-separated, else its text."""
    if isinstance(value, Mapping):
        if not value:
            return "none"
        rows = "".join(
            f"<tr><th>{escape(str(k))}</th><td>{_value_html(v)}</td></tr>" for k, v in value.items()
        )
        return f"<table>{rows}</table>"
    if isinstance(value, list | tuple):
        return escape(", ".join(map(str, value))) or "none"
    return escape(str(value))


def _facts_html(summary: Mapping[str, Any]) -> str:
    keys = (
        "druid_version",
        "image",
        "druid_source",
        "substitutions",
        "suite_version",
        "oracle_profile",
        "hypothesis_profile",
        "hypothesis_seed",
        "settings",
        "exit_status",
        "exit_meaning",
        "tests",
    )
    rows = "".join(
        f"<tr><th>{k}</th><td>{_value_html(summary.get(k))}</td></tr>"
        for k in keys
        if summary.get(k) is not None
    )
    return f'<table id="facts">{rows}</table>'


def _figures_html(table_id: str, figures: Mapping[str, Any], unit: str) -> str:
    """A table of measured figures (name, value), in the order the run recorded them."""
    if not figures:
        return f'<p id="{table_id}">none recorded</p>'
    rows = "".join(
        f'<tr data-name="{escape(str(name))}"><td>{escape(str(name))}</td>'
        f"<td class='num'>{_figure(value)}</td></tr>"
        for name, value in figures.items()
    )
    return f'<table id="{table_id}"><tr><th>name</th><th>{unit}</th></tr>{rows}</table>'


def _figure(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "none" if value is None else escape(str(value))


def _run_html(summary: Mapping[str, Any]) -> str:
    timings, throughput = summary.get("timings") or {}, summary.get("throughput") or {}
    return (
        f'<h2 id="run">The run</h2>{_facts_html(summary)}'
        f"<h3>Timings</h3>{_figures_html('timings', timings, 'seconds')}"
        f"<h3>Throughput</h3>{_figures_html('throughput', throughput, 'value')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def verdict_word(status: int | None) -> str:
    """PASS for exit 0, FAIL for 1 (findings), ERROR for any other end, NO SUMMARY without one."""
    if status is None:
        return "NO SUMMARY"
    return {0: "PASS", 1: "FAIL"}.get(status, "ERROR")


def _end_html(
    end: RunEnd,
    checks: Sequence[Mapping[str, Any]],
    groups: Sequence[findings.FindingGroup],
    run_id: str,
    summary: Mapping[str, Any],
) -> str:
    """The banner: PASS/FAIL/ERROR, exit status, meaning and errors (green for 0, red
    otherwise), the checks by outcome and severity, and what was tested how."""
    status = "none" if end.status is None else str(end.status)
    word = verdict_word(end.status)
    headline = (
        f"No {records.SUMMARY}: {end.meaning}."
        if end.status is None
        else f"The run ended with exit {end.status} ({end.meaning})."
    )
    errors = "".join(f"<li>{escape(error)}</li>" for error in end.errors)
    incomplete = (
        ""
        if end.complete
        else f"<p>Its checks are incomplete: this page shows the {len(checks)} check(s) made "
        "before it ended.</p>"
    )
    outcomes = Counter(str(c["outcome"]) for c in checks)
    outcome_chips = "".join(
        f'<span class="chip {o}{"" if outcomes.get(o) else " none"}" data-outcome="{o}" '
        f'data-count="{outcomes.get(o, 0)}">{outcomes.get(o, 0)} {OUTCOME_WORDS[o]}</span>'
        for o in OUTCOME_ORDER
    )
    severities = Counter[str]()
    finding_counts = Counter[str]()
    for group in groups:
        severities[group.severity.value] += len(group.checks)
        finding_counts[group.severity.value] += 1
    severity_chips = "".join(
        f'<span class="chip{"" if severities.get(s.value) else " none"}" '
        f'data-severity="{s.value}" data-count="{severities.get(s.value, 0)}" '
        f'data-findings="{finding_counts.get(s.value, 0)}"><span class="sev {s.value}">'
        f"{s.value}</span> {_count(severities.get(s.value, 0), 'check')} in "
        f"{_count(finding_counts.get(s.value, 0), 'finding')}</span>"
        for s in findings.Severity
    )
    facts = [
        ("Druid", summary.get("druid_version")),
        ("oracle profile", summary.get("oracle_profile")),
        ("Hypothesis profile", summary.get("hypothesis_profile")),
        ("seed", summary.get("hypothesis_seed")),
        ("run", run_id),
    ]
    facts_html = " &middot; ".join(
        f'{name} <b data-fact="{_slug(name)}">{escape("none" if value is None else str(value))}</b>'
        for name, value in facts
    )
    return (
        f'<div id="run-end" class="end {"ok" if end.status == 0 else "failed"}" '
        f'data-exit-status="{status}" data-verdict="{word.lower().replace(" ", "-")}">'
        f'<span class="verdict">{word}</span><b>{escape(headline)}</b>'
        f"{f'<ul>{errors}</ul>' if errors else ''}{incomplete}"
        f'<p id="outcome-counts">{len(checks)} checks: {outcome_chips}</p>'
        f'<p id="severity-counts">disagreeing: {severity_chips}</p>'
        f'<p id="run-facts">{facts_html}</p></div>'
    )


def ranked(check: Mapping[str, Any]) -> Mapping[str, Any]:
    """A check line with its finding, direction and severity; a history written before they
    were recorded gets them from its statuses and conflicts, as ``Check`` derives them."""
    if check.get("direction") or check.get("outcome") not in ("known-deviation", "new-deviation"):
        return check
    documented, observed = check["verdict"].get("status"), int(check["observed_status"])
    if documented is None or same_answer(documented, observed):
        return check
    direction = findings.direction_of(int(documented), observed)
    conflicts = check["verdict"].get("conflicts", [])
    conflict = any(same_answer(c.get("status"), observed) for c in conflicts)
    kind = findings.FindingKind.DOCUMENTATION_CONFLICT if conflict else None
    return {
        **check,
        "finding": (kind or findings.FindingKind.DRUID_DEVIATION).value,
        "direction": direction.value,
        "severity": findings.SEVERITY[direction].value,
    }


def render(run: RecordedRun, feasible: Sequence[str]) -> str:
    run = dataclasses.replace(run, checks=[dict(ranked(check)) for check in run.checks])
    if run.checks and not run.summary.get("druid_version"):  # no summary.json (yet)
        run = dataclasses.replace(
            run, summary={**run.summary, "druid_version": run.checks[0].get("druid_version")}
        )
    groups = findings.group(run.checks)
    numbered = numbered_examples(run.checks, groups)
    numbers = {str(check["case"]["id"]): number for number, check in numbered}
    the_grids = grids(run.checks)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>druid-conformance {escape(run.id)}</title><style>{STYLE}</style></head><body>"
        f"<h1>druid-conformance run {escape(run.id)}</h1>"
        f"{_end_html(run.end, run.checks, groups, run.id, run.summary)}"
        f"{_findings_html(groups, _cell_anchors(the_grids), numbers)}"
        '<h2 id="grid-title">Permission matrix</h2>'
        f"{_grids_html(the_grids)}"
        f"{_run_html(run.summary)}"
        f"{_deviations_html(run, numbered)}"
        f'<h2 id="checks-by-cell">Checks by cell</h2>{_cell_checks_html(the_grids, numbers)}'
        "<h2>Permission matrix by verdict</h2><p>One row per operation, query kind and the "
        "verdict the documentation gives; observed lists Druid's answers (status x number of "
        "checks).</p>"
        f"{_matrix_html(matrix(run.checks))}"
        f"<h2>Coverage</h2>{_coverage_html(run.checks, feasible)}"
        f"{_relations_html(run.summary.get('relations', {}))}"
        "</body></html>\n"
    )


def write(path: Path, run: RecordedRun, feasible: Sequence[str]) -> Path:
    path.write_text(render(run, feasible), encoding="utf-8")
    return path
