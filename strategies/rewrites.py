"""Equivalent statements: named rewrites that change how a statement is written, not what it
reads, writes or means (SQLancer's metamorphic variants; ``docs/metamorphic.md``).

Each rewrite is a row of :data:`REWRITES`: a name (for reports), what it does, and a function on
the statement's sqlglot tree (the MSQ dialect, ``conformance/oracle/dialect.py``). A rewrite
that cannot apply to a statement says why (:class:`Inapplicable`) instead of producing a
statement that is not equivalent: no WITH to inline, a CTE never referenced (inlining would
drop what it reads), an ingest's column alias (it names a target column), and so on. Druid
treats quoted and unquoted identifiers alike (its SQL planner keeps the case of both and
compares case-sensitively), and ``druid`` is the schema of every datasource.

    >>> rewrite("SELECT page FROM wikipedia", REWRITE["qualify-druid-schema"]).sql
    'SELECT page FROM druid.wikipedia'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlglot import exp

from conformance.oracle.dialect import MSQ, is_export, is_table_function, parse_one, render

__all__ = [
    "REWRITE",
    "REWRITES",
    "Inapplicable",
    "Rewrite",
    "RewriteError",
    "Variant",
    "rewrite",
    "variants",
]

DRUID_SCHEMA = "druid"
_SAFE_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words an unquoted identifier must not be: the dialect's keywords and Calcite's reserved words
# that sqlglot does not tokenize as keywords (SQL:2016 reserved words Druid's parser keeps).
_CALCITE_RESERVED = frozenset(
    {"DAY", "HOUR", "MINUTE", "MONTH", "SECOND", "YEAR", "VALUE", "USER", "TIME", "EXTEND"}
)
_RESERVED = frozenset(MSQ.tokenizer_class.KEYWORDS) | _CALCITE_RESERVED


class NotApplicable(Exception):
    """Raised by a rewrite's function: the statement has nothing this rewrite can change
    equivalently; ``str()`` says why."""


class RewriteError(AssertionError):
    """A rewrite produced SQL the dialect cannot read back: a bug of the rewrite, not of Druid."""


@dataclass(frozen=True)
class Rewrite:
    """A named rewrite: ``apply`` takes a copy of a statement's tree and returns the rewritten
    tree, or raises :class:`NotApplicable`."""

    name: str
    says: str
    apply: Callable[[exp.Expr], exp.Expr]


@dataclass(frozen=True)
class Variant:
    """``sql``, equivalent to the statement ``rewrite`` was applied to."""

    rewrite: str
    sql: str


@dataclass(frozen=True)
class Inapplicable:
    """``rewrite`` has nothing to change in the statement, for ``reason``."""

    rewrite: str
    reason: str


# --------------------------------------------------------------------------- tree helpers


def _query(tree: exp.Expr) -> exp.Expr:
    """The query of a statement: itself, or an INSERT/REPLACE's SELECT."""
    if isinstance(tree, exp.Insert):
        if is_export(tree):
            raise NotApplicable("an export statement")
        query: exp.Expr = tree.expression
        return query
    return tree


def _target(tree: exp.Expr) -> exp.Table | None:
    """An INSERT/REPLACE's target table, if it is a datasource name."""
    if isinstance(tree, exp.Insert) and not is_export(tree) and isinstance(tree.this, exp.Table):
        return tree.this
    return None


def _cte_names(tree: exp.Expr) -> set[str]:
    return {cte.alias for cte in tree.find_all(exp.CTE)}


def _named_tables(tree: exp.Expr) -> Iterator[exp.Table]:
    """Table references by name (no table function), the target included."""
    for table in tree.find_all(exp.Table):
        if not is_table_function(table) and isinstance(table.this, exp.Identifier):
            yield table


def _datasource_reads(tree: exp.Expr) -> list[exp.Table]:
    """The names read as datasources: no schema, not a CTE, not the target."""
    ctes, target = _cte_names(tree), _target(tree)
    return [
        table
        for table in _named_tables(tree)
        if table is not target and not table.db and not table.catalog and table.name not in ctes
    ]


def _used_names(tree: exp.Expr) -> set[str]:
    return {identifier.name for identifier in tree.find_all(exp.Identifier)}


def _fresh(name: str, used: set[str]) -> str:
    """``name_m``, ``name_m2``... whichever is not ``used``."""
    candidate, number = f"{name}_m", 1
    while candidate in used:
        number += 1
        candidate = f"{name}_m{number}"
    return candidate


def _renamed(identifier: exp.Identifier, name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=bool(identifier.args.get("quoted")))


# --------------------------------------------------------------------------- the rewrites


def inline_with(tree: exp.Expr) -> exp.Expr:
    """Each CTE of the statement's WITH as a derived table where it is referenced."""
    query = _query(tree)
    with_ = query.args.get("with_")
    if not isinstance(with_, exp.With):
        raise NotApplicable("no WITH clause")
    if with_.args.get("recursive"):
        raise NotApplicable("a recursive WITH")
    if sum(1 for _ in tree.find_all(exp.With)) > 1:
        raise NotApplicable("a WITH inside a subquery (its names have their own scope)")
    ctes = list(with_.expressions)
    if any(cte.args["alias"].columns for cte in ctes):
        raise NotApplicable("a CTE with a column list")
    query.set("with_", None)
    scopes: list[exp.Expr] = [query, *(cte.this for cte in ctes)]
    for index, cte in enumerate(ctes):
        references = [
            table
            for scope in scopes[:1] + scopes[index + 2 :]  # the query and the later CTEs
            for table in _named_tables(scope)
            if not table.db and table.name == cte.alias
        ]
        if not references:
            raise NotApplicable(f"CTE {cte.alias} is never referenced: inlining would drop it")
        for table in references:
            alias = table.args.get("alias") or exp.TableAlias(this=cte.args["alias"].this.copy())
            table.replace(exp.Subquery(this=cte.this.copy(), alias=alias.copy()))
    return tree


def qualify_druid_schema(tree: exp.Expr) -> exp.Expr:
    """``druid.x`` for every datasource read as ``x`` (not the INSERT/REPLACE target)."""
    tables = _datasource_reads(tree)
    if not tables:
        raise NotApplicable("no datasource read without a schema")
    for table in tables:
        table.set("db", exp.to_identifier(DRUID_SCHEMA))
    return tree


def qualify_target(tree: exp.Expr) -> exp.Expr:
    """``INSERT INTO druid.x`` for ``INSERT INTO x`` (REPLACE alike)."""
    target = _target(_check_ingest(tree))
    if target is None or target.db:
        raise NotApplicable("no target datasource without a schema")
    target.set("db", exp.to_identifier(DRUID_SCHEMA))
    return tree


def unqualify_druid_schema(tree: exp.Expr) -> exp.Expr:
    """``x`` for every ``druid.x`` (read or target), unless a CTE is named ``x``."""
    ctes = _cte_names(tree)
    tables = [t for t in _named_tables(tree) if t.db == DRUID_SCHEMA and not t.catalog]
    if not tables:
        raise NotApplicable("no datasource named with the druid schema")
    if any(table.name in ctes for table in tables):
        raise NotApplicable("a bare name would refer to a CTE of the same name")
    for table in tables:
        table.set("db", None)
    return tree


def quote_identifiers(tree: exp.Expr) -> exp.Expr:
    """Every unquoted identifier (tables, columns, aliases, CTE names) double-quoted."""
    bare = [i for i in tree.find_all(exp.Identifier) if not i.args.get("quoted")]
    if not bare:
        raise NotApplicable("no unquoted identifier")
    for identifier in bare:
        identifier.set("quoted", True)
    return tree


def unquote_identifiers(tree: exp.Expr) -> exp.Expr:
    """Every quoted identifier that reads the same bare (letters, digits, ``_``; no keyword)
    unquoted; the others stay quoted."""
    quoted = [
        i
        for i in tree.find_all(exp.Identifier)
        if i.args.get("quoted") and _SAFE_BARE.fullmatch(i.name) and i.name.upper() not in _RESERVED
    ]
    if not quoted:
        raise NotApplicable("no quoted identifier that reads the same unquoted")
    for identifier in quoted:
        identifier.set("quoted", False)
    return tree


def rename_table_alias(tree: exp.Expr) -> exp.Expr:
    """The first table alias (of a table or a derived table) renamed, with every column
    qualified by it; skipped when its name is used twice or is also a table's name."""
    aliases = [
        alias
        for alias in tree.find_all(exp.TableAlias)
        if isinstance(alias.parent, (exp.Table, exp.Subquery)) and alias.this is not None
    ]
    names = [alias.name for alias in aliases]
    tables = {table.name for table in _named_tables(tree)} | _cte_names(tree)
    usable = [a for a in aliases if names.count(a.name) == 1 and a.name not in tables]
    if not usable:
        raise NotApplicable("no table alias of its own (none, or each used twice or a table name)")
    alias = usable[0]
    old, new = alias.name, _fresh(alias.name, _used_names(tree))
    for column in list(tree.find_all(exp.Column)):
        qualifier = column.args.get("table")
        if isinstance(qualifier, exp.Identifier) and qualifier.name == old and not column.db:
            column.set("table", _renamed(qualifier, new))
    alias.set("this", _renamed(alias.this, new))
    return tree


_ALIAS_CLAUSES = ("where", "group", "having", "order", "qualify")


def rename_column_alias(tree: exp.Expr) -> exp.Expr:
    """The first output column alias of a SELECT renamed, when no clause of that SELECT names
    it (GROUP BY, ORDER BY... may refer to an alias). Not for INSERT/REPLACE: there an alias
    names a column of the target."""
    if isinstance(tree, exp.Insert):
        raise NotApplicable("an ingest's column aliases name its target's columns")
    if not isinstance(tree, exp.Select):
        raise NotApplicable("not a single SELECT")
    referred = {
        column.name
        for clause in _ALIAS_CLAUSES
        if tree.args.get(clause) is not None
        for column in tree.args[clause].find_all(exp.Column)
        if not column.table
    }
    usable = [
        item
        for item in tree.expressions
        if isinstance(item, exp.Alias) and item.alias not in referred
    ]
    if not usable:
        raise NotApplicable("no output column alias that no clause refers to")
    item = usable[0]
    item.set("alias", _renamed(item.args["alias"], _fresh(item.alias, _used_names(tree))))
    return tree


def _check_ingest(tree: exp.Expr) -> exp.Expr:
    if not isinstance(tree, exp.Insert) or is_export(tree):
        raise NotApplicable("not an INSERT or REPLACE into a datasource")
    return tree


REWRITES: tuple[Rewrite, ...] = (
    Rewrite("inline-with", "each CTE inlined as a derived table", inline_with),
    Rewrite("qualify-druid-schema", "datasources read as druid.x", qualify_druid_schema),
    Rewrite("qualify-target", "the INSERT/REPLACE target as druid.x", qualify_target),
    Rewrite("unqualify-druid-schema", "druid.x as x", unqualify_druid_schema),
    Rewrite("quote-identifiers", "every identifier double-quoted", quote_identifiers),
    Rewrite("unquote-identifiers", "quoted identifiers written bare", unquote_identifiers),
    Rewrite("rename-table-alias", "a table alias renamed", rename_table_alias),
    Rewrite("rename-column-alias", "an output column alias renamed", rename_column_alias),
)
"""The rewrites, in the order a statement's variants are listed."""

REWRITE: dict[str, Rewrite] = {r.name: r for r in REWRITES}


def rewrite(sql: str, how: Rewrite) -> Variant | Inapplicable:
    """``sql`` rewritten by ``how``: a :class:`Variant` (rendered in the MSQ dialect, read back
    to make sure it parses), or :class:`Inapplicable` saying why not (also when the rewrite
    changes nothing).

    Raises ``StatementError`` when ``sql`` is not one statement of the dialect, and
    :class:`RewriteError` when the rewritten SQL does not parse.
    """
    tree = parse_one(sql).copy()
    try:
        rewritten = render(how.apply(tree))
    except NotApplicable as why:
        return Inapplicable(how.name, str(why))
    if rewritten == render(parse_one(sql)):
        return Inapplicable(how.name, "the rewrite changes nothing")
    try:
        parse_one(rewritten)
    except ValueError as error:
        raise RewriteError(
            f"{how.name} made {rewritten!r}, which does not parse: {error}"
        ) from error
    return Variant(how.name, rewritten)


def variants(sql: str, rewrites: Sequence[Rewrite] = REWRITES) -> list[Variant | Inapplicable]:
    """Every rewrite of ``rewrites`` applied to ``sql`` on its own, in order (see
    :func:`rewrite`)."""
    return [rewrite(sql, how) for how in rewrites]
