"""SQL scoping of WITH names in the oracle's resource analysis.

Druid SQL is Calcite's: WITH is not recursive, so a WITH element is not visible inside its own
definition nor in the elements before it; it is visible in the elements after it, in the query
the WITH prefixes and everything nested in that query, unless a nested WITH defines the same name
again. Only a bare name can refer to a WITH element: ``druid.x``, ``lookup.x``... never do, nor do
``TABLE(APPEND('x'))`` arguments (string literals resolved against the catalog). Identifiers are
case-sensitive (``A`` and ``a`` differ; ``"a"`` and ``a`` are the same name).

The property test generates statements as small Python values (``Select``, ``SetOp``,
``Statement``...) from a tiny pool of names, so that WITH names collide with datasource names
often; it renders them to SQL, and resolves the names on the values themselves
(``expected_reads``), independently of sqlglot's trees. ``analyze_sql`` must read the same
datasources.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot.errors import OptimizeError

from conformance.oracle import Case, VerdictKind, decide, resources
from conformance.oracle.dialect import MSQ, parse
from conformance.oracle.permissions import Action, Permission
from conformance.oracle.resources import analyze, analyze_sql

# --------------------------------------------------------------------------- unit tests


@pytest.mark.parametrize(
    ("sql", "reads"),
    [
        # a WITH element does not see itself: the inner name is the datasource (issue 12)
        ("WITH wikipedia AS (SELECT * FROM wikipedia) SELECT * FROM wikipedia", {"wikipedia"}),
        ("WITH a AS (SELECT * FROM a) SELECT * FROM b", {"a", "b"}),
        # an element sees the ones before it ...
        ("WITH a AS (SELECT * FROM x), b AS (SELECT * FROM a) SELECT * FROM b", {"x"}),
        # ... not the ones after it
        ("WITH a AS (SELECT * FROM b), b AS (SELECT * FROM x) SELECT * FROM a", {"b", "x"}),
        ("WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM b", {"b"}),
        # an unused element's body is still read
        ("WITH a AS (SELECT * FROM x) SELECT 1", {"x"}),
        # a nested WITH shadows an outer one, and its body sees the outer one
        (
            "WITH a AS (SELECT * FROM x) "
            "SELECT * FROM (WITH a AS (SELECT * FROM a) SELECT * FROM a) AS t",
            {"x"},
        ),
        (
            "WITH a AS (SELECT * FROM x) "
            "SELECT * FROM (WITH a AS (SELECT * FROM y) SELECT * FROM a) AS t, a",
            {"x", "y"},
        ),
        # a nested WITH's names are not visible outside its query
        ("SELECT * FROM (WITH a AS (SELECT * FROM x) SELECT * FROM a) AS t, a", {"x", "a"}),
        (
            "SELECT * FROM t WHERE EXISTS (WITH a AS (SELECT * FROM x) SELECT * FROM a) "
            "AND 1 IN (SELECT * FROM a)",
            {"t", "x", "a"},
        ),
        # subqueries in every clause see the WITH names
        ("WITH a AS (SELECT 1 AS v) SELECT * FROM t WHERE v IN (SELECT v FROM a)", {"t"}),
        ("WITH a AS (SELECT 1 AS v) SELECT * FROM t WHERE EXISTS (SELECT * FROM a)", {"t"}),
        ("WITH a AS (SELECT 1 AS v) SELECT (SELECT MAX(v) FROM a) AS m FROM t", {"t"}),
        (
            "WITH a AS (SELECT 1 AS v) SELECT COUNT(*) FROM t "
            "HAVING COUNT(*) > (SELECT COUNT(*) FROM a)",
            {"t"},
        ),
        (
            "WITH a AS (SELECT 1 AS v) SELECT * FROM t JOIN u ON EXISTS (SELECT * FROM a)",
            {"t", "u"},
        ),
        # derived tables and joins
        ("WITH a AS (SELECT 1 AS v) SELECT * FROM (SELECT * FROM a) AS d JOIN b ON TRUE", {"b"}),
        # an outer alias is not a table name: the inner `a` is the datasource
        ("SELECT * FROM t AS a WHERE EXISTS (SELECT * FROM a)", {"t", "a"}),
        # union branches see the WITH that prefixes the union, and their own
        ("WITH a AS (SELECT * FROM x) SELECT * FROM a UNION ALL SELECT * FROM a", {"x"}),
        (
            "WITH a AS (SELECT * FROM x) (SELECT * FROM a) UNION ALL "
            "(WITH b AS (SELECT * FROM a) SELECT * FROM b) UNION ALL (SELECT * FROM b)",
            {"x", "b"},
        ),
        ("(WITH a AS (SELECT * FROM x) SELECT * FROM a) UNION ALL (SELECT * FROM a)", {"x", "a"}),
        # case-sensitive names; quoting does not change a name
        ("WITH A AS (SELECT * FROM x) SELECT * FROM a", {"x", "a"}),
        ("WITH a AS (SELECT * FROM x) SELECT * FROM A", {"x", "A"}),
        ('WITH "a" AS (SELECT * FROM x) SELECT * FROM a', {"x"}),
        ('WITH a AS (SELECT * FROM x) SELECT * FROM "a"', {"x"}),
        ('WITH "A" AS (SELECT * FROM x) SELECT * FROM "a"', {"x", "a"}),
        ('WITH "my ds" AS (SELECT * FROM x) SELECT * FROM "my ds"', {"x"}),
        # a schema-qualified name is never a WITH element
        ("WITH a AS (SELECT * FROM x) SELECT * FROM druid.a", {"x", "a"}),
        ('WITH a AS (SELECT * FROM x) SELECT * FROM druid."a", a', {"x", "a"}),
        # APPEND names datasources in the catalog: a WITH name does not hide them
        ("WITH a AS (SELECT * FROM x) SELECT * FROM TABLE(APPEND('a', 'b'))", {"x", "a", "b"}),
    ],
)
def test_with_names_are_scoped_as_sql_scopes_them(sql: str, reads: set[str]) -> None:
    assert analyze_sql(sql).datasources_read == reads


@pytest.mark.parametrize(
    ("sql", "reads"),
    [
        ("WITH a AS (SELECT * FROM x) SELECT * FROM a UNION SELECT * FROM a", {"x"}),
        ("WITH a AS (SELECT * FROM x) SELECT * FROM a INTERSECT SELECT * FROM b", {"x", "b"}),
        (
            "WITH a AS (SELECT * FROM x) (SELECT * FROM a) EXCEPT "
            "(WITH b AS (SELECT * FROM a) SELECT * FROM b) INTERSECT (SELECT * FROM b)",
            {"x", "b"},
        ),
        ("(WITH a AS (SELECT * FROM x) SELECT * FROM a) EXCEPT (SELECT * FROM a)", {"x", "a"}),
    ],
)
def test_branches_of_every_set_operation_are_scoped(sql: str, reads: set[str]) -> None:
    """UNION (distinct), INTERSECT and EXCEPT are outside the grammar ``parse`` accepts
    (grammar.toml), so these trees come from the stock parser: scoped right if an edition
    admits them."""
    assert analyze([sqlglot.parse_one(sql, dialect=MSQ)]).datasources_read == reads


def test_other_schemas_are_never_with_elements() -> None:
    res = analyze_sql(
        "WITH servers AS (SELECT 1), lk AS (SELECT 1), v AS (SELECT 1), TABLES AS (SELECT 1) "
        "SELECT * FROM sys.servers, lookup.lk, view.v, INFORMATION_SCHEMA.TABLES"
    )
    assert res.datasources_read == frozenset()
    assert res.sys_tables == {"servers"}
    assert res.lookups == {"lk"}
    assert res.views == {"v"}
    assert res.information_schema_tables == {"TABLES"}


@pytest.mark.parametrize(
    ("sql", "written", "reads"),
    [
        (
            "INSERT INTO a WITH a AS (SELECT * FROM a) SELECT * FROM a PARTITIONED BY DAY",
            "a",
            {"a"},
        ),
        (
            "INSERT INTO a WITH b AS (SELECT * FROM x) SELECT * FROM b PARTITIONED BY DAY",
            "a",
            {"x"},
        ),
        (
            "REPLACE INTO b OVERWRITE ALL WITH b AS (SELECT * FROM x) SELECT * FROM b "
            "PARTITIONED BY ALL",
            "b",
            {"x"},
        ),
        (
            "INSERT INTO a (WITH a AS (SELECT * FROM x) SELECT * FROM a) UNION ALL "
            "(SELECT * FROM a) PARTITIONED BY DAY",
            "a",
            {"x", "a"},
        ),
        (
            "INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV "
            "WITH w AS (SELECT * FROM w) SELECT * FROM w",
            None,
            {"w"},
        ),
    ],
)
def test_the_query_of_an_ingest_is_scoped_and_its_target_is_never_a_with_element(
    sql: str, written: str | None, reads: set[str]
) -> None:
    res = analyze_sql(sql)
    assert res.problems == ()
    assert res.datasource_written == written
    assert res.datasources_read == reads


def test_a_tree_sqlglot_cannot_scope_is_a_problem_not_a_guess(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(query: object) -> list[object]:
        raise OptimizeError("no scope")

    monkeypatch.setattr(resources, "traverse_scope", refuse)
    sql = "WITH a AS (SELECT * FROM x) SELECT * FROM a"
    res = analyze(parse(sql))
    assert res.problems == ("cannot resolve the WITH names: no scope",)


def test_a_self_referencing_with_element_needs_read_on_the_datasource() -> None:
    sql = "WITH wikipedia AS (SELECT * FROM wikipedia) SELECT * FROM wikipedia"
    read = Permission("wikipedia", "DATASOURCE", Action.READ)
    denied = decide(Case(id="no-grants", operation="submit", sql=sql))
    allowed = decide(Case(id="read", operation="submit", sql=sql, permissions=(read,)))
    assert denied.verdict is VerdictKind.FORBIDDEN
    assert [(m.resource.name, m.resource.type, m.action) for m in denied.missing] == [
        ("wikipedia", "DATASOURCE", Action.READ)
    ]
    assert allowed.verdict is VerdictKind.ALLOWED


# --------------------------------------------------------------------------- the model

POOL = ("a", "b", "A", "c")


@dataclass(frozen=True)
class Ref:
    """A table named in FROM: ``form`` is ``bare``, ``quoted`` (``"a"``), ``druid``
    (``druid.a``) or ``lookup`` (``lookup.a``, not a datasource)."""

    name: str
    form: str = "bare"


@dataclass(frozen=True)
class Append:
    """``TABLE(APPEND('a', ...))``."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Derived:
    """``(query) AS alias``."""

    query: Query


Source = Ref | Append | Derived


@dataclass(frozen=True)
class With:
    """A WITH list: (name, quoted, body) in order."""

    elements: tuple[tuple[str, bool, Query], ...] = ()


@dataclass(frozen=True)
class Select:
    """``[WITH] SELECT * [, (sub) AS s] FROM sources [JOIN .. ON on] [WHERE] [HAVING]``;
    ``where`` is (form, query) with form ``exists``, ``in`` or ``scalar``."""

    with_: With
    sources: tuple[tuple[Source, str], ...]  # (source, alias)
    select_sub: Query | None = None
    on_sub: Query | None = None
    where: tuple[str, Query] | None = None
    having: Query | None = None


@dataclass(frozen=True)
class SetOp:
    """``[WITH] (left) op (right)``."""

    with_: With
    op: str
    left: Query
    right: Query


Query = Select | SetOp


@dataclass(frozen=True)
class Statement:
    """``kind`` is ``select``, ``insert``, ``replace`` or ``export``; ``target`` a pool name."""

    kind: str
    target: str
    target_qualified: bool
    query: Query


# --------------------------------------------------------------------------- rendering


def _name(name: str, quoted: bool) -> str:
    return f'"{name}"' if quoted else name


def _render_with(with_: With) -> str:
    if not with_.elements:
        return ""
    items = ", ".join(
        f"{_name(name, quoted)} AS ({render_query(body)})" for name, quoted, body in with_.elements
    )
    return f"WITH {items} "


def _render_source(source: Source, alias: str) -> str:
    if isinstance(source, Ref):
        text = {
            "bare": source.name,
            "quoted": f'"{source.name}"',
            "druid": f"druid.{source.name}",
            "lookup": f"lookup.{source.name}",
        }[source.form]
    elif isinstance(source, Append):
        text = "TABLE(APPEND({}))".format(", ".join(f"'{n}'" for n in source.names))
    else:
        text = f"({render_query(source.query)})"
    return f"{text} AS {alias}"


def render_query(query: Query) -> str:
    """The SQL of a model query."""
    if isinstance(query, SetOp):
        left, right = render_query(query.left), render_query(query.right)
        return f"{_render_with(query.with_)}({left}) {query.op} ({right})"
    columns = "*"
    if query.select_sub is not None:
        columns += f", ({render_query(query.select_sub)}) AS s"
    first, *rest = query.sources
    sql = f"{_render_with(query.with_)}SELECT {columns} FROM {_render_source(*first)}"
    for source in rest:
        on = "TRUE" if query.on_sub is None else f"EXISTS ({render_query(query.on_sub)})"
        sql += f" JOIN {_render_source(*source)} ON {on}"
    if query.where is not None:
        form, sub = query.where
        inner = render_query(sub)
        condition = {"exists": f"EXISTS ({inner})", "in": f"1 IN ({inner})"}.get(
            form, f"({inner}) IS NOT NULL"
        )
        sql += f" WHERE {condition}"
    if query.having is not None:
        sql += f" HAVING COUNT(*) > ({render_query(query.having)})"
    return sql


def render(statement: Statement) -> str:
    """The SQL of a model statement."""
    query = render_query(statement.query)
    target = f"druid.{statement.target}" if statement.target_qualified else statement.target
    if statement.kind == "insert":
        return f"INSERT INTO {target} {query} PARTITIONED BY DAY"
    if statement.kind == "replace":
        return f"REPLACE INTO {target} OVERWRITE ALL {query} PARTITIONED BY ALL"
    if statement.kind == "export":
        return f"INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV {query}"
    return query


# --------------------------------------------------------------------------- the resolver


def _queries_in(query: Select) -> Iterator[Query]:
    for sub in (query.select_sub, query.on_sub, query.having):
        if sub is not None:
            yield sub
    if query.where is not None:
        yield query.where[1]


def expected_reads(query: Query, visible: frozenset[str] = frozenset()) -> set[str]:
    """The datasources a model query reads when the WITH names ``visible`` are in scope."""
    reads: set[str] = set()
    for name, _, body in query.with_.elements:
        reads |= expected_reads(body, visible)  # the outer names and the earlier elements
        visible |= {name}
    if isinstance(query, SetOp):
        return reads | expected_reads(query.left, visible) | expected_reads(query.right, visible)
    for source, _ in query.sources:
        if isinstance(source, Ref):
            if source.form == "druid" or (source.form != "lookup" and source.name not in visible):
                reads.add(source.name)
        elif isinstance(source, Append):
            reads.update(source.names)
        else:
            reads |= expected_reads(source.query, visible)
    for sub in _queries_in(query):
        reads |= expected_reads(sub, visible)
    return reads


# --------------------------------------------------------------------------- strategies

names = st.sampled_from(POOL)


@st.composite
def _with_lists(draw: st.DrawFn, depth: int) -> With:
    count = draw(st.integers(0, 2)) if depth else 0
    # distinct names (one list naming an element twice is another question), often a table's name
    chosen = draw(st.permutations(POOL))[:count]
    return With(tuple((name, draw(st.booleans()), draw(queries(depth - 1))) for name in chosen))


@cache
def _withs(depth: int) -> st.SearchStrategy[With]:
    return _with_lists(depth)


@cache
def _sources(depth: int) -> st.SearchStrategy[Source]:
    ref = st.builds(Ref, names, st.sampled_from(("bare", "bare", "bare", "quoted", "druid")))
    leaf = st.one_of(
        ref,
        st.builds(Ref, names, st.just("lookup")),
        st.builds(Append, st.lists(names, min_size=1, max_size=2).map(tuple)),
    )
    if depth == 0:
        return st.one_of(ref, leaf)
    return st.one_of(ref, leaf, st.builds(Derived, queries(depth - 1)))


CLAUSES = ("select", "on", "exists", "in", "scalar", "having")


@st.composite
def _selects(draw: st.DrawFn, depth: int) -> Select:
    with_ = draw(_withs(depth))
    count = draw(st.integers(1, 2))
    # aliases from the pool too (an alias never hides a table), unique in one FROM
    aliases = draw(st.lists(st.sampled_from((*POOL, "t")), min_size=count, max_size=count))
    sources = tuple(
        (draw(_sources(depth)), f"{alias}{i}" if alias in aliases[:i] else alias)
        for i, alias in enumerate(aliases)
    )
    # at most one subquery, in one of the clauses (keeps statements small)
    clause = draw(st.sampled_from(CLAUSES)) if depth and draw(st.booleans()) else None
    if clause == "on" and count == 1:
        clause = "exists"
    sub = draw(queries(depth - 1)) if clause else None
    return Select(
        with_=with_,
        sources=sources,
        select_sub=sub if clause == "select" else None,
        on_sub=sub if clause == "on" else None,
        where=(clause, sub) if clause in ("exists", "in", "scalar") and sub else None,
        having=sub if clause == "having" else None,
    )


@cache
def queries(depth: int) -> st.SearchStrategy[Query]:
    """Model queries nested at most ``depth`` levels (WITH bodies, derived tables, subqueries,
    set-operation branches)."""
    select = _selects(depth)
    if depth == 0:
        return select
    # UNION ALL: the one set operation Druid documents and ``parse`` accepts
    set_op = st.builds(
        SetOp, _withs(depth), st.just("UNION ALL"), queries(depth - 1), queries(depth - 1)
    )
    return st.one_of(select, select, set_op)


statements = st.builds(
    Statement,
    st.sampled_from(("select", "select", "insert", "replace", "export")),
    names,
    st.booleans(),
    queries(2),
)

EXAMPLES = 2500


@settings(max_examples=EXAMPLES, deadline=None)
@given(statements)
def test_reads_match_an_independent_scope_resolver(statement: Statement) -> None:
    """Over ``EXAMPLES`` generated statements (2,500 in about 30 s of CPU)."""
    sql = render(statement)
    res = analyze_sql(sql)
    assert res.problems == (), sql
    assert res.datasources_read == expected_reads(statement.query), sql
    written = None if statement.kind in ("select", "export") else statement.target
    assert res.datasource_written == written, sql
