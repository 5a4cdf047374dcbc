"""``diff.html``: two runs compared (``reports/diff.py``), as one self-contained page (no script,
nothing fetched; every recorded text escaped).

Top to bottom: the headline (changed of paired, only in A, only in B) and the warnings; the two
runs side by side (Druid version, settings, oracle and Hypothesis profiles, seed, how each ended);
the change groups as a table, each with its count and smallest example (both answers and
outcomes, the statement, the grants, who asked, the context, both verdicts); every changed pair
of each group; the checks only one run holds, by label. Rows carry ``data-*`` attributes a test
reads back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from fixtures.errors import BadInputError
from fixtures.secrets import SECRETS
from reports.diff import (
    ANSWER,
    ChangeGroup,
    Diff,
    Pair,
    RunFacts,
    actor_text,
    by_label,
    grants_text,
    movement,
    verdict_text,
)
from reports.html import STYLE

COMPARED_FACTS = ("Druid", "settings", "oracle profile", "Hypothesis profile", "seed")
DIFF_STYLE = """
.changed{background:#fbd0d0}.verdict-only{background:#ffeec2}
.warning{border:2px solid #d97700;background:#fff4e0;padding:.4em .8em;margin:.4em 0}
td.sql,code{font-family:monospace}
"""


def _plain(value: Any) -> str:
    return "none" if value is None else str(value)


def _differs(name: str, a: str, b: str) -> str:
    """``changed`` for a fact that tells the runs apart (not the run ids or counts)."""
    return "changed" if a != b and name in COMPARED_FACTS else "same"


def _runs_html(a: RunFacts, b: RunFacts) -> str:
    rows: list[tuple[str, str, str]] = [
        ("run", a.id, b.id),
        ("Druid", _plain(a.druid_version), _plain(b.druid_version)),
        ("settings", a.settings_text(), b.settings_text()),
        ("oracle profile", _plain(a.oracle_profile), _plain(b.oracle_profile)),
        ("Hypothesis profile", _plain(a.hypothesis_profile), _plain(b.hypothesis_profile)),
        ("seed", _plain(a.seed), _plain(b.seed)),
        ("how it ended", a.end.describe(), b.end.describe()),
        ("checks", str(a.checks), str(b.checks)),
    ]
    body = "".join(
        f'<tr data-fact="{escape(name)}" class="{_differs(name, x, y)}">'
        f"<th>{escape(name)}</th><td>{escape(x)}</td><td>{escape(y)}</td></tr>"
        for name, x, y in rows
    )
    return f'<table id="runs"><tr><th></th><th>A</th><th>B</th></tr>{body}</table>'


def _example_html(pair: Pair) -> str:
    a, b = pair.a, pair.b
    case = a["case"]
    context = (
        f"<br>context <code>{escape(json.dumps(case['context'], sort_keys=True))}</code>"
        if case.get("context")
        else ""
    )
    return (
        f"A <b>{a['observed_status']}</b> ({escape(str(a.get('outcome')))}), "
        f"B <b>{b['observed_status']}</b> ({escape(str(b.get('outcome')))})"
        f"<br>statement <code>{escape(str(case['sql']))}</code>"
        f"<br>grants {escape(grants_text(case))}; {escape(actor_text(case))}{context}"
        f"<br>verdict A {escape(verdict_text(a))}, B {escape(verdict_text(b))}"
        f"<br>cases {escape(str(case.get('id')))} and {escape(str(b['case'].get('id')))}"
    )


def _groups_html(groups: Sequence[ChangeGroup]) -> str:
    if not groups:
        return '<h2 id="changes-title">Changes (0)</h2><p id="changes">none: no changed check</p>'
    head = (
        "<tr><th>#</th><th>changed</th><th>operation</th><th>query kind</th><th>rule</th>"
        "<th>transition</th><th>checks</th><th>smallest example</th></tr>"
    )
    rows = []
    for number, group in enumerate(groups, 1):
        what = group.transition
        if group.change == ANSWER:
            first = group.example
            what += f", {movement(first.a['observed_status'], first.b['observed_status'])}"
        css = "changed" if group.change == ANSWER else "verdict-only"
        rows.append(
            f'<tr class="change {css}" data-change="{group.change}" '
            f'data-operation="{escape(group.operation)}" data-kind="{escape(group.kind)}" '
            f'data-rule="{escape(group.rule)}" data-transition="{escape(group.transition)}" '
            f'data-count="{group.count}"><td><a href="#group-{number}">{number}</a></td>'
            f"<td>{group.change}</td><td>{escape(group.operation)}</td>"
            f"<td>{escape(group.kind)}</td><td><code>{escape(group.rule)}</code></td>"
            f"<td class='nowrap'>{escape(what)}</td><td class='num'>{group.count}</td>"
            f"<td>{_example_html(group.example)}</td></tr>"
        )
    return (
        f'<h2 id="changes-title">Changes ({len(groups)} groups)</h2><p>Paired checks whose '
        "answer changed (any 2xx is one answer), then those whose verdict alone changed; grouped "
        "by operation, query kind, deciding rule and transition.</p>"
        f'<table id="changes">{head}{"".join(rows)}</table>'
    )


def _pair_row(pair: Pair) -> str:
    a, b = pair.a, pair.b
    case = a["case"]
    return (
        f'<tr class="pair" data-case-a="{escape(str(case.get("id")))}" '
        f'data-case-b="{escape(str(b["case"].get("id")))}" '
        f'data-status-a="{a["observed_status"]}" data-status-b="{b["observed_status"]}">'
        f"<td>{escape(str(case.get('id')))}</td><td>{escape(str(b['case'].get('id')))}</td>"
        f"<td>{a['observed_status']}</td><td>{b['observed_status']}</td>"
        f"<td>{escape(verdict_text(a))}</td><td>{escape(verdict_text(b))}</td>"
        f"<td>{escape(grants_text(case))}; {escape(actor_text(case))}</td>"
        f"<td class='sql'>{escape(str(case['sql']))}</td></tr>"
    )


def _pairs_html(groups: Sequence[ChangeGroup]) -> str:
    head = (
        "<tr><th>case in A</th><th>case in B</th><th>A</th><th>B</th><th>verdict A</th>"
        "<th>verdict B</th><th>grants</th><th>statement</th></tr>"
    )
    return "".join(
        f'<h3 id="group-{number}">{number}. {escape(group.headline())}</h3>'
        f'<table class="checks">{head}{"".join(_pair_row(p) for p in group.pairs)}</table>'
        for number, group in enumerate(groups, 1)
    )


def _only_html(side: str, checks: Sequence[Mapping[str, Any]]) -> str:
    slug = f"only-{side.lower()}"
    if not checks:
        return f'<h3>Only in {side} (0)</h3><p id="{slug}">none</p>'
    rows = "".join(
        f'<tr data-label="{escape(label)}" data-count="{count}"><td>{escape(label)}</td>'
        f"<td class='num'>{count}</td></tr>"
        for label, count in by_label(checks)
    )
    return (
        f"<h3>Only in {side} ({len(checks)})</h3>"
        f'<table id="{slug}"><tr><th>label</th><th>checks</th></tr>{rows}</table>'
    )


def render(diff: Diff) -> str:
    """The page, secrets scrubbed (``fixtures.secrets``)."""
    n = diff.counts()
    warnings = "".join(f'<p class="warning">{escape(line)}</p>' for line in diff.warnings())
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>druid-conformance diff {escape(diff.a.id)} {escape(diff.b.id)}</title>"
        f"<style>{STYLE}{DIFF_STYLE}</style></head><body>"
        f"<h1>druid-conformance diff: {escape(diff.a.id)} (A) and {escape(diff.b.id)} (B)</h1>"
        f'<p id="headline" data-changed="{n["changed"]}" data-paired="{n["paired"]}" '
        f'data-answers="{n["answers"]}" data-verdicts="{n["verdicts"]}" '
        f'data-only-a="{n["only_a"]}" data-only-b="{n["only_b"]}"><b>'
        f"{escape(diff.headline())}</b></p>{warnings}"
        f'<h2 id="runs-title">The runs</h2>{_runs_html(diff.a, diff.b)}'
        f"{_groups_html(diff.groups)}"
        f'<h2 id="pairs-title">Changed checks by group</h2>{_pairs_html(diff.groups)}'
        '<h2 id="only-title">Checks only one run holds</h2><p>Questions the other run did not '
        "ask (another seed or profile, a test the other did not select, a run that ended "
        "early): counted, not compared.</p>"
        f"{_only_html('A', diff.only_a)}{_only_html('B', diff.only_b)}"
        "</body></html>\n"
    )
    return SECRETS.scrub(page)


def write(path: Path, diff: Diff) -> Path:
    """Write ``render(diff)`` to ``path`` (``path/diff.html`` when it is a directory); returns
    the file written. Raises BadInputError when it cannot be written (no such directory, no
    permission)."""
    target = path / "diff.html" if path.is_dir() else path
    try:
        target.write_text(render(diff), encoding="utf-8")
    except OSError as error:
        raise BadInputError(f"{target}: cannot write the page ({error.strerror})") from None
    return target
