"""What a statement touches: the resources an authorizer is asked about.

The oracle never looks at SQL text; it looks at this summary. Reading the summary from a parsed
script is the only place that knows Druid's schemas (SQL reference: tables live in ``druid``,
``sys``, ``INFORMATION_SCHEMA``, ``lookup`` and ``view``) and the MSQ table functions.

Names are compared as written (Druid identifiers are case-sensitive). A bare name is a WITH
element (a CTE), not a datasource, where SQL's scoping puts that element in scope
(``_with_references``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.scope import traverse_scope

from conformance.oracle.catalog import catalog
from conformance.oracle.dialect import (
    context_key,
    function_name,
    is_export,
    is_ingest,
    is_replace,
    is_table_function,
    parse_cached,
)

__all__ = [
    "INPUT_SOURCE_FUNCTIONS",
    "SCHEMAS",
    "StatementKind",
    "StatementResources",
    "analyze",
    "analyze_sql",
]

# The input-source-specific table functions of the SQL-based ingestion reference, in any release
# (conformance/oracle/catalog.toml; which release has which is decision._validate's business).
INPUT_SOURCE_FUNCTIONS: frozenset[str] = catalog().table_functions("external") - {"extern"}
SCHEMAS: frozenset[str] = frozenset({"druid", "sys", "INFORMATION_SCHEMA", "lookup", "view"})


class StatementKind(StrEnum):
    """The kind of a script's one query or ingest statement, by which rules are chosen (a rule's
    ``kinds``): a SELECT, an INSERT or REPLACE into a datasource, or an export (``INSERT INTO
    EXTERN(...)``, in the current SQL-based ingestion reference only)."""

    SELECT = "select"
    INSERT = "insert"
    REPLACE = "replace"
    EXPORT = "export"


@dataclass(frozen=True)
class StatementResources:
    """The resources one MSQ script reads and writes, and what makes it invalid, if anything.

    Names are as written, without their schema: datasources read (``druid`` or no schema,
    ``APPEND`` arguments), the one written by INSERT/REPLACE, ``view``/``lookup``/``sys``/
    ``INFORMATION_SCHEMA`` tables. ``input_source_functions`` are the lower-case table functions
    used (``http``, ``inline``...), ``external_input_types`` the input source types read (an
    EXTERN's ``type``, or ``unknown``), ``table_functions`` every table function used (lower case,
    known or not), ``export_destination`` the export's destination function (``s3``, ``local``...,
    as written in lower case: whether the profile has it is judged by ``decision._validate``).
    ``unknown_tables`` are references in no known schema; ``problems`` one message per reason the
    statement is a bad query (empty when valid).
    """

    kind: StatementKind
    datasources_read: frozenset[str] = frozenset()
    datasource_written: str | None = None
    views: frozenset[str] = frozenset()
    lookups: frozenset[str] = frozenset()
    sys_tables: frozenset[str] = frozenset()
    information_schema_tables: frozenset[str] = frozenset()
    uses_extern: bool = False
    input_source_functions: frozenset[str] = frozenset()
    external_input_types: frozenset[str] = frozenset()
    export_destination: str | None = None
    table_functions: frozenset[str] = frozenset()
    context_keys: frozenset[str] = frozenset()
    unknown_tables: frozenset[str] = frozenset()
    problems: tuple[str, ...] = field(default=())

    @property
    def reads_external(self) -> bool:
        """EXTERN or an input-source table function: what needs EXTERNAL READ (seed 000)."""
        return self.uses_extern or bool(self.input_source_functions)

    def table_references(self) -> frozenset[str]:
        """Every referenced table, schema-qualified except datasources (for existence checks)."""
        return frozenset(
            [*self.datasources_read]
            + [f"view.{v}" for v in self.views]
            + [f"lookup.{name}" for name in self.lookups]
        )


@lru_cache(maxsize=4096)
def analyze_sql(sql: str) -> StatementResources:
    """Parse (cached) and analyse a script; raises ``UnsupportedSyntax`` for bad SQL."""
    return analyze(parse_cached(sql))


def analyze(statements: Sequence[exp.Expr]) -> StatementResources:
    """Summarise a script: leading ``SET`` statements, then exactly one query or ingest.

    ``statements`` as ``dialect.parse`` returns them. Never raises: what is wrong with the
    script (a SET after the query, no or several queries, a bad target) goes to ``problems``.
    """
    problems: list[str] = []
    context_keys: list[str] = []
    main: list[exp.Expr] = []
    for statement in statements:
        key = context_key(statement)
        if key is not None:
            if main:
                problems.append("SET statement after the query")
            context_keys.append(key)
        else:
            main.append(statement)
    if len(main) != 1:
        problems.append(f"a script needs exactly one query or ingest statement, got {len(main)}")
    if not main:
        return StatementResources(
            kind=StatementKind.SELECT,
            context_keys=frozenset(context_keys),
            problems=tuple(problems),
        )
    return _Collector(main[0], context_keys, problems).result()


class _Collector:
    """One walk over a statement's query, sorting each table reference into its bucket."""

    def __init__(self, tree: exp.Expr, context_keys: list[str], problems: list[str]) -> None:
        self.tree = tree
        self.context_keys = context_keys
        self.problems = problems
        self.datasources: set[str] = set()
        self.views: set[str] = set()
        self.lookups: set[str] = set()
        self.sys_tables: set[str] = set()
        self.info_tables: set[str] = set()
        self.unknown: set[str] = set()
        self.input_functions: set[str] = set()
        self.input_types: set[str] = set()
        self.functions: set[str] = set()
        self.uses_extern = False

    def result(self) -> StatementResources:
        kind, written, export = self._target()
        query = self.tree.expression if is_ingest(self.tree) else self.tree
        # one walk; only a statement with a WITH has names to resolve, after it
        has_with = False
        tables: list[exp.Table] = []
        for node in query.find_all(exp.Table, exp.With):  # the type test runs compiled
            if not isinstance(node, exp.Table):
                has_with = True
            elif is_table_function(node):
                self._table_function(node)
            else:
                tables.append(node)
        references = self._with_references(query) if has_with else frozenset()
        for table in tables:
            if id(table) not in references:
                self._table(table)
        return StatementResources(
            kind=kind,
            datasources_read=frozenset(self.datasources),
            datasource_written=written,
            views=frozenset(self.views),
            lookups=frozenset(self.lookups),
            sys_tables=frozenset(self.sys_tables),
            information_schema_tables=frozenset(self.info_tables),
            uses_extern=self.uses_extern,
            input_source_functions=frozenset(self.input_functions),
            external_input_types=frozenset(self.input_types),
            export_destination=export,
            table_functions=frozenset(self.functions),
            context_keys=frozenset(self.context_keys),
            unknown_tables=frozenset(self.unknown),
            problems=tuple(self.problems),
        )

    def _target(self) -> tuple[StatementKind, str | None, str | None]:
        tree = self.tree
        if not is_ingest(tree):
            return StatementKind.SELECT, None, None
        partitioned = tree.args.get("partitioned_by")
        clustered = tree.args.get("clustered_by") or []
        if is_export(tree):
            if is_replace(tree):
                self.problems.append("export supports INSERT only")
            if partitioned or clustered:
                self.problems.append("PARTITIONED BY / CLUSTERED BY are not supported with export")
            fmt = tree.args.get("export_format")
            if fmt is None or str(fmt.name).upper() != "CSV":
                self.problems.append("export format must be CSV")
            return StatementKind.EXPORT, None, function_name(tree)
        if not partitioned:
            self.problems.append("INSERT and REPLACE require PARTITIONED BY")
        if any(isinstance(e, exp.Ordered) and e.args.get("desc") for e in clustered):
            self.problems.append("CLUSTERED BY does not allow DESC")
        kind = StatementKind.REPLACE if is_replace(tree) else StatementKind.INSERT
        return kind, self._datasource_name(tree.this), None

    def _datasource_name(self, table: exp.Expr) -> str | None:
        if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
            self.problems.append("the target of INSERT/REPLACE must be a datasource name")
            return None
        if table.args.get("catalog") or table.db not in ("", "druid"):
            self.problems.append(f"cannot write to {table.sql()}: not a datasource")
            return None
        return str(table.name)

    def _with_references(self, query: exp.Expr) -> frozenset[int]:
        """The ``id`` of each table reference in ``query`` that names a WITH element (a CTE).

        SQL's scoping, which is Druid's (Calcite's): WITH is not recursive, so an element is
        visible in the elements after it in its list and in the query the WITH prefixes, with
        everything nested in that query (derived tables, subqueries in any clause, set-operation
        branches), unless a nested WITH defines the name again; it is not visible in its own body
        nor in the elements before it. Only a bare name can refer to an element (``druid.x``,
        ``lookup.x``... never do), compared as written: case-sensitive, quoted or not. The
        arguments of ``TABLE(APPEND('x', ...))`` are datasource names (strings the catalog
        resolves, never WITH names) and no table references here. An INSERT/REPLACE target is
        not in ``query``.

        sqlglot's scope module implements this scoping: ``traverse_scope`` gives each table
        reference's scope (``Scope.tables``), whose ``cte_sources`` are the WITH elements visible
        in it. tests/test_with_scoping.py checks it against an independent resolver. (It gives a
        WITH RECURSIVE element to its own body, as ISO SQL does; ``dialect.parse`` refuses WITH
        RECURSIVE, which Druid does not document.) The unlikely tree it cannot scope is a
        problem rather than a guess.
        """
        try:
            scopes = traverse_scope(query)
        except OptimizeError as error:
            self.problems.append(f"cannot resolve the WITH names: {error}")
            return frozenset()
        return frozenset(
            id(table)
            for scope in scopes
            for table in scope.tables
            if isinstance(table.this, exp.Identifier)
            and not table.args.get("db")
            and not table.args.get("catalog")
            and table.name in scope.cte_sources
        )

    def _table(self, table: exp.Table) -> None:
        if not isinstance(table.this, exp.Identifier):
            self.problems.append(f"unsupported table expression {table.this.sql()!r}")
            return
        name, schema = str(table.name), str(table.db)
        if table.args.get("catalog"):
            self.unknown.add(table.sql())
        elif schema in ("", "druid"):
            self.datasources.add(name)
        elif schema == "sys":
            self.sys_tables.add(name)
        elif schema == "INFORMATION_SCHEMA":
            self.info_tables.add(name)
        elif schema == "lookup":
            self.lookups.add(name)
        elif schema == "view":
            self.views.add(name)
        else:
            self.unknown.add(f"{schema}.{name}")

    def _table_function(self, node: exp.Table) -> None:
        name = function_name(node)
        self.functions.add(name)
        call = node.this
        args = list(call.expressions) if isinstance(call, exp.Func) else []
        if name == "extern":
            self.uses_extern = True
            self.input_types.add(_extern_input_type(args))
        elif name in INPUT_SOURCE_FUNCTIONS:
            self.input_functions.add(name)
            self.input_types.add(name)
        elif name == "append":
            for arg in args:
                if isinstance(arg, exp.Literal) and arg.is_string:
                    self.datasources.add(str(arg.this))
                else:
                    self.problems.append("APPEND takes datasource names as string literals")


def _extern_input_type(args: Iterable[exp.Expr]) -> str:
    """The ``type`` of EXTERN's input-source JSON (first argument, or ``inputSource =>``)."""
    source: exp.Expr | None = None
    for index, arg in enumerate(args):
        if isinstance(arg, exp.Kwarg):
            if str(arg.this.name) == "inputSource":
                source = arg.expression
        elif index == 0:
            source = arg
    if isinstance(source, exp.Literal) and source.is_string:
        try:
            spec = json.loads(str(source.this))
        except ValueError:
            return "unknown"
        if isinstance(spec, dict) and isinstance(spec.get("type"), str):
            return str(spec["type"])
    return "unknown"
