"""MSQ statements built as sqlglot trees and rendered with the MSQ dialect.

Every query is VALID for the target Druid: validation precedes authorization (a bad query is a 400
whatever the user holds, SPEC section 2), so an invalid statement would test nothing about
permissions. The rules below were observed on Druid 27.0.0 (``python -m strategies.validate``
re-checks them on another version):

- SELECT: literal-only ``SELECT 1``, one datasource with filters and aggregation, INNER and LEFT
  joins, derived tables, ``IN (subquery)``, CTEs, and ``TABLE(EXTERN(...))`` all plan and run.
  ``UNION ALL`` (top level or in a derived table) is accepted (202) but the task FAILS with
  ``QueryNotSupported``; ``TABLE(APPEND(...))`` is a 400 (no such function): neither is generated
  for Druid 27 (``QueryKind.SELECT_UNION_ALL`` exists for newer versions, see ``DRUID_27_KINDS``).
- EXTERN: positional ``EXTERN(source, format, signature)``, ``EXTERN(source, format) EXTEND
  (cols)``, the same without the EXTEND keyword, and named arguments ``inputSource =>``,
  ``inputFormat =>`` all run, with an inline input source and csv (header or ``columns``) or json.
- The input-source table functions ``inline``/``http``/``localfiles`` do NOT exist on 27.0.0:
  ``inline(...)`` without a column list is a 400 "No match found for function signature", with a
  column list a 500 "Function inline does not accept an EXTEND clause"; ``localfiles(baseDir =>,
  filter =>)`` is a 400 parse error. Their kinds are generated only when asked for.
- INSERT/REPLACE: PARTITIONED BY ``HOUR|DAY|MONTH|YEAR|ALL TIME`` and ``TIME_FLOOR(__time, ..)``
  are accepted; an ISO period string (``PARTITIONED BY 'P1D'``) is a 400 on 27.0.0. CLUSTERED BY
  columns works. INSERT into an EXISTING datasource with another granularity than its segments
  (HOUR or ALL TIME into the DAY-partitioned seeds) FAILS at run time with
  ``InsertCannotAllocateSegment``, so existing targets get DAY. An INSERT whose SELECT yields no
  row fails (``InsertCannotBeEmpty``), so ingest sources never filter rows away (inner joins and
  ``IN`` subqueries of different datasources can be empty: ingest uses LEFT joins and derived
  tables).
- REPLACE OVERWRITE WHERE: the interval must be aligned with PARTITIONED BY (a 06:00 start with
  DAY is a 400 "not aligned"); MONTH over DAY-partitioned data runs. Every source row is moved
  to the interval's start, so that no row falls outside it and the REPLACE is never empty
  (``InsertCannotBeEmpty``, as for INSERT).

The caller passes the datasources that exist (each with ``__time``, ``page`` and ``added``, like
the seeds of ``fixtures.seed``, and at least one row) and a ``Namer`` for fresh target names; a
fresh target name must be one the cluster allows the suite to create (e.g. ``strat_...``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from sqlglot import exp

from conformance.oracle.dialect import (
    MSQ,
    Granularity,
    insert_into,
    render,
    replace_into,
    table_function,
)
from strategies.naming import Namer

__all__ = [
    "ALL_KINDS",
    "DRUID_27_KINDS",
    "INGEST_KINDS",
    "SEED_DATASOURCES",
    "GeneratedQuery",
    "QueryKind",
    "contexts",
    "queries",
    "query_of_kind",
]

SEED_DATASOURCES: tuple[str, ...] = ("wikipedia", "wiki", "Wiki", "koalas")
COLUMNS: tuple[str, ...] = ("__time", "page", "added")
_DIALECT = MSQ()


class QueryKind(StrEnum):
    SELECT_LITERAL = "SELECT_LITERAL"
    SELECT_DATASOURCE = "SELECT_DATASOURCE"
    SELECT_JOIN = "SELECT_JOIN"
    SELECT_SUBQUERY = "SELECT_SUBQUERY"
    SELECT_CTE = "SELECT_CTE"
    SELECT_EXTERN = "SELECT_EXTERN"
    SELECT_UNION_ALL = "SELECT_UNION_ALL"
    SELECT_TABLE_FUNCTION = "SELECT_TABLE_FUNCTION"
    INSERT_FROM_LITERAL = "INSERT_FROM_LITERAL"
    INSERT_FROM_DATASOURCE = "INSERT_FROM_DATASOURCE"
    INSERT_FROM_EXTERN = "INSERT_FROM_EXTERN"
    INSERT_FROM_TABLE_FUNCTION = "INSERT_FROM_TABLE_FUNCTION"
    REPLACE_ALL = "REPLACE_ALL"
    REPLACE_WHERE = "REPLACE_WHERE"

    @property
    def is_ingest(self) -> bool:
        return self.name.startswith(("INSERT", "REPLACE"))


ALL_KINDS: tuple[QueryKind, ...] = tuple(QueryKind)
NOT_ON_DRUID_27: frozenset[QueryKind] = frozenset(
    {
        QueryKind.SELECT_UNION_ALL,
        QueryKind.SELECT_TABLE_FUNCTION,
        QueryKind.INSERT_FROM_TABLE_FUNCTION,
    }
)
DRUID_27_KINDS: tuple[QueryKind, ...] = tuple(k for k in QueryKind if k not in NOT_ON_DRUID_27)
INGEST_KINDS: frozenset[QueryKind] = frozenset(k for k in QueryKind if k.is_ingest)


@dataclass(frozen=True)
class GeneratedQuery:
    """A rendered statement and what it was built to touch (the oracle must agree)."""

    sql: str
    kind: QueryKind
    context: Mapping[str, Any] = field(default_factory=dict, hash=False)
    reads: frozenset[str] = frozenset()
    writes: str | None = None
    uses_external: bool = False
    tree: exp.Expr | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class _Source:
    """A SELECT and what it reads; ingest sources project exactly ``__time, page, added``."""

    select: exp.Select
    reads: frozenset[str] = frozenset()
    external: bool = False


# --------------------------------------------------------------------------- small pieces


def _table(name: str, alias: str | None = None, schema: str | None = None) -> exp.Expr:
    """``"name"``, or ``druid."name"`` with ``schema`` (the same datasource, SPEC section 3)."""
    db = exp.to_identifier(schema) if schema else None
    table = exp.Table(this=exp.to_identifier(name, quoted=True), db=db)
    return exp.alias_(table, alias, table=True) if alias else table


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def _ts(moment: datetime) -> exp.Expr:
    literal = exp.Literal.string(moment.strftime("%Y-%m-%d %H:%M:%S"))
    return exp.Cast(this=literal, to=exp.DataType.build("TIMESTAMP"))  # TIMESTAMP '...'


def _number(value: int) -> exp.Expr:
    """A number literal as the parser builds it (text, and a minus sign outside)."""
    literal = exp.Literal.number(str(abs(value)))
    return exp.Neg(this=literal) if value < 0 else literal


def _ingest_columns(table: str | None = None) -> list[exp.Expr]:
    return [_col(c, table).as_(c) if table else _col(c) for c in COLUMNS]


_conditions = st.sampled_from(
    [
        "added > 1",
        "added >= 0",
        "page <> 'zz'",
        "__time >= TIMESTAMP '2024-01-01 00:00:00'",
        "page LIKE '%a%'",
    ]
)


@st.composite
def _filtered(draw: st.DrawFn, select: exp.Select) -> exp.Select:
    """Maybe add a WHERE (only on plain SELECTs: ingest never filters rows away)."""
    if draw(st.booleans()):
        return select.where(draw(_conditions), dialect=_DIALECT)
    return select


# --------------------------------------------------------------------------- datasource sources


@st.composite
def _select_list(draw: st.DrawFn, base: exp.Select, ingest: bool) -> exp.Select:
    """What a SELECT over ``base``'s FROM projects: the ingest columns, or a drawn shape."""
    if ingest:
        if draw(st.booleans()):
            return base.select(*_ingest_columns())
        day = exp.func("TIME_FLOOR", _col("__time"), exp.Literal.string("P1D"))
        return base.select(
            day.as_("__time"), _col("page"), exp.func("SUM", _col("added")).as_("added")
        ).group_by(day.copy(), _col("page"))
    shape = draw(st.sampled_from(["columns", "star", "group", "count"]))
    if shape == "columns":
        cols = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3, unique=True))
        return base.select(*(_col(c) for c in cols))
    if shape == "star":
        return base.select("*")
    if shape == "group":
        return base.select(_col("page"), exp.func("SUM", _col("added")).as_("total")).group_by(
            _col("page")
        )
    return base.select(exp.Count(this=exp.Star()).as_("n"))


@st.composite
def _single(draw: st.DrawFn, datasources: Sequence[str], ingest: bool) -> _Source:
    name = draw(st.sampled_from(datasources))
    schema = None
    if draw(st.integers(0, 3)) == 0:  # druid."x" is the datasource x: a resolver may miss it
        schema = "druid"
        event("shape: druid.-qualified datasource")
    select = draw(_select_list(exp.select().from_(_table(name, schema=schema)), ingest))
    if not ingest:
        select = draw(_filtered(select))
        if draw(st.booleans()):
            select = select.limit(draw(st.integers(1, 100)))
    return _Source(select, frozenset({name}))


@st.composite
def _join(draw: st.DrawFn, datasources: Sequence[str], ingest: bool) -> _Source:
    left, right = draw(st.sampled_from(datasources)), draw(st.sampled_from(datasources))
    join_type = "left" if ingest else draw(st.sampled_from(["inner", "left"]))
    select = (
        exp.select(
            _col("__time", "l").as_("__time"),
            _col("page", "l").as_("page"),
            _col("added", "r").as_("added"),
        )
        .from_(_table(left, "l"))
        .join(_table(right, "r"), on="l.page = r.page", join_type=join_type, dialect=_DIALECT)
    )
    return _Source(select, frozenset({left, right}))


@st.composite
def _subquery(draw: st.DrawFn, datasources: Sequence[str], ingest: bool) -> _Source:
    name = draw(st.sampled_from(datasources))
    if ingest or draw(st.booleans()):  # a derived table
        inner = draw(_select_list(exp.select().from_(_table(name)), ingest=True))
        outer = exp.select(*_ingest_columns()).from_(inner.subquery("s"))
        return _Source(outer if ingest else draw(_filtered(outer)), frozenset({name}))
    other = draw(st.sampled_from(datasources))  # WHERE page IN (SELECT page FROM other)
    inner = exp.select(_col("page")).from_(_table(other))
    outer = exp.select(*_ingest_columns()).from_(_table(name))
    return _Source(outer.where(_col("page").isin(query=inner)), frozenset({name, other}))


@st.composite
def _cte_name(draw: st.DrawFn, datasources: Sequence[str]) -> str:
    """``src_cte``, or (1 draw in 3) a datasource's own name: the WITH then shadows that
    datasource in the statement (not in the WITH's own body: WITH is not recursive), and an
    analyzer that takes the name for the datasource asks for a permission that is not needed."""
    if draw(st.integers(0, 2)) == 0:
        event("shape: WITH named like a datasource")
        return draw(st.sampled_from(datasources))
    return "src_cte"


@st.composite
def _cte_body(draw: st.DrawFn, name: str) -> exp.Select:
    """The WITH's body over ``name``; in 1 draw in 4 itself a WITH (a nested WITH)."""
    body = draw(_select_list(exp.select().from_(_table(name)), ingest=True))
    if draw(st.integers(0, 3)) == 0:
        event("shape: nested WITH")
        inner = "inner_cte"
        return exp.select(*_ingest_columns()).from_(inner).with_(inner, as_=body)
    return body


@st.composite
def _cte(draw: st.DrawFn, datasources: Sequence[str], ingest: bool) -> _Source:
    name = draw(st.sampled_from(datasources))
    cte_name = draw(_cte_name(datasources))
    body = draw(_cte_body(name))
    alias = exp.to_identifier(cte_name, quoted=True)
    outer = exp.select(*_ingest_columns()).from_(_table(cte_name)).with_(alias, as_=body)
    if draw(st.booleans()):  # the CTE alone
        return _Source(outer if ingest else draw(_filtered(outer)), frozenset({name}))
    # the CTE joined with a datasource (no filter: ``page`` would be ambiguous); when the
    # datasource drawn has the CTE's name, the join reads the CTE, not the datasource
    other = draw(st.sampled_from(datasources))
    outer = (
        exp.select(*_ingest_columns("c"))
        .from_(_table(cte_name, "c"))
        .join(_table(other, "o"), on="c.page = o.page", join_type="left", dialect=_DIALECT)
        .with_(alias.copy(), as_=body)
    )
    return _Source(outer, frozenset({name} | ({other} - {cte_name})))


_SHAPES = {
    QueryKind.SELECT_DATASOURCE: _single,
    QueryKind.SELECT_JOIN: _join,
    QueryKind.SELECT_SUBQUERY: _subquery,
    QueryKind.SELECT_CTE: _cte,
}


@st.composite
def _any_datasource_source(draw: st.DrawFn, datasources: Sequence[str]) -> _Source:
    """The SELECT of an INSERT/REPLACE from datasources: any of the SELECT shapes."""
    shape = draw(st.sampled_from(sorted(_SHAPES)))
    return draw(_SHAPES[shape](datasources, ingest=True))


# --------------------------------------------------------------------------- literal sources


@st.composite
def _literal_select(draw: st.DrawFn) -> _Source:
    values = st.one_of(
        st.integers(-1000, 1000).map(_number),
        st.from_regex(r"[A-Za-z0-9 ']{0,8}", fullmatch=True).map(exp.Literal.string),
    )
    items = draw(st.lists(values, min_size=1, max_size=3))
    return _Source(exp.select(*(v.as_(f"c{i}") for i, v in enumerate(items))))


@st.composite
def _literal_ingest(draw: st.DrawFn) -> _Source:
    moment = draw(_moments)
    select = exp.select(
        _ts(moment).as_("__time"),
        exp.Literal.string(draw(_pages)).as_("page"),
        _number(draw(st.integers(0, 100))).as_("added"),
    )
    return _Source(select)


# --------------------------------------------------------------------------- external sources

_pages = st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True)
_moments = st.builds(
    lambda day, hour: datetime(2024, 1, 1) + timedelta(days=day, hours=hour),
    st.integers(0, 58),
    st.integers(0, 23),
)
_EXTERN_COLUMNS = (("t", "VARCHAR"), ("page", "VARCHAR"), ("added", "BIGINT"))
_SIGNATURE = json.dumps(
    [
        {"name": "t", "type": "string"},
        {"name": "page", "type": "string"},
        {"name": "added", "type": "long"},
    ]
)


@st.composite
def _inline_rows(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """(input format JSON, format name, data lines) for 1-3 rows of (t, page, added)."""
    rows = draw(st.lists(st.tuples(_moments, _pages, st.integers(0, 100)), min_size=1, max_size=3))
    stamps = [(m.strftime("%Y-%m-%dT%H:%M:%SZ"), p, a) for m, p, a in rows]
    fmt = draw(st.sampled_from(["csv-header", "csv-columns", "json"]))
    if fmt == "json":
        lines = [json.dumps({"t": t, "page": p, "added": a}) for t, p, a in stamps]
        return json.dumps({"type": "json"}), "json", lines
    lines = [f"{t},{p},{a}" for t, p, a in stamps]
    if fmt == "csv-header":
        return (
            json.dumps({"type": "csv", "findColumnsFromHeader": True}),
            "csv",
            ["t,page,added", *lines],
        )
    return json.dumps({"type": "csv", "columns": ["t", "page", "added"]}), "csv", lines


@st.composite
def _extern_call(draw: st.DrawFn) -> exp.Table:
    """``TABLE(EXTERN(...))`` over inline data, in one of the four signature spellings."""
    input_format, _, lines = draw(_inline_rows())
    source = exp.Literal.string(json.dumps({"type": "inline", "data": "\n".join(lines)}))
    form = draw(st.sampled_from(["signature", "extend", "columns", "named"]))
    fmt = exp.Literal.string(input_format)
    if form == "signature":
        return table_function("EXTERN", [source, fmt, exp.Literal.string(_SIGNATURE)])
    if form == "named":
        return table_function(
            "EXTERN", kwargs={"inputSource": source, "inputFormat": fmt}, columns=_EXTERN_COLUMNS
        )
    return table_function("EXTERN", [source, fmt], columns=_EXTERN_COLUMNS, extend=form == "extend")


@st.composite
def _inline_function_call(draw: st.DrawFn) -> exp.Table:
    """``TABLE(inline(data => ARRAY[...], format => 'csv'|'json')) (cols)`` (not on 27.0.0)."""
    _, fmt, lines = draw(_inline_rows())
    if fmt == "csv" and lines[0] == "t,page,added":
        lines = lines[1:]
    data = exp.Array(expressions=[exp.Literal.string(line) for line in lines])
    return table_function(
        "inline",
        kwargs={"data": data, "format": exp.Literal.string(fmt)},
        columns=_EXTERN_COLUMNS,
        extend=draw(st.booleans()),
    )


@st.composite
def _external_source(draw: st.DrawFn, ingest: bool, table_function: bool = False) -> _Source:
    call = draw(_inline_function_call() if table_function else _extern_call())
    if ingest:
        select = exp.select(
            exp.func("TIME_PARSE", _col("t")).as_("__time"), _col("page"), _col("added")
        ).from_(call)
        return _Source(select, external=True)
    cols = draw(st.lists(st.sampled_from(["t", "page", "added"]), min_size=1, unique=True))
    select = exp.select(*(_col(c) for c in cols)).from_(call)
    if draw(st.booleans()):
        select = select.where("added >= 0", dialect=_DIALECT)
    return _Source(select, external=True)


# --------------------------------------------------------------------------- UNION ALL


@st.composite
def _union_all(draw: st.DrawFn, datasources: Sequence[str]) -> tuple[exp.Expr, frozenset[str]]:
    """``SELECT page FROM a UNION ALL SELECT page FROM b`` (fails on 27.0.0, see above)."""
    names = draw(st.lists(st.sampled_from(datasources), min_size=2, max_size=3))
    parts = [exp.select(_col("page")).from_(_table(n)) for n in names]
    union: exp.Expr = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    if draw(st.booleans()):
        union = exp.select(_col("page")).from_(
            exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("u")))
        )
    return union, frozenset(names)


# --------------------------------------------------------------------------- ingest


TARGET_SUFFIXES = ("", "", "", "+eu", ".v2", "$x", " eu", "(1)", "|b", "\u00e9t\u00e9")
"""Endings of a fresh target's name, one drawn (none in three draws of ten): regex
metacharacters, a space or non-ASCII letters (all allowed in a datasource name), so that a
grant written as the bare name (``sales+eu``, a regex that does not match ``sales+eu``) meets
a datasource of that name."""

_NEW_GRANULARITIES = ("HOUR", "DAY", "MONTH", "YEAR", "ALL TIME", "TIME_FLOOR_HOUR")
_WHERE_GRANULARITIES = ("HOUR", "DAY", "MONTH", "YEAR")


def _partitioned_by(unit: str) -> exp.Expr:
    if unit == "ALL TIME":
        return Granularity.all_time()
    if unit == "TIME_FLOOR_HOUR":
        return exp.func("TIME_FLOOR", _col("__time"), exp.Literal.string("PT1H"))
    return Granularity.keyword(unit)


@st.composite
def _aligned_interval(draw: st.DrawFn, unit: str) -> tuple[datetime, datetime]:
    """An interval whose ends fall on ``unit`` boundaries (Druid rejects misaligned ones)."""
    if unit == "HOUR":
        start = datetime(2024, 1, 1 + draw(st.integers(0, 30)), draw(st.integers(0, 17)))
        return start, start + timedelta(hours=draw(st.integers(1, 6)))
    if unit == "DAY":
        start = datetime(2024, 1, 1) + timedelta(days=draw(st.integers(0, 58)))
        return start, start + timedelta(days=draw(st.integers(1, 3)))
    if unit == "MONTH":
        month = draw(st.integers(1, 10))
        return datetime(2024, month, 1), datetime(2024, month + draw(st.integers(1, 2)), 1)
    return datetime(2024, 1, 1), datetime(2025, 1, 1)


def _clustered(draw: st.DrawFn) -> list[exp.Expr]:
    choice = draw(st.sampled_from(["none", "page", "page,added"]))
    if choice == "none":
        return []
    return [_col(c) for c in choice.split(",")]


def _fresh_target(draw: st.DrawFn, namer: Namer) -> str:
    """A new datasource name: the namer's, with one of ``TARGET_SUFFIXES``."""
    suffix = draw(st.sampled_from(TARGET_SUFFIXES))
    if suffix:
        event("target name: with regex metacharacters, a space or non-ASCII letters")
    return namer("ds") + suffix


@st.composite
def _ingest(
    draw: st.DrawFn,
    kind: QueryKind,
    source: _Source,
    namer: Namer,
    existing_targets: Sequence[str],
) -> tuple[exp.Expr, str]:
    existing = bool(existing_targets) and draw(st.booleans())
    target = draw(st.sampled_from(existing_targets)) if existing else _fresh_target(draw, namer)
    clustered = _clustered(draw)
    select = source.select
    if kind is QueryKind.REPLACE_WHERE:
        units = ("DAY", "MONTH", "YEAR") if existing else _WHERE_GRANULARITIES
        unit = draw(st.sampled_from(units))
        start, end = draw(_aligned_interval(unit))
        window = exp.and_(
            exp.GTE(this=_col("__time"), expression=_ts(start)),
            exp.LT(this=_col("__time"), expression=_ts(end)),
        )
        select = _within(select, start)
        tree = replace_into(
            _table(target),
            select,
            overwrite_where=window,
            partitioned_by=Granularity.keyword(unit),
            clustered_by=clustered,
        )
        return tree, target
    unit = "DAY" if existing else draw(st.sampled_from(_NEW_GRANULARITIES))
    if kind is QueryKind.REPLACE_ALL:
        tree = replace_into(
            _table(target), select, partitioned_by=_partitioned_by(unit), clustered_by=clustered
        )
    else:
        tree = insert_into(
            _table(target), select, partitioned_by=_partitioned_by(unit), clustered_by=clustered
        )
    return tree, target


def _within(select: exp.Select, start: datetime) -> exp.Select:
    """``SELECT TIMESTAMP start AS __time, page, added FROM (select) AS w``: every row of the
    source moved to the interval's start, so that none falls outside it and, as the source
    yields rows, the REPLACE never has none (filtered to the interval instead, it often had
    none and failed with ``InsertCannotBeEmpty``: 6 of a certification run's 69 ``results``
    queries). A WITH
    moves outside."""
    inner = select.copy()
    with_ = inner.args.get("with_")
    if with_ is not None:
        inner.set("with_", None)
    columns = [_ts(start).as_("__time"), *(_col(c) for c in COLUMNS if c != "__time")]
    outer = exp.select(*columns).from_(inner.subquery("w"))
    if with_ is not None:
        outer.set("with_", with_)
    return outer


# --------------------------------------------------------------------------- context

_CONTEXT_EXTRAS: dict[str, st.SearchStrategy[Any]] = {
    "finalizeAggregations": st.booleans(),
    "maxParseExceptions": st.just(0),
    "sqlTimeZone": st.just("Etc/UTC"),
    "useApproximateCountDistinct": st.booleans(),
    "groupByEnableMultiValueUnnesting": st.just(False),
}


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, Any]:
    """A small context of harmless keys; always ``maxNumTasks: 2`` (one controller, one
    worker: more would wait for slots a small cluster does not have). Never ``sqlQueryId``."""
    keys = draw(st.lists(st.sampled_from(sorted(_CONTEXT_EXTRAS)), max_size=2, unique=True))
    return {"maxNumTasks": 2, **{key: draw(_CONTEXT_EXTRAS[key]) for key in keys}}


# --------------------------------------------------------------------------- entry points


@st.composite
def query_of_kind(
    draw: st.DrawFn,
    kind: QueryKind,
    namer: Namer,
    datasources: Sequence[str] = SEED_DATASOURCES,
    existing_targets: Sequence[str] = (),
) -> GeneratedQuery:
    """One statement of ``kind``. ``datasources`` exist and may be read; ingest writes to a fresh
    ``namer("ds")`` or, when given, to one of ``existing_targets`` (which it may change)."""
    if not datasources and kind not in _NO_READ_KINDS:
        raise ValueError(f"{kind} reads a datasource: pass at least one")
    context = draw(contexts())
    if kind is QueryKind.SELECT_UNION_ALL:
        tree, reads = draw(_union_all(datasources))
        return _made(tree, kind, context, reads)
    source: _Source
    if kind is QueryKind.SELECT_LITERAL:
        source = draw(_literal_select())
    elif kind in _SHAPES:
        source = draw(_SHAPES[kind](datasources, ingest=False))
    elif kind is QueryKind.SELECT_EXTERN:
        source = draw(_external_source(ingest=False))
    elif kind is QueryKind.SELECT_TABLE_FUNCTION:
        source = draw(_external_source(ingest=False, table_function=True))
    elif kind is QueryKind.INSERT_FROM_LITERAL:
        source = draw(_literal_ingest())
    elif kind is QueryKind.INSERT_FROM_DATASOURCE:
        source = draw(_any_datasource_source(datasources))
    elif kind is QueryKind.INSERT_FROM_EXTERN:
        source = draw(_external_source(ingest=True))
    elif kind is QueryKind.INSERT_FROM_TABLE_FUNCTION:
        source = draw(_external_source(ingest=True, table_function=True))
    else:  # REPLACE_ALL, REPLACE_WHERE: from datasources, external data or literals
        origin = draw(st.sampled_from(["datasource", "extern", "literal"]))
        if origin == "datasource":
            source = draw(_any_datasource_source(datasources))
        elif origin == "extern":
            source = draw(_external_source(ingest=True))
        else:
            source = draw(_literal_ingest())
    if not kind.is_ingest:
        return _made(source.select, kind, context, source.reads, external=source.external)
    tree, target = draw(_ingest(kind, source, namer, existing_targets))
    return _made(tree, kind, context, source.reads, target, source.external)


_NO_READ_KINDS = frozenset(
    {
        QueryKind.SELECT_LITERAL,
        QueryKind.SELECT_EXTERN,
        QueryKind.SELECT_TABLE_FUNCTION,
        QueryKind.INSERT_FROM_LITERAL,
        QueryKind.INSERT_FROM_EXTERN,
        QueryKind.INSERT_FROM_TABLE_FUNCTION,
    }
)


def _made(
    tree: exp.Expr,
    kind: QueryKind,
    context: dict[str, Any],
    reads: frozenset[str],
    writes: str | None = None,
    external: bool = False,
) -> GeneratedQuery:
    return GeneratedQuery(
        sql=render(tree),
        kind=kind,
        context=context,
        reads=reads,
        writes=writes,
        uses_external=external,
        tree=tree,
    )


def queries(
    namer: Namer,
    *,
    datasources: Sequence[str] = SEED_DATASOURCES,
    existing_targets: Sequence[str] = (),
    kinds: Collection[QueryKind] = DRUID_27_KINDS,
) -> st.SearchStrategy[GeneratedQuery]:
    """Statements of any of ``kinds`` (by default those Druid 27.0.0 runs)."""
    chosen = [k for k in QueryKind if k in kinds]
    if not chosen:
        raise ValueError("no query kind to generate")
    return st.sampled_from(chosen).flatmap(
        lambda kind: query_of_kind(kind, namer, datasources, existing_targets)
    )
