"""Recorded runs made without Druid: real oracle verdicts next to made-up answers.

The tests of analyze, diff, the reports and certification read these as they would read a real
``reports/<run-id>/``; the files are written by the same History and summary code a run uses.
``make_run`` writes one run; ``make_changed_run`` a second run of the same rows (another run id,
as a second run of the same seed), some of Druid's answers changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from conformance.oracle import Case, decide
from conformance.oracle.permissions import Permission
from conformance.runner import deviations
from conformance.runner.checks import Check
from fixtures.client import Exchange
from reports import summary
from reports.history import History

RUN_ID = "20260101T000000Z-abc123"
SECOND_RUN_ID = "20260102T000000Z-def456"  # make_changed_run's default
DRUID_VERSION = "27.0.0"
SEEDS = frozenset({"wikipedia", "wiki", "Wiki", "koalas"})


@dataclass(frozen=True)
class Row:
    label: str
    operation: str
    sql: str
    permissions: tuple[tuple[str, str, str], ...]  # (type, name, action)
    observed: int
    actor_is_submitter: bool = True
    context: tuple[tuple[str, Any], ...] = ()  # the query context sent, as (key, value) pairs


ROWS = (
    Row("submit x SELECT_DATASOURCE", "submit", 'SELECT page FROM "wikipedia"', (), 403),
    Row(
        "submit x SELECT_DATASOURCE",
        "submit",
        'SELECT page FROM "wikipedia"',
        (("DATASOURCE", "wikipedia", "READ"),),
        202,
    ),
    Row(  # a known deviation: cancel with only the documented READ answers 403
        "cancel (other) x insert",
        "cancel",
        'INSERT INTO "out1" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY',
        (("DATASOURCE", "out1", "READ"),),
        403,
        actor_is_submitter=False,
    ),
    Row(  # a new deviation: the documentation says 403, this made-up Druid says 200
        "status (other) x SELECT_JOIN",
        "status",
        'SELECT w.page FROM "wikipedia" w JOIN "koalas" k ON w.page = k.page',
        (("DATASOURCE", "wikipedia", "READ"),),
        200,
        actor_is_submitter=False,
    ),
)


def _check(
    row: Row,
    number: int,
    history: History,
    run_id: str = RUN_ID,
    druid_version: str = DRUID_VERSION,
    settings: Mapping[str, Any] | None = None,
) -> Check:
    case = Case(
        id=f"{run_id}-{number}",
        operation=row.operation,
        sql=row.sql,
        profile="druid-27",
        settings=dict(settings or {}),
        context=dict(row.context),
        permissions=tuple(
            Permission.from_json({"type": t, "name": n, "action": a}) for t, n, a in row.permissions
        ),
        actor_is_submitter=row.actor_is_submitter,
        existing_datasources=SEEDS,
    )
    exchange = Exchange("POST", "/druid/v2/sql/task", "u1", {}, row.observed, {}, 0.01, 0.0)
    seq = history.record(exchange)
    exchange = Exchange("POST", "/druid/v2/sql/task", "u1", {}, row.observed, {}, 0.01, 0.0, seq)
    check = Check(row.label, case, decide(case), exchange, druid_version)
    deviation = deviations.explain(check)
    if deviation:
        check = Check(row.label, case, check.verdict, exchange, druid_version, deviation)
    history.record_check({**check.to_json(), "exchange_seq": seq})
    return check


def make_run(
    root: Path,
    profile: str = "ci",
    rows: tuple[Row, ...] = ROWS,
    feasible: tuple[str, ...] | None = None,
    *,
    run_id: str = RUN_ID,
    druid_version: str = DRUID_VERSION,
    settings: Mapping[str, Any] | None = None,
    seed: int | None = None,
    not_applicable: tuple[str, ...] = (),
) -> Path:
    """A run directory ``root/<run_id>`` with history.jsonl and summary.json; returns it.
    ``not_applicable``: registry entries the run recorded as not its release's.
    ``feasible``: the cells the summary says the run could hit (default: those its rows hit,
    so coverage is whole). ``settings`` (cluster settings, as ``--druid-setting``) go to every
    case and to the summary, ``seed`` to the summary as the Hypothesis seed."""
    run_dir = root / run_id
    history = History(run_dir / "history.jsonl")
    checks = [
        _check(row, n, history, run_id, druid_version, settings) for n, row in enumerate(rows, 1)
    ]
    history.close()
    lines = [{**c.to_json(), "exchange_seq": c.exchange.seq} for c in checks]
    new = any(c.outcome.value == "new-deviation" for c in checks)
    facts: dict[str, Any] = {
        "druid_version": druid_version,
        "image": "test",
        "hypothesis_profile": profile,
    }
    if settings is not None:
        facts["settings"] = dict(settings)
    if seed is not None:
        facts["hypothesis_seed"] = seed
    if feasible is None:
        feasible = tuple(dict.fromkeys(f"{c.label} x {c.verdict.verdict.value}" for c in checks))
    document = summary.build(
        run_id,
        facts,
        {"cluster_start_to_ready": 1.0},
        lines,
        {"passed": 3},
        int(new),
        feasible=feasible,
        not_applicable=not_applicable,
    )
    summary.write(run_dir / "summary.json", document)
    return run_dir


def make_changed_run(
    root: Path,
    observed: Mapping[int, int] | None = None,
    rows: tuple[Row, ...] = ROWS,
    *,
    run_id: str = SECOND_RUN_ID,
    **options: Any,
) -> Path:
    """``make_run`` of ``rows`` as a second run of the same seed would record them (its own run
    id), Druid's status replaced for the rows at the 0-based indexes ``observed`` maps (index ->
    new status); the oracle judges the new answers. ``options`` go to ``make_run`` (profile,
    druid_version, settings, seed, ...)."""
    changed = tuple(
        replace(row, observed=(observed or {}).get(index, row.observed))
        for index, row in enumerate(rows)
    )
    return make_run(root, rows=changed, run_id=run_id, **options)
