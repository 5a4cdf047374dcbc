"""``report.html``: one self-contained page a person reads after a run (no script, no network).

It opens with how the run ended (exit status, its meaning, the errors that ended it; red unless
0), then shows the permission matrix (operation x query kind x expected vs observed), every
deviation with its minimal example, the passage it contradicts and how to reproduce it, and the
coverage statistics. Matrix rows carry ``data-*`` attributes so that a browser test can read them
back.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from conformance.runner import deviations
from fixtures.errors import SetupError
from reports import coverage, records
from reports.coverage import VERDICT_COLUMNS
from reports.records import RecordedRun, RunEnd
from reports.reproduce import reproduction

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1300px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.agrees{background:#eef8ee}
.known-deviation{background:#fff6dd}.new-deviation{background:#fde8e8}.undecided{background:#eceff4}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;white-space:pre-wrap}
blockquote{border-left:4px solid #bbb;margin:.5em 0;padding:.2em 1em;color:#444}
.end{border:2px solid;padding:.5em 1em;margin:1em 0}.end.ok{background:#eef8ee;border-color:#393}
.end.failed{background:#fde8e8;border-color:#c00;color:#800}.end ul{margin:.3em 0}
"""


@dataclass(frozen=True)
class MatrixRow:
    operation: str
    kind: str
    expected: str  # the oracle's verdict
    expected_status: int
    observed: dict[int, int]  # status -> number of checks
    outcome: str  # the worst outcome among the row's checks

    @property
    def count(self) -> int:
        return sum(self.observed.values())


OUTCOME_ORDER = ("agrees", "known-deviation", "new-deviation", "undecided")


def split_label(label: str) -> tuple[str, str]:
    """'status (other) x SELECT_JOIN' -> ('status (other)', 'SELECT_JOIN')."""
    operation, _, kind = label.rpartition(" x ")
    return (operation, kind) if operation else (label, "")


def matrix(checks: Iterable[Mapping[str, Any]]) -> list[MatrixRow]:
    groups: dict[tuple[str, str, str, int], list[Mapping[str, Any]]] = defaultdict(list)
    for check in checks:
        operation, kind = split_label(str(check["label"]))
        verdict = check["verdict"]
        groups[(operation, kind, str(verdict["verdict"]), int(verdict["status"]))].append(check)
    return [
        MatrixRow(
            op,
            kind,
            expected,
            status,
            dict(sorted(Counter(int(c["observed_status"]) for c in members).items())),
            max((str(c["outcome"]) for c in members), key=OUTCOME_ORDER.index),
        )
        for (op, kind, expected, status), members in sorted(groups.items())
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
        body.append(
            f'<tr class="cell {row.outcome}" data-operation="{escape(row.operation)}" '
            f'data-kind="{escape(row.kind)}" data-expected="{row.expected}" '
            f'data-expected-status="{row.expected_status}" data-observed="{observed_attr}" '
            f'data-count="{row.count}" data-outcome="{row.outcome}">'
            f"<td>{escape(row.operation)}</td><td>{escape(row.kind)}</td>"
            f"<td>{row.expected} ({row.expected_status})</td><td>{observed}</td>"
            f"<td>{row.count}</td><td>{row.outcome}</td></tr>"
        )
    return f'<table id="matrix">{head}{"".join(body)}</table>'


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


def _example_html(run: RecordedRun, check: Mapping[str, Any], number: int) -> str:
    case, verdict = check["case"], check["verdict"]
    exchange = run.exchange_of(check) or {}
    response = str(exchange.get("body", ""))[:600]
    known = ""
    if check.get("deviation"):
        entry = {d.id: d for d in deviations.registry()}.get(str(check["deviation"]))
        title = f": {escape(entry.title)}" if entry else ""
        known = f"<p>known deviation <b>{escape(str(check['deviation']))}</b>{title}</p>"
        if entry:
            known += f"<p>the registry: {escape(entry.observed)}</p>"
    known += _conflicts_html(check)
    return (
        f'<section class="deviation" id="deviation-{number}" data-case="{escape(case["id"])}" '
        f'data-outcome="{check["outcome"]}">'
        f"<h3>{number}. {escape(str(check['cell']))}: documented {verdict['status']}, "
        f"observed {check['observed_status']}</h3>{known}"
        f"<p>statement: <code>{escape(case['sql'])}</code><br>"
        f"actor holds: {escape(_holds(case))} "
        f"({'the submitter' if case.get('actor_is_submitter', True) else 'not the submitter'})"
        f"<br>oracle: {escape(str(verdict['reason']))}</p>"
        f"{_rules_html(run, check)}"
        f"<p>request: {escape(str(exchange.get('method')))} {escape(str(exchange.get('path')))}"
        f" as {escape(str(exchange.get('user')))}<br>response: {check['observed_status']} "
        f"<code>{escape(response)}</code></p>"
        f"<pre>{escape(reproduction(run.dir, check, exchange))}</pre></section>"
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


def _deviations_html(run: RecordedRun) -> str:
    parts = []
    number = 0
    for outcome, title in (("new-deviation", "New deviations"), ("known-deviation", "Known")):
        examples = minimal_examples(run.checks, outcome)
        parts.append(f"<h2>{title} ({len(examples)} distinct)</h2>")
        if not examples:
            parts.append("<p>none</p>")
        for check in examples:
            number += 1
            parts.append(_example_html(run, check, number))
    parts.append(_undecided_html(run.checks))
    return "".join(parts)


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


def _facts_html(summary: Mapping[str, Any]) -> str:
    keys = (
        "druid_version",
        "image",
        "substitutions",
        "suite_version",
        "oracle_profile",
        "hypothesis_profile",
        "hypothesis_seed",
        "exit_status",
        "exit_meaning",
        "checks",
        "tests",
        "timings",
        "throughput",
    )
    rows = "".join(
        f"<tr><th>{k}</th><td>{escape(str(summary.get(k)))}</td></tr>"
        for k in keys
        if summary.get(k) is not None
    )
    return f'<table id="facts">{rows}</table>'


def _end_html(end: RunEnd, checks: int) -> str:
    """The banner: exit status, meaning and errors; green for 0, red otherwise."""
    status = "none" if end.status is None else str(end.status)
    headline = (
        f"No {records.SUMMARY}: {end.meaning}."
        if end.status is None
        else f"The run ended with exit {end.status} ({end.meaning})."
    )
    errors = "".join(f"<li>{escape(error)}</li>" for error in end.errors)
    incomplete = (
        ""
        if end.complete
        else f"<p>Its checks are incomplete: this page shows the {checks} check(s) made before "
        "it ended.</p>"
    )
    return (
        f'<div id="run-end" class="end {"ok" if end.status == 0 else "failed"}" '
        f'data-exit-status="{status}"><b>{escape(headline)}</b>'
        f"{f'<ul>{errors}</ul>' if errors else ''}{incomplete}</div>"
    )


def render(run: RecordedRun, feasible: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>druid-conformance {escape(run.id)}</title><style>{STYLE}</style></head><body>"
        f"<h1>druid-conformance run {escape(run.id)}</h1>{_end_html(run.end, len(run.checks))}"
        f"{_facts_html(run.summary)}"
        "<h2>Permission matrix</h2><p>One row per operation, query kind and the verdict the "
        "documentation gives; observed lists Druid's answers (status x number of checks).</p>"
        f"{_matrix_html(matrix(run.checks))}"
        f"{_deviations_html(run)}"
        f"<h2>Coverage</h2>{_coverage_html(run.checks, feasible)}"
        "</body></html>\n"
    )


def write(path: Path, run: RecordedRun, feasible: Sequence[str]) -> Path:
    path.write_text(render(run, feasible), encoding="utf-8")
    return path
