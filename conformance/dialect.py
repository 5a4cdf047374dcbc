"""The MSQ dialect: Druid SQL plus the multi-stage-query statements, on top of sqlglot.

sqlglot's Druid dialect parses plain SELECTs but not what the MSQ task engine adds (the SQL-based
ingestion reference page, ``docs/multi-stage-query/reference.md``): ``INSERT``/``REPLACE`` with
``PARTITIONED BY``/``CLUSTERED BY``/``OVERWRITE``, ``TABLE(EXTERN(...))`` and the input-source
table functions with ``EXTEND``, export with ``INSERT INTO EXTERN(...) AS CSV``, and ``SET``.
This module adds them as public sqlglot node types, so that query generators can BUILD trees and
render them, and the oracle can parse what a test submits.

Building trees (every class below is a ``sqlglot.exp.Expression``)::

    from sqlglot import exp
    from conformance.dialect import (ClusteredBy, ExportDestination, MSQInsert, MSQReplace,
                                     Overwrite, PartitionedBy, TableFunction, render)

    # INSERT INTO wiki SELECT * FROM TABLE(EXTERN('{...}', '{...}')) EXTEND (a VARCHAR)
    #   PARTITIONED BY DAY CLUSTERED BY a
    extern = TableFunction.build(
        "EXTERN", [exp.Literal.string('{"type":"inline","data":"a\\n1"}'),
                   exp.Literal.string('{"type":"csv","findColumnsFromHeader":true}')],
        columns=[("a", "VARCHAR")], extend=True)
    query = exp.select("*").from_(extern)
    tree = MSQInsert(this=exp.to_table("wiki"), expression=query,
                     partitioned_by=PartitionedBy.keyword("DAY"),
                     clustered_by=ClusteredBy(expressions=[exp.column("a")]))
    render(tree)

    # REPLACE INTO wiki OVERWRITE WHERE __time >= TIMESTAMP '2020-01-01'
    #   SELECT * FROM src PARTITIONED BY ALL TIME
    MSQReplace(this=exp.to_table("wiki"),
               overwrite=Overwrite(this=exp.condition("__time >= TIMESTAMP '2020-01-01'")),
               expression=exp.select("*").from_("src"), partitioned_by=PartitionedBy.all_time())
    # OVERWRITE ALL is Overwrite(all=True)

    # INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV SELECT * FROM src
    MSQInsert(this=ExportDestination.build("local", exportPath="/x"),
              export_format=exp.Var(this="CSV"), expression=exp.select("*").from_("src"))

    # SET maxNumTasks = 2;
    ContextSet.build("maxNumTasks", 2)

``parse`` and ``render`` are inverse on what the dialect supports: ``parse(render(t)) == [t]``.
Anything else raises ``UnsupportedSyntax`` naming the construct, never a silent guess.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Mapping, Sequence
from functools import lru_cache

from sqlglot import TokenType, exp
from sqlglot.dialects.druid import Druid
from sqlglot.errors import ParseError, TokenError
from sqlglot.generators.druid import DruidGenerator
from sqlglot.parsers.druid import DruidParser

__all__ = [
    "MSQ",
    "ClusteredBy",
    "ContextSet",
    "ExportDestination",
    "MSQInsert",
    "MSQReplace",
    "Overwrite",
    "PartitionedBy",
    "TableFunction",
    "UnsupportedSyntax",
    "parse",
    "parse_cached",
    "parse_one",
    "render",
    "render_script",
]


class UnsupportedSyntax(ValueError):
    """SQL the dialect cannot parse; ``construct`` names what was not understood."""

    def __init__(self, construct: str, detail: str = "") -> None:
        self.construct = construct
        self.detail = detail
        message = f"unsupported syntax: {construct}"
        super().__init__(f"{message} ({detail})" if detail else message)


# --------------------------------------------------------------------------- node types


class PartitionedBy(exp.Expression):
    """``PARTITIONED BY <granularity>``.

    ``this`` is one of: ``exp.Var`` (a time-unit keyword such as ``DAY``, or ``ALL``/``ALL TIME``),
    a string ``exp.Literal`` (``'PT1H'``), or a function (``TIME_FLOOR(__time, 'PT1H')``,
    ``FLOOR(__time TO DAY)``).
    """

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True}

    @classmethod
    def keyword(cls, unit: str) -> PartitionedBy:
        """``PARTITIONED BY HOUR|DAY|MONTH|YEAR|ALL``."""
        return cls(this=exp.Var(this=unit.upper()))

    @classmethod
    def all_time(cls) -> PartitionedBy:
        return cls(this=exp.Var(this="ALL TIME"))

    @classmethod
    def period(cls, iso_period: str) -> PartitionedBy:
        """``PARTITIONED BY 'PT1H'`` (Druid 26.0 and later)."""
        return cls(this=exp.Literal.string(iso_period))


class ClusteredBy(exp.Expression):
    """``CLUSTERED BY <expr>, ...``; ``expressions`` are columns or ``exp.Ordered`` items."""

    arg_types: t.ClassVar[dict[str, bool]] = {"expressions": True}


class Overwrite(exp.Expression):
    """``OVERWRITE ALL`` (``all=True``) or ``OVERWRITE WHERE <condition>`` (``this``)."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": False, "all": False}


class ExportDestination(exp.Expression):
    """``EXTERN(<destination function>)`` as the target of an export (``this`` is the call)."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True}

    @classmethod
    def build(cls, function: str, **kwargs: str) -> ExportDestination:
        """``EXTERN(s3(bucket => 'b', prefix => 'p'))`` / ``EXTERN(local(exportPath => '/x'))``."""
        return cls(this=exp.Anonymous(this=function, expressions=_kwargs(kwargs)))

    @property
    def function_name(self) -> str:
        call = self.this
        return str(call.name if isinstance(call, exp.Func) else call).lower()


class TableFunction(exp.Expression):
    """``TABLE(fn(...)) [EXTEND] (col TYPE, ...) [AS alias]`` in a FROM clause.

    ``this`` is the call (``EXTERN``, ``http``, ``inline``, ``localfiles``, ``s3``, ``APPEND``);
    ``columns`` are ``exp.ColumnDef``; ``extend`` records whether the optional EXTEND keyword was
    written (both spellings are valid, the reference page says EXTEND is optional).
    """

    arg_types: t.ClassVar[dict[str, bool]] = {
        "this": True,
        "columns": False,
        "extend": False,
        "alias": False,
    }

    @classmethod
    def build(
        cls,
        function: str,
        args: Sequence[exp.Expr] = (),
        *,
        kwargs: Mapping[str, exp.Expr] | None = None,
        columns: Sequence[tuple[str, str]] = (),
        extend: bool = False,
        alias: str | None = None,
    ) -> TableFunction:
        """Build ``TABLE(function(args..., key => value...)) [EXTEND] (columns)``."""
        expressions: list[exp.Expr] = list(args)
        for key, value in (kwargs or {}).items():
            expressions.append(exp.Kwarg(this=exp.Var(this=key), expression=value))
        node = cls(this=exp.Anonymous(this=function, expressions=expressions))
        if columns:
            node.set(
                "columns",
                [
                    exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(kind))
                    for name, kind in columns
                ],
            )
            node.set("extend", extend or None)
        if alias:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return node

    @property
    def function_name(self) -> str:
        call = self.this
        return str(call.name if isinstance(call, exp.Func) else call).lower()

    @property
    def alias_or_name(self) -> str:
        alias = self.args.get("alias")
        return alias.name if alias else ""


class _Ingest(exp.Expression):
    """Shared shape of INSERT and REPLACE: target, query, partitioning, clustering, export."""

    arg_types: t.ClassVar[dict[str, bool]] = {
        "this": True,  # exp.Table, or ExportDestination for an export
        "expression": True,  # the query: Select / SetOperation (with its WITH clause)
        "partitioned_by": False,
        "clustered_by": False,
        "export_format": False,  # exp.Var, e.g. CSV, for INSERT INTO EXTERN(...) AS CSV
    }

    @property
    def is_export(self) -> bool:
        return isinstance(self.this, ExportDestination)


class MSQInsert(_Ingest):
    """``INSERT INTO <table|EXTERN(...) AS fmt> <query> [PARTITIONED BY ..] [CLUSTERED BY ..]``."""


class MSQReplace(_Ingest):
    """``REPLACE INTO <table> OVERWRITE ALL|WHERE .. <query> PARTITIONED BY .. [CLUSTERED BY]``."""

    arg_types: t.ClassVar[dict[str, bool]] = {**_Ingest.arg_types, "overwrite": True}


class ContextSet(exp.Expression):
    """``SET key = value`` (a query-context parameter set in SQL); ``this`` is the key."""

    arg_types: t.ClassVar[dict[str, bool]] = {"this": True, "expression": True}

    @classmethod
    def build(cls, key: str, value: str | int | float | bool) -> ContextSet:
        return cls(this=exp.to_identifier(key), expression=_literal(value))

    @property
    def context_key(self) -> str:
        return str(self.this.name)


def _literal(value: str | int | float | bool) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    return exp.Literal.number(value)


def _kwargs(kwargs: dict[str, str]) -> list[exp.Expr]:
    return [
        exp.Kwarg(this=exp.Var(this=key), expression=exp.Literal.string(value))
        for key, value in kwargs.items()
    ]


# --------------------------------------------------------------------------- parser

_UNSUPPORTED_STATEMENTS: dict[type[exp.Expr], str] = {
    exp.Insert: "INSERT outside the MSQ form",
    exp.Delete: "DELETE statement",
    exp.Update: "UPDATE statement",
    exp.Merge: "MERGE statement",
    exp.Create: "CREATE statement",
    exp.Drop: "DROP statement",
    exp.Alter: "ALTER statement",
    exp.Command: "statement",
    exp.Set: "SET statement other than SET key = value",
    exp.Use: "USE statement",
}

_QUERY_TYPES = (exp.Select, exp.SetOperation, exp.Subquery)


class MSQParser(DruidParser):
    """Druid's parser plus the MSQ statements; see the module docstring."""

    STATEMENT_PARSERS: t.ClassVar = {
        **DruidParser.STATEMENT_PARSERS,
        TokenType.INSERT: lambda self: self._parse_msq_ingest(replace=False),
        TokenType.REPLACE: lambda self: self._parse_msq_ingest(replace=True),
        TokenType.SET: lambda self: self._parse_context_set(),
    }

    # -- statements

    def _parse_msq_ingest(self, replace: bool) -> exp.Expr:
        verb = "REPLACE" if replace else "INSERT"
        if not self._match(TokenType.INTO):
            self.raise_error(f"{verb} must be followed by INTO")
        target = self._parse_ingest_target()
        args: dict[str, t.Any] = {"this": target}
        if isinstance(target, ExportDestination):
            if not self._match(TokenType.ALIAS):
                self.raise_error("export to EXTERN(...) needs AS <format>")
            args["export_format"] = exp.Var(this=self._advance_any_text().upper())
        if replace:
            args["overwrite"] = self._parse_overwrite()
        query = self._parse_ingest_query()
        if query is None:
            self.raise_error(f"{verb} INTO needs a SELECT query")
        args["expression"] = query
        if self._match(TokenType.PARTITION_BY):
            args["partitioned_by"] = PartitionedBy(this=self._parse_granularity())
        if self._match_text_seq("CLUSTERED", "BY"):
            args["clustered_by"] = ClusteredBy(expressions=self._parse_csv(self._parse_ordered))
        node_cls = MSQReplace if replace else MSQInsert
        return self.expression(node_cls(**args))

    def _advance_any_text(self) -> str:
        if not self._curr:
            self.raise_error("unexpected end of statement")
            return ""
        text = self._curr.text
        self._advance()
        return text

    def _parse_ingest_target(self) -> exp.Expr:
        if (
            self._curr
            and self._curr.text.upper() == "EXTERN"
            and self._next
            and self._next.token_type == TokenType.L_PAREN
        ):
            call = self._parse_function(anonymous=True)
            if not isinstance(call, exp.Func) or len(call.expressions) != 1:
                self.raise_error("EXTERN as an export destination takes one destination function")
            assert isinstance(call, exp.Func)
            return ExportDestination(this=call.expressions[0])
        # the name only: `INSERT INTO t (SELECT ..) UNION ..` must not read `t(...)` as a call
        parts = [self._parse_id_var(any_token=False)]
        while parts[-1] is not None and self._match(TokenType.DOT):
            parts.append(self._parse_id_var(any_token=True))
        if parts[-1] is None or len(parts) > 3:
            self.raise_error("expected a target datasource after INTO")
        names = [*([None] * (3 - len(parts))), *parts]
        return self.expression(exp.Table(catalog=names[0], db=names[1], this=names[2]))

    def _parse_overwrite(self) -> Overwrite:
        if not self._match(TokenType.OVERWRITE):
            self.raise_error("REPLACE INTO <table> must be followed by OVERWRITE ALL or WHERE")
        if self._match(TokenType.ALL):
            return Overwrite(all=True)
        if self._match(TokenType.WHERE):
            return Overwrite(this=self._parse_assignment())
        self.raise_error("OVERWRITE must be followed by ALL or WHERE")
        return Overwrite(all=True)

    def _parse_ingest_query(self) -> exp.Expr | None:
        # nested: a query may start with a parenthesised operand, `(SELECT .. LIMIT 1) UNION ..`
        query = self._parse_select(nested=True, parse_subquery_alias=False)
        query = self._parse_set_operations(query)
        return self._parse_query_modifiers(query) if query else None

    def _parse_granularity(self) -> exp.Expr:
        curr = self._curr
        if curr is None:
            self.raise_error("PARTITIONED BY needs a granularity")
            return exp.Var(this="ALL")
        if curr.token_type == TokenType.STRING:
            self._advance()
            return exp.Literal.string(curr.text)
        if curr.token_type == TokenType.ALL:
            self._advance()
            return exp.Var(this="ALL TIME" if self._match_text_seq("TIME") else "ALL")
        if self._next and self._next.token_type == TokenType.L_PAREN:
            call = self._parse_function()
            if call is None:
                self.raise_error("PARTITIONED BY: expected a granularity function")
            assert call is not None
            return call
        self._advance()
        return exp.Var(this=curr.text.upper())

    def _parse_context_set(self) -> exp.Expr:
        index = self._index
        key = self._parse_id_var(any_token=True)
        if key is not None and self._match(TokenType.EQ):
            value = self._parse_primary() or self._parse_unary()
            if isinstance(value, exp.Literal | exp.Boolean | exp.Neg) and self._is_statement_end():
                return self.expression(ContextSet(this=key, expression=value))
        self._retreat(index)
        return self._parse_set()

    def _is_statement_end(self) -> bool:
        return self._curr is None or self._curr.token_type in (
            TokenType.SEMICOLON,
            TokenType.SENTINEL,
        )

    # -- table functions in FROM

    def _parse_table(self, *args: t.Any, **kwargs: t.Any) -> exp.Expr | None:
        if (
            self._curr
            and self._curr.token_type == TokenType.TABLE
            and self._next
            and self._next.token_type == TokenType.L_PAREN
        ):
            return self._parse_table_function()
        result: exp.Expr | None = super()._parse_table(*args, **kwargs)
        return result

    def _parse_table_function(self) -> TableFunction:
        self._advance()  # TABLE
        self._match(TokenType.L_PAREN)
        # anonymous: table functions are Druid's (inline, http, ...), never sqlglot's built-ins
        call = self._parse_function(anonymous=True, any_token=True)
        if call is None:
            self.raise_error("TABLE(...) must contain a table function call")
        if not self._match(TokenType.R_PAREN):
            self.raise_error("expected ) after the table function")
        node = TableFunction(this=call)
        extend = self._match_text_seq("EXTEND")
        if extend or (self._curr and self._curr.token_type == TokenType.L_PAREN):
            node.set("columns", self._parse_wrapped_csv(self._parse_field_def))
            node.set("extend", True if extend else None)
        alias = self._parse_table_alias()
        if alias:
            node.set("alias", alias)
        return node


# --------------------------------------------------------------------------- generator


def _ingest_sql(gen: DruidGenerator, node: _Ingest) -> str:
    verb = "REPLACE" if isinstance(node, MSQReplace) else "INSERT"
    parts = [f"{verb} INTO {gen.sql(node, 'this')}"]
    if node.args.get("export_format"):
        parts.append(f"AS {gen.sql(node, 'export_format')}")
    if isinstance(node, MSQReplace):
        parts.append(gen.sql(node, "overwrite"))
    parts.append(gen.sql(node, "expression"))
    for key in ("partitioned_by", "clustered_by"):
        if node.args.get(key):
            parts.append(gen.sql(node, key))
    return " ".join(parts)


def _overwrite_sql(gen: DruidGenerator, node: Overwrite) -> str:
    if node.args.get("all"):
        return "OVERWRITE ALL"
    return f"OVERWRITE WHERE {gen.sql(node, 'this')}"


def _table_function_sql(gen: DruidGenerator, node: TableFunction) -> str:
    sql = f"TABLE({gen.sql(node, 'this')})"
    columns = node.args.get("columns")
    if columns:
        keyword = "EXTEND " if node.args.get("extend") else ""
        sql += f" {keyword}({', '.join(gen.sql(c) for c in columns)})"
    alias = node.args.get("alias")
    if alias:
        sql += f" AS {gen.sql(alias)}"
    return sql


def _cast_sql(gen: DruidGenerator, node: exp.Cast) -> str:
    # TIMESTAMP '...' parses into a cast; render it back as the literal form, because the
    # reference page allows only `__time <op> TIMESTAMP` comparisons in OVERWRITE WHERE.
    to = node.args.get("to")
    value = node.this
    if (
        isinstance(to, exp.DataType)
        and to.this == exp.DType.TIMESTAMP
        and not to.expressions
        and isinstance(value, exp.Literal)
        and value.is_string
    ):
        return f"TIMESTAMP {gen.sql(value)}"
    return str(gen.cast_sql(node))


class MSQGenerator(DruidGenerator):
    """Druid's generator plus renderers for the MSQ node types."""

    TRANSFORMS: t.ClassVar = {
        **DruidGenerator.TRANSFORMS,
        MSQInsert: _ingest_sql,
        MSQReplace: _ingest_sql,
        Overwrite: _overwrite_sql,
        PartitionedBy: lambda gen, node: f"PARTITIONED BY {gen.sql(node, 'this')}",
        ClusteredBy: lambda gen, node: f"CLUSTERED BY {gen.expressions(node, flat=True)}",
        ExportDestination: lambda gen, node: f"EXTERN({gen.sql(node, 'this')})",
        TableFunction: _table_function_sql,
        ContextSet: lambda gen, node: (
            f"SET {gen.sql(node, 'this')} = {gen.sql(node, 'expression')}"
        ),
        exp.Cast: _cast_sql,
    }


class MSQ(Druid):
    """sqlglot dialect for Druid SQL as the MSQ task engine accepts it."""

    # keep function names as written (`http`, `local`): Druid resolves them case-insensitively,
    # and a rendering that preserves them reads like the documentation's examples
    NORMALIZE_FUNCTIONS = False

    Parser = MSQParser
    Generator = MSQGenerator


_DIALECT = MSQ()


# --------------------------------------------------------------------------- API


def parse(sql: str) -> list[exp.Expr]:
    """Parse a script (statements separated by ``;``); raise ``UnsupportedSyntax``."""
    try:
        trees = _DIALECT.parse(sql)
    except ParseError as error:
        raise _syntax_error(error) from error
    except TokenError as error:
        raise UnsupportedSyntax("unreadable token", str(error)) from error
    statements = [
        tree for tree in trees if tree is not None and not isinstance(tree, exp.Semicolon)
    ]
    if not statements:
        raise UnsupportedSyntax("empty statement")
    for tree in statements:
        _check_supported(tree)
    return statements


@lru_cache(maxsize=4096)
def parse_cached(sql: str) -> tuple[exp.Expr, ...]:
    """``parse`` memoised by SQL text: the same statement is judged for many actors.

    Callers must not mutate the returned trees (copy them first).
    """
    return tuple(parse(sql))


def parse_one(sql: str) -> exp.Expr:
    """Parse exactly one statement."""
    statements = parse(sql)
    if len(statements) != 1:
        raise UnsupportedSyntax("more than one statement", f"{len(statements)} statements")
    return statements[0]


def render(tree: exp.Expr) -> str:
    """Render one statement as MSQ SQL."""
    return str(_DIALECT.generate(tree, copy=True))


def render_script(trees: Sequence[exp.Expr]) -> str:
    """Render statements as one script; ``parse`` reads it back."""
    return "; ".join(render(tree) for tree in trees)


_TOKEN_REPR = re.compile(r"<Token token_type: [^,]+, text: ([^,]*), [^>]*>")


def _syntax_error(error: ParseError) -> UnsupportedSyntax:
    details = error.errors[0] if error.errors else {}
    near = str(details.get("highlight") or "").strip()
    description = _TOKEN_REPR.sub(r"'\1'", str(details.get("description") or error))
    where = f"line {details.get('line')}, col {details.get('col')}" if details else ""
    construct = f"near '{near}'" if near else "statement"
    return UnsupportedSyntax(construct, f"{description}; {where}".strip("; "))


def _check_supported(tree: exp.Expr) -> None:
    for node_type, construct in _UNSUPPORTED_STATEMENTS.items():
        if type(tree) is node_type:
            raise UnsupportedSyntax(construct)
    if not isinstance(tree, (*_QUERY_TYPES, MSQInsert, MSQReplace, ContextSet)):
        raise UnsupportedSyntax(f"{type(tree).__name__} statement")
    if isinstance(tree, _Ingest) and not isinstance(tree.expression, _QUERY_TYPES):
        raise UnsupportedSyntax("INSERT/REPLACE whose source is not a SELECT query")
