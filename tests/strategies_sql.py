"""Hypothesis strategies that BUILD MSQ statement trees, with what each tree should read/write.

Kept free of test code so that it can move to the ``strategies`` package as it is: every
strategy returns a ``Generated`` (the tree and the resources it was built to touch), so tests
can check both the dialect (render/parse) and the resource analysis against the builder's intent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from hypothesis import strategies as st
from sqlglot import exp

from conformance.oracle.dialect import (
    MSQ,
    Granularity,
    context_set,
    export_destination,
    export_to,
    insert_into,
    replace_into,
    table_function,
)

__all__ = ["Generated", "identifiers", "scripts", "statements"]

_DIALECT = MSQ()


def _plain(name: str) -> bool:
    """A name the tokenizer reads as one plain identifier (not a keyword)."""
    tokens = _DIALECT.tokenize(name)
    return len(tokens) == 1 and tokens[0].token_type.name == "VAR" and tokens[0].text == name


plain_names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(_plain)
quoted_names = st.text(
    alphabet=st.characters(exclude_categories=["Cc", "Cs"], exclude_characters='"'),
    min_size=1,
    max_size=10,
)


@st.composite
def identifiers(draw: st.DrawFn) -> tuple[str, bool]:
    """(name, quoted): plain names, or quoted names with spaces, dots, unicode."""
    if draw(st.booleans()):
        return draw(plain_names), False
    return draw(quoted_names), True


@dataclass
class Generated:
    """A built tree and the resources it was built to touch."""

    tree: exp.Expression
    kind: str = "select"
    reads: set[str] = field(default_factory=set)
    written: str | None = None
    external: set[str] = field(default_factory=set)
    sys_tables: set[str] = field(default_factory=set)
    lookups: set[str] = field(default_factory=set)
    context_keys: set[str] = field(default_factory=set)


def _table(name: str, quoted: bool, db: str | None = None) -> exp.Table:
    return exp.Table(
        this=exp.to_identifier(name, quoted=quoted),
        db=exp.to_identifier(db) if db else None,
    )


@st.composite
def _source(draw: st.DrawFn, out: Generated) -> exp.Expression:
    """One FROM item: a datasource, a metadata table, a lookup, or a table function."""
    choice = draw(st.sampled_from(["ds", "ds", "druid", "sys", "info", "lookup", "fn"]))
    if choice in ("ds", "druid"):
        name, quoted = draw(identifiers())
        out.reads.add(name)
        return _table(name, quoted, "druid" if choice == "druid" else None)
    if choice == "sys":
        name = draw(st.sampled_from(["segments", "servers", "tasks"]))
        out.sys_tables.add(name)
        return _table(name, False, "sys")
    if choice == "info":
        return _table(draw(st.sampled_from(["TABLES", "COLUMNS"])), False, "INFORMATION_SCHEMA")
    if choice == "lookup":
        name = draw(plain_names)
        out.lookups.add(name)
        return _table(name, False, "lookup")
    return draw(_table_function(out))


@st.composite
def _table_function(draw: st.DrawFn, out: Generated) -> exp.Table:
    kind = draw(st.sampled_from(["extern-json", "extern-named", "http", "inline", "append"]))
    columns = draw(st.lists(plain_names, min_size=1, max_size=3, unique=True))
    defs = [(c, draw(st.sampled_from(["VARCHAR", "BIGINT", "DOUBLE"]))) for c in columns]
    source_type = draw(st.sampled_from(["http", "inline", "local", "s3"]))
    source = exp.Literal.string(json.dumps({"type": source_type, "data": "a\n1"}))
    fmt = exp.Literal.string('{"type":"csv","findColumnsFromHeader":true}')
    if kind == "extern-json":
        out.external.add(source_type)
        signature = json.dumps([{"name": c, "type": "string"} for c in columns])
        return table_function("EXTERN", [source, fmt, exp.Literal.string(signature)])
    if kind == "extern-named":
        out.external.add(source_type)
        return table_function(
            "EXTERN",
            kwargs={"inputSource": source, "inputFormat": fmt},
            columns=defs,
            extend=draw(st.booleans()),
        )
    if kind == "append":
        names = draw(st.lists(plain_names, min_size=1, max_size=3, unique=True))
        out.reads.update(names)
        return table_function("APPEND", [exp.Literal.string(n) for n in names])
    out.external.add(kind)
    args: dict[str, exp.Expr]
    if kind == "http":
        args = {"uris": exp.Array(expressions=[exp.Literal.string("https://example.com/a")])}
    else:
        args = {"data": exp.Literal.string("a\n1")}
    args["format"] = exp.Literal.string("csv")
    return table_function(kind, kwargs=args, columns=defs, extend=draw(st.booleans()))


@st.composite
def _select(draw: st.DrawFn, out: Generated) -> exp.Expression:
    query = exp.select(exp.Star()).from_(draw(_source(out)))
    if draw(st.booleans()):
        query = query.join(draw(_source(out)), on=exp.condition("1 = 1"))
    if draw(st.booleans()):
        query = query.where(exp.condition("__time >= TIMESTAMP '2020-01-01 00:00:00'"))
    if draw(st.booleans()):
        query = query.limit(draw(st.integers(1, 1000)))
    if draw(st.booleans()):
        inner = exp.select(exp.Star()).from_(draw(_source(out)))
        return exp.union(query, inner, distinct=False)
    if draw(st.booleans()):
        cte = draw(plain_names.filter(lambda n: n not in out.reads))
        return exp.select(exp.Star()).from_(cte).with_(cte, as_=query)
    return query


_GRANULARITIES = st.one_of(
    st.sampled_from(["HOUR", "DAY", "MONTH", "YEAR", "ALL"]).map(Granularity.keyword),
    st.just(Granularity.all_time()),
    st.sampled_from(["PT1H", "P1D", "P1M"]).map(Granularity.period),
    st.sampled_from(["PT1H", "P1D"]).map(
        lambda p: exp.Anonymous(
            this="TIME_FLOOR", expressions=[exp.column("__time"), exp.Literal.string(p)]
        )
    ),
)


@st.composite
def statements(draw: st.DrawFn, export: bool = True) -> Generated:
    """One SELECT, INSERT, REPLACE or export statement."""
    kinds = ["select", "insert", "replace", *(["export"] if export else [])]
    kind = draw(st.sampled_from(kinds))
    out = Generated(tree=exp.Select(), kind=kind)
    query = draw(_select(out))
    if kind == "select":
        out.tree = query
        return out
    if kind == "export":
        destination = draw(
            st.sampled_from(
                [
                    export_destination("local", exportPath="/tmp/export"),
                    export_destination("s3", bucket="b", prefix="p"),
                ]
            )
        )
        out.tree = export_to(destination, query)
        return out
    name, quoted = draw(identifiers())
    out.written = name
    target, granularity = _table(name, quoted), draw(_GRANULARITIES)
    clustered: list[exp.Expr] = []
    if draw(st.booleans()):
        columns = draw(st.lists(plain_names, min_size=1, max_size=2, unique=True))
        clustered = [exp.column(c) for c in columns]
    if kind == "insert":
        out.tree = insert_into(target, query, partitioned_by=granularity, clustered_by=clustered)
    else:
        window = draw(
            st.sampled_from(
                [
                    None,  # OVERWRITE ALL
                    exp.condition(
                        "__time >= TIMESTAMP '2020-01-01' AND __time < TIMESTAMP '2020-01-02'"
                    ),
                ]
            )
        )
        out.tree = replace_into(
            target,
            query,
            overwrite_where=window,
            partitioned_by=granularity,
            clustered_by=clustered,
        )
    return out


@st.composite
def scripts(draw: st.DrawFn, export: bool = True) -> tuple[list[exp.Expression], Generated]:
    """Leading ``SET key = value`` statements, then one statement."""
    generated = draw(statements(export=export))
    keys = draw(st.lists(plain_names, max_size=2, unique=True))
    values = st.one_of(st.integers(0, 10), st.booleans(), st.sampled_from(["UTC", "a b"]))
    sets: list[exp.Expression] = [context_set(k, draw(values)) for k in keys]
    generated.context_keys.update(keys)
    return [*sets, generated.tree], generated
