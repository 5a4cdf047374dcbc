"""The MSQ dialect: Druid SQL plus the multi-stage-query statements, on top of sqlglot.

sqlglot's Druid dialect parses plain SELECTs but not what the MSQ task engine adds (the SQL-based
ingestion reference page, ``docs/multi-stage-query/reference.md``): ``INSERT``/``REPLACE`` with
``PARTITIONED BY``/``CLUSTERED BY``/``OVERWRITE``, ``TABLE(EXTERN(...))`` and the input-source
table functions with ``EXTEND``, export with ``INSERT INTO EXTERN(...) AS CSV``, and ``SET``.

Works on pure sqlglot and on its compiled build (``sqlglotc``, parses about 3 times faster), which
forbids interpreted subclasses of its parser, generator, tokenizer and node classes. So nothing
here subclasses them: the MSQ statement frame is read at the token level, the SQL inside it is
parsed by Druid's stock parser, and the MSQ constructs are sqlglot's own node classes with extra
args, rendered by ``render`` around the stock generator. The trees:

- INSERT/REPLACE/export: ``exp.Insert`` with ``this`` (an ``exp.Table``, or for an export the
  ``EXTERN(dest(...))`` call), ``expression`` (the query), and the extra args ``replace``
  (True), ``overwrite`` (``exp.Var`` ``ALL`` or ``exp.Where``), ``partitioned_by`` (the
  granularity: ``exp.Var`` ``DAY``/``ALL``/``ALL TIME``, a string literal ``'PT1H'`` or a
  function), ``clustered_by`` (a list of ``exp.Ordered``/columns), ``export_format`` (``exp.Var``).
- a table function: ``exp.Table`` whose ``this`` is the ``exp.Anonymous`` call, with the extra
  args ``columns`` (``exp.ColumnDef`` list) and ``extend`` (the optional EXTEND keyword written).
- ``SET key = value``: ``exp.Set`` holding one ``SetItem(EQ(Column(key), literal))``.

Building trees::

    from sqlglot import exp
    from conformance.oracle.dialect import (Granularity, context_set, export_destination,
                                            export_to, insert_into, render, replace_into,
                                            table_function)

    # INSERT INTO wiki SELECT * FROM TABLE(EXTERN('{...}', '{...}')) EXTEND (a VARCHAR)
    #   PARTITIONED BY DAY CLUSTERED BY a
    extern = table_function(
        "EXTERN", [exp.Literal.string('{"type":"inline","data":"a\\n1"}'),
                   exp.Literal.string('{"type":"csv","findColumnsFromHeader":true}')],
        columns=[("a", "VARCHAR")], extend=True)
    tree = insert_into(exp.to_table("wiki"), exp.select("*").from_(extern),
                       partitioned_by=Granularity.keyword("DAY"), clustered_by=[exp.column("a")])
    render(tree)

    # REPLACE INTO wiki OVERWRITE WHERE __time >= TIMESTAMP '2020-01-01'
    #   SELECT * FROM src PARTITIONED BY ALL TIME
    replace_into(exp.to_table("wiki"), exp.select("*").from_("src"),
                 overwrite_where=exp.condition("__time >= TIMESTAMP '2020-01-01'"),
                 partitioned_by=Granularity.all_time())
    # OVERWRITE ALL: leave out overwrite_where

    # INSERT INTO EXTERN(local(exportPath => '/x')) AS CSV SELECT * FROM src
    export_to(export_destination("local", exportPath="/x"), exp.select("*").from_("src"))

    # SET maxNumTasks = 2;
    context_set("maxNumTasks", 2)

``parse`` and ``render`` are inverse on what the dialect supports: ``parse(render(t)) == [t]``.
Anything else raises ``InvalidSQL`` (not Druid SQL) or ``UnsupportedSyntax`` (documented, not
modelled) naming the construct, never a silent guess.
"""

from __future__ import annotations

import re
import threading
import typing as t
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import sqlglot.parser
from sqlglot import TokenType, exp
from sqlglot.dialects.druid import Druid
from sqlglot.errors import ParseError, TokenError
from sqlglot.parser import Parser
from sqlglot.tokenizer_core import Token
from sqlglot.tokens import Tokenizer

from conformance.oracle.grammar import grammar, scan

__all__ = [
    "MSQ",
    "SQLGLOT_BUILD",
    "Granularity",
    "InvalidSQL",
    "Script",
    "StatementError",
    "UnsupportedSyntax",
    "context_key",
    "context_set",
    "export_destination",
    "export_to",
    "function_name",
    "insert_into",
    "is_export",
    "is_ingest",
    "is_replace",
    "is_table_function",
    "parse",
    "parse_cached",
    "parse_one",
    "render",
    "render_script",
    "replace_into",
    "table_function",
]

# "compiled" when sqlglotc's mypyc build of sqlglot is installed, else "pure".
SQLGLOT_BUILD: str = "pure" if str(sqlglot.parser.__file__).endswith(".py") else "compiled"


class StatementError(ValueError):
    """A statement the oracle cannot analyse; ``construct`` names what, ``detail`` says more.

    Two kinds, which the oracle judges differently: ``InvalidSQL`` (not Druid SQL: a conforming
    Druid answers 400) and ``UnsupportedSyntax`` (documented Druid SQL the oracle does not
    model: the verdict is undecided).
    """

    label = "unanalysable statement"

    def __init__(self, construct: str, detail: str = "") -> None:
        self.construct = construct
        self.detail = detail
        message = f"{self.label}: {construct}"
        super().__init__(f"{message} ({detail})" if detail else message)


class InvalidSQL(StatementError):
    """Not Druid SQL: it does not tokenize or parse, or it uses a construct outside the grammar
    Druid's SQL reference documents. A conforming Druid refuses it with 400."""

    label = "invalid SQL"


class UnsupportedSyntax(StatementError):
    """Documented Druid SQL that this oracle does not model (e.g. ``EXPLAIN PLAN FOR``): the
    documentation may decide it, the oracle cannot, so its verdict is undecided."""

    label = "unsupported syntax"


class MSQ(Druid):
    """sqlglot dialect for Druid SQL as the MSQ task engine accepts it.

    The tokenizer, parser and generator are Druid's own (compiled ones cannot be subclassed);
    ``parse`` and ``render`` add the MSQ statements around them.
    """

    # keep function names as written (`http`, `local`): Druid resolves them case-insensitively,
    # and a rendering that preserves them reads like the documentation's examples
    NORMALIZE_FUNCTIONS = False


_DIALECT = MSQ()

# --------------------------------------------------------------------------- builders


class Granularity:
    """The granularity after ``PARTITIONED BY`` (a plain expression; functions are ``exp.func``)."""

    @staticmethod
    def keyword(unit: str) -> exp.Expr:
        """``HOUR|DAY|MONTH|YEAR|ALL``."""
        return exp.Var(this=unit.upper())

    @staticmethod
    def all_time() -> exp.Expr:
        """``ALL TIME`` (the reference page's other spelling of ``ALL``)."""
        return exp.Var(this="ALL TIME")

    @staticmethod
    def period(iso_period: str) -> exp.Expr:
        """An ISO 8601 period as a string literal, ``'PT1H'`` (Druid 26.0 and later)."""
        return exp.Literal.string(iso_period)


def table_function(
    function: str,
    args: Sequence[exp.Expr] = (),
    *,
    kwargs: Mapping[str, exp.Expr] | None = None,
    columns: Sequence[tuple[str, str]] = (),
    extend: bool = False,
    alias: str | None = None,
) -> exp.Table:
    """``TABLE(function(args..., key => value...)) [EXTEND] (columns) [AS alias]``.

    ``columns`` are (name, SQL type) pairs, e.g. ``("page", "VARCHAR")``; ``extend`` writes the
    EXTEND keyword before them (nothing is written without columns).
    """
    expressions: list[exp.Expr] = list(args)
    for key, value in (kwargs or {}).items():
        expressions.append(exp.Kwarg(this=exp.Var(this=key), expression=value))
    node = exp.Table(this=exp.Anonymous(this=function, expressions=expressions))
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


def export_destination(function: str, **kwargs: str) -> exp.Expr:
    """``EXTERN(s3(bucket => 'b', prefix => 'p'))`` / ``EXTERN(local(exportPath => '/x'))``."""
    call = exp.Anonymous(
        this=function,
        expressions=[
            exp.Kwarg(this=exp.Var(this=key), expression=exp.Literal.string(value))
            for key, value in kwargs.items()
        ],
    )
    return exp.Anonymous(this="EXTERN", expressions=[call])


def insert_into(
    target: exp.Expr,
    query: exp.Expr,
    *,
    partitioned_by: exp.Expr | None = None,
    clustered_by: Sequence[exp.Expr] = (),
) -> exp.Insert:
    """``INSERT INTO target query [PARTITIONED BY g] [CLUSTERED BY ...]``."""
    return _ingest(target, query, partitioned_by=partitioned_by, clustered_by=clustered_by)


def replace_into(
    target: exp.Expr,
    query: exp.Expr,
    *,
    overwrite_where: exp.Expr | None = None,
    partitioned_by: exp.Expr | None = None,
    clustered_by: Sequence[exp.Expr] = (),
) -> exp.Insert:
    """``REPLACE INTO target OVERWRITE ALL|WHERE cond query PARTITIONED BY g [CLUSTERED BY]``."""
    overwrite = exp.Var(this="ALL") if overwrite_where is None else exp.Where(this=overwrite_where)
    return _ingest(
        target,
        query,
        replace=True,
        overwrite=overwrite,
        partitioned_by=partitioned_by,
        clustered_by=clustered_by,
    )


def export_to(destination: exp.Expr, query: exp.Expr, *, fmt: str = "CSV") -> exp.Insert:
    """``INSERT INTO EXTERN(dest(...)) AS fmt query`` (see ``export_destination``)."""
    return _ingest(destination, query, export_format=exp.Var(this=fmt.upper()))


def _ingest(
    target: exp.Expr,
    query: exp.Expr,
    *,
    clustered_by: Sequence[exp.Expr] = (),
    **extra: exp.Expr | bool | None,
) -> exp.Insert:
    node = exp.Insert(this=target, expression=query)
    for key, value in extra.items():
        if value is not None:
            node.set(key, value)
    if clustered_by:
        node.set("clustered_by", list(clustered_by))
    return node


def context_set(key: str, value: str | int | float | bool) -> exp.Set:
    """``SET key = value`` (a query-context parameter set in SQL)."""
    return _set_statement(exp.to_identifier(key), _literal(value))


def _set_statement(key: exp.Identifier, value: exp.Expr) -> exp.Set:
    item = exp.SetItem(this=exp.EQ(this=exp.Column(this=key), expression=value))
    return exp.Set(expressions=[item])


def _literal(value: str | int | float | bool) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    return exp.Literal.number(value)


# --------------------------------------------------------------------------- inspection


def is_table_function(node: exp.Expr) -> bool:
    """A ``TABLE(fn(...))`` item: an ``exp.Table`` whose ``this`` is the call."""
    return isinstance(node, exp.Table) and isinstance(node.this, exp.Func)


def function_name(node: exp.Expr) -> str:
    """Lower-case name of a call, of a table function's call, or of an export's destination."""
    if isinstance(node, exp.Table):
        node = node.this
    elif is_export(node):
        node = node.this.expressions[0] if node.this.expressions else node.this
    return str(node.name if isinstance(node, exp.Func) else node).lower()


def is_ingest(node: exp.Expr) -> bool:
    """An INSERT, REPLACE or export statement (``parse`` yields ``exp.Insert`` for no other)."""
    return isinstance(node, exp.Insert)


def is_replace(node: exp.Expr) -> bool:
    """A REPLACE statement (an ``exp.Insert`` with the ``replace`` arg set)."""
    return isinstance(node, exp.Insert) and bool(node.args.get("replace"))


def is_export(node: exp.Expr) -> bool:
    """An export, ``INSERT INTO EXTERN(dest(...))``: an ``exp.Insert`` whose target is a call."""
    return isinstance(node, exp.Insert) and isinstance(node.this, exp.Func)


def context_key(node: exp.Expr) -> str | None:
    """The key of a ``SET key = value`` statement, else None."""
    if not isinstance(node, exp.Set) or len(node.expressions) != 1:
        return None
    item = node.expressions[0]
    assignment = item.this if isinstance(item, exp.SetItem) else None
    if not isinstance(assignment, exp.EQ) or not isinstance(assignment.this, exp.Column):
        return None
    return str(assignment.this.name)


# --------------------------------------------------------------------------- tokens

_OPEN = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE}
_CLOSE = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE}
# tokens that end an operand: `WHERE x = 'a' (SELECT ...)` starts the query at the parenthesis
_OPERAND_END = {
    TokenType.STRING,
    TokenType.NUMBER,
    TokenType.R_PAREN,
    TokenType.TRUE,
    TokenType.FALSE,
    TokenType.NULL,
    TokenType.IDENTIFIER,
}
_QUERY_START = {TokenType.SELECT, TokenType.WITH}
_ID_VAR_TOKENS: frozenset[TokenType] = frozenset(
    {TokenType.VAR, TokenType.IDENTIFIER, *_DIALECT.parser_class.ID_VAR_TOKENS}
)
_SET_KEY = re.compile(r"\w+")


def _synthetic(token_type: TokenType, text: str, at: Token) -> Token:
    """A token the parser needs that the SQL does not contain, placed at ``at`` for messages."""
    return Token(token_type, text, at.line, at.col, at.start, at.end)


def _matching(tokens: Sequence[Token], index: int) -> int:
    """Index of the bracket closing the one at ``index``."""
    depth = 0
    for i in range(index, len(tokens)):
        kind = tokens[i].token_type
        if kind in _OPEN:
            depth += 1
        elif kind in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    raise _near(tokens[index], "unbalanced parenthesis")


def _top_level(tokens: Sequence[Token], start: int = 0) -> t.Iterator[int]:
    """Indexes from ``start`` of the tokens outside any bracket."""
    depth = 0
    for i in range(start, len(tokens)):
        kind = tokens[i].token_type
        if kind in _CLOSE:
            depth -= 1
        elif depth == 0:
            yield i
        if kind in _OPEN:
            depth += 1


def _near(token: Token, description: str) -> InvalidSQL:
    return InvalidSQL(f"near '{token.text}'", f"{description}; line {token.line}, col {token.col}")


def _is_word(token: Token, word: str) -> bool:
    return token.token_type == TokenType.VAR and token.text.upper() == word


def _split_statements(tokens: list[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


# --------------------------------------------------------------------------- parser


@dataclass
class _TableCall:
    """A ``TABLE(fn(...)) [EXTEND] (cols)`` cut out of a query before the stock parser sees it."""

    name: str
    columns: list[exp.Expr] | None
    extend: bool


class _Reader:
    """Reads one script: the MSQ frame from tokens, the SQL inside it with the stock parser.

    Druid's table-function names (``inline``, ``http``) would be captured by sqlglot built-ins
    of the same name, and ``EXTEND (..)`` would be misread as an alias, so each
    ``TABLE(fn(..)) [EXTEND] (cols)`` becomes ``TABLE(<placeholder>(..))`` for the stock parser
    and is grafted back afterwards.
    """

    def __init__(self, sql: str, parser: Parser) -> None:
        self.sql = sql
        self.parser = parser
        lower = sql.lower()
        self.prefix = "__msq_" if "__msq_" not in lower else f"__msq_{uuid.uuid4().hex}_"
        self.calls: dict[str, _TableCall] = {}
        # most statements have none: skip the scan of their tokens
        self.may_have_table_functions = "table" in lower

    def statement(self, tokens: list[Token]) -> exp.Expr:
        first = tokens[0].token_type
        if first == TokenType.COMMAND and tokens[0].text.upper() == "EXPLAIN":
            _explain(tokens)
        if first in (TokenType.INSERT, TokenType.REPLACE):
            return self._ingest(tokens)
        if first == TokenType.SET:
            return self._context_set(tokens)
        tree = self._query(tokens)
        _check_supported(tree)
        return tree

    # -- pieces parsed by the stock parser

    def _stock(self, tokens: list[Token]) -> exp.Expr:
        trees = [tree for tree in self.parser.parse(tokens, self.sql) if tree is not None]
        if len(trees) != 1:
            raise _near(tokens[0], "expected one statement")
        return trees[0]

    def _stock_into(self, into: type[exp.Expr], tokens: list[Token]) -> exp.Expr:
        tree = self.parser.parse_into(into, tokens, self.sql)[0]
        assert tree is not None
        return tree

    def _query(self, tokens: list[Token]) -> exp.Expr:
        if self.may_have_table_functions:
            tokens = self._cut_table_functions(tokens)
        tree = self._stock(tokens)
        return self._graft(tree) if self.calls else tree

    def _anonymous_call(self, tokens: list[Token]) -> exp.Anonymous:
        """``fn(...)`` parsed as an anonymous call whatever its name (``local``, ``inline``)."""
        placeholder = _synthetic(TokenType.VAR, f"{self.prefix}call", tokens[0])
        call = self._stock_into(exp.Expr, [placeholder, *tokens[1:]])
        if not isinstance(call, exp.Anonymous):
            raise _near(tokens[0], "expected a function call")
        call.set("this", tokens[0].text)
        return call

    # -- table functions

    def _cut_table_functions(self, tokens: list[Token]) -> list[Token]:
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if token.token_type == TokenType.TABLE and nxt and nxt.token_type == TokenType.L_PAREN:
                i = self._cut_table_function(tokens, i, out)
            else:
                out.append(token)
                i += 1
        return out

    def _cut_table_function(self, tokens: list[Token], start: int, out: list[Token]) -> int:
        """Append ``TABLE(<placeholder>(args))`` to ``out``; return the index after the item."""
        close = _matching(tokens, start + 1)
        name = start + 2
        if not (
            name + 1 < close
            and tokens[name + 1].token_type == TokenType.L_PAREN
            and _matching(tokens, name + 1) == close - 1
        ):
            raise _near(tokens[name], "TABLE(...) must contain one table function call")
        placeholder = f"{self.prefix}fn{len(self.calls)}"
        out += [
            tokens[start],
            tokens[start + 1],
            _synthetic(TokenType.VAR, placeholder, tokens[name]),
        ]
        out += tokens[name + 1 : close + 1]
        i = close + 1
        extend = i < len(tokens) and _is_word(tokens[i], "EXTEND")
        i += 1 if extend else 0
        columns = None
        if i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
            end = _matching(tokens, i)
            columns = self._column_defs(tokens[i : end + 1])
            i = end + 1
        elif extend:
            raise _near(tokens[i - 1], "EXTEND needs a column list")
        self.calls[placeholder] = _TableCall(tokens[name].text, columns, extend)
        return i

    def _column_defs(self, wrapped: list[Token]) -> list[exp.Expr]:
        """``(name TYPE, ...)``, read as the column list of a CREATE TABLE."""
        at = wrapped[0]
        head = [
            _synthetic(TokenType.CREATE, "CREATE", at),
            _synthetic(TokenType.TABLE, "TABLE", at),
            _synthetic(TokenType.VAR, f"{self.prefix}columns", at),
        ]
        create = self._stock([*head, *wrapped])
        schema = create.this
        if not isinstance(schema, exp.Schema) or not schema.expressions:
            raise _near(at, "expected a column list (name TYPE, ...)")
        return list(schema.expressions)

    def _graft(self, tree: exp.Expr) -> exp.Expr:
        """Put the table functions back where the stock parser left their placeholders."""
        found = [
            node
            for node in tree.find_all(exp.Anonymous)
            if isinstance(node.this, str) and node.this in self.calls
        ]
        for node in found:
            call = self.calls.pop(node.this)
            wrapper, table = node.parent, node.parent.parent if node.parent else None
            if not (isinstance(table, exp.Table) and wrapper is table.this):
                raise InvalidSQL("TABLE(...) outside a FROM clause", call.name)
            node.set("this", call.name)
            table.set("this", node)
            if call.columns is not None:
                table.set("columns", call.columns)
                table.set("extend", call.extend or None)
        if self.calls:
            names = ", ".join(call.name for call in self.calls.values())
            raise InvalidSQL("TABLE(...) outside a FROM clause", names)
        return tree

    # -- INSERT / REPLACE / export

    def _ingest(self, tokens: list[Token]) -> exp.Insert:
        verb = tokens[0].text.upper()
        replacing = tokens[0].token_type == TokenType.REPLACE
        _expect(tokens, 1, TokenType.INTO, f"{verb} must be followed by INTO")
        target, i = self._target(tokens, 2)
        node = exp.Insert(this=target)
        if is_export(node):
            _expect(tokens, i, TokenType.ALIAS, "export to EXTERN(...) needs AS <format>")
            node.set("export_format", exp.Var(this=_token(tokens, i + 1).text.upper()))
            i += 2
        if replacing:
            node.set("replace", True)
            overwrite, i = self._overwrite(tokens, i)
            node.set("overwrite", overwrite)
        end = next((j for j in _top_level(tokens, i) if _clause(tokens, j)), len(tokens))
        if end == i:
            raise _near(_token(tokens, i), f"{verb} INTO needs a SELECT query")
        query = self._query(tokens[i:end])
        if not isinstance(query, _QUERY_TYPES):
            raise InvalidSQL("INSERT/REPLACE whose source is not a SELECT query")
        node.set("expression", query)
        self._clauses(node, tokens, end)
        return node

    def _target(self, tokens: list[Token], i: int) -> tuple[exp.Expr, int]:
        first = _token(tokens, i)
        if _is_word(first, "EXTERN") and _token(tokens, i + 1).token_type == TokenType.L_PAREN:
            close = _matching(tokens, i + 1)
            inner = tokens[i + 2 : close]
            if len(inner) < 3 or _matching(inner, 1) != len(inner) - 1:
                raise _near(first, "EXTERN as an export destination takes one destination function")
            call = self._anonymous_call(inner)
            return exp.Anonymous(this=first.text, expressions=[call]), close + 1
        # the name only: `INSERT INTO t (SELECT ..) UNION ..` must not read `t(...)` as a call
        if first.token_type not in _ID_VAR_TOKENS:
            raise _near(first, "expected a target datasource after INTO")
        names = [first]
        while i + 2 < len(tokens) and tokens[i + 1].token_type == TokenType.DOT:
            names.append(tokens[i + 2])
            i += 2
        if len(names) > 3:
            raise _near(names[-1], "expected a target datasource after INTO")
        parts: list[exp.Identifier | None] = [None] * (3 - len(names))
        parts += [_identifier(name) for name in names]
        return exp.Table(catalog=parts[0], db=parts[1], this=parts[2]), i + 1

    def _overwrite(self, tokens: list[Token], i: int) -> tuple[exp.Expr, int]:
        _expect(
            tokens, i, TokenType.OVERWRITE, "REPLACE INTO <table> must be followed by OVERWRITE"
        )
        after = _token(tokens, i + 1)
        if after.token_type == TokenType.ALL:
            return exp.Var(this="ALL"), i + 2
        if after.token_type != TokenType.WHERE:
            raise _near(after, "OVERWRITE must be followed by ALL or WHERE")
        start = i + 2
        starts = (j for j in _top_level(tokens, start) if j > start and _query_starts(tokens, j))
        end = next(starts, start)
        if end == start:
            raise _near(after, "OVERWRITE WHERE needs a condition and then a query")
        return exp.Where(this=self._stock_into(exp.Condition, tokens[start:end])), end

    def _clauses(self, node: exp.Insert, tokens: list[Token], i: int) -> None:
        """``[PARTITIONED BY g] [CLUSTERED BY items]`` from ``i`` to the end."""
        if i < len(tokens) and tokens[i].token_type == TokenType.PARTITION_BY:
            end = next((j for j in _top_level(tokens, i + 1) if _clause(tokens, j)), len(tokens))
            node.set("partitioned_by", self._granularity(tokens, i, end))
            i = end
        if i == len(tokens):
            return
        if not _clause(tokens, i) or tokens[i].token_type == TokenType.PARTITION_BY:
            raise _near(tokens[i], "Invalid expression / Unexpected token")
        order = _synthetic(TokenType.ORDER_BY, "ORDER BY", tokens[i])
        items = tokens[i + 2 :]
        if not items:
            raise _near(tokens[i + 1], "CLUSTERED BY needs columns")
        node.set("clustered_by", list(self._stock_into(exp.Order, [order, *items]).expressions))

    def _granularity(self, tokens: list[Token], keyword: int, end: int) -> exp.Expr:
        part = tokens[keyword + 1 : end]
        if not part:
            raise _near(tokens[keyword], "PARTITIONED BY needs a granularity")
        first = part[0]
        if len(part) == 1:
            if first.token_type == TokenType.STRING:
                return exp.Literal.string(first.text)
            return exp.Var(this=first.text.upper())
        if first.token_type == TokenType.ALL and len(part) == 2 and part[1].text.upper() == "TIME":
            return exp.Var(this="ALL TIME")
        if part[1].token_type == TokenType.L_PAREN and _matching(part, 1) == len(part) - 1:
            call = self._stock_into(exp.Expr, part)
            if isinstance(call, exp.Func):
                return call
        raise _near(part[1], "PARTITIONED BY: expected a granularity")

    # -- SET

    def _context_set(self, tokens: list[Token]) -> exp.Set:
        """``SET key = literal``; other SET forms are refused."""
        if len(tokens) >= 4 and tokens[2].token_type == TokenType.EQ:
            key, value = tokens[1], _set_value(tokens[3:])
            if value is not None and _SET_KEY.fullmatch(key.text):
                return _set_statement(_identifier(key), value)
        raise InvalidSQL("SET statement other than SET key = value")


def _token(tokens: list[Token], i: int) -> Token:
    """The token at ``i``; past the end, an error naming the last one."""
    if i >= len(tokens):
        raise _near(tokens[-1], "unexpected end of statement")
    return tokens[i]


def _expect(tokens: list[Token], i: int, kind: TokenType, description: str) -> None:
    token = _token(tokens, i)
    if token.token_type != kind:
        raise _near(token, description)


def _clause(tokens: list[Token], i: int) -> bool:
    """``PARTITIONED BY`` or ``CLUSTERED BY`` starts at ``i``."""
    token = tokens[i]
    if token.token_type == TokenType.PARTITION_BY:
        return True
    return (
        _is_word(token, "CLUSTERED") and i + 1 < len(tokens) and tokens[i + 1].text.upper() == "BY"
    )


def _query_starts(tokens: list[Token], i: int) -> bool:
    """The query after ``OVERWRITE WHERE cond`` starts at ``i``."""
    kind = tokens[i].token_type
    if kind in _QUERY_START:
        return True
    return kind == TokenType.L_PAREN and tokens[i - 1].token_type in _OPERAND_END


def _identifier(token: Token) -> exp.Identifier:
    return exp.Identifier(this=token.text, quoted=token.token_type == TokenType.IDENTIFIER)


def _set_value(tokens: list[Token]) -> exp.Expr | None:
    """A literal SET value: string, number, TRUE/FALSE, or a negative number."""
    kinds = [token.token_type for token in tokens]
    text = tokens[-1].text
    if kinds == [TokenType.STRING]:
        return exp.Literal.string(text)
    if kinds == [TokenType.NUMBER]:
        return exp.Literal.number(text)
    if kinds in ([TokenType.TRUE], [TokenType.FALSE]):
        return exp.Boolean(this=kinds[0] == TokenType.TRUE)
    if kinds == [TokenType.DASH, TokenType.NUMBER]:
        return exp.Neg(this=exp.Literal.number(text))
    return None


# --------------------------------------------------------------------------- renderer


def _generate(node: exp.Expr) -> str:
    """Stock generation, with the MSQ pieces the stock generator does not know filled in."""
    node = node.copy()
    fills: dict[str, str] = {}
    for table in [n for n in node.walk() if is_table_function(n)]:
        key = f"__msq_{uuid.uuid4().hex}"
        fills[key] = _table_function_sql(table)
        table.set("this", exp.to_identifier(key))
        table.set("columns", None)
        table.set("extend", None)
    for cast in [n for n in node.walk() if _is_timestamp_literal(n)]:
        # TIMESTAMP '...' parses into a cast; render it back as the literal form, because the
        # reference page allows only `__time <op> TIMESTAMP` comparisons in OVERWRITE WHERE.
        literal = exp.Var(this=f"TIMESTAMP {_DIALECT.generate(cast.this, copy=False)}")
        if cast is node:
            node = literal
        else:
            cast.replace(literal)
    sql = _DIALECT.generate(node, copy=False)
    for key, text in fills.items():
        sql = sql.replace(key, text)
    return sql


def _is_timestamp_literal(node: exp.Expr) -> bool:
    to = node.args.get("to") if isinstance(node, exp.Cast) else None
    return (
        isinstance(to, exp.DataType)
        and to.this == exp.DType.TIMESTAMP
        and not to.expressions
        and isinstance(node.this, exp.Literal)
        and node.this.is_string
    )


def _table_function_sql(table: exp.Expr) -> str:
    sql = f"TABLE({_generate(table.this)})"
    columns = table.args.get("columns")
    if columns:
        keyword = "EXTEND " if table.args.get("extend") else ""
        sql += f" {keyword}({', '.join(_generate(c) for c in columns)})"
    return sql


def _ingest_sql(node: exp.Insert) -> str:
    verb = "REPLACE" if is_replace(node) else "INSERT"
    parts = [f"{verb} INTO {_generate(node.this)}"]
    if node.args.get("export_format"):
        parts.append(f"AS {_generate(node.args['export_format'])}")
    overwrite = node.args.get("overwrite")
    if isinstance(overwrite, exp.Where):
        parts.append(f"OVERWRITE WHERE {_generate(overwrite.this)}")
    elif overwrite is not None:
        parts.append("OVERWRITE ALL")
    parts.append(_generate(node.expression))
    if node.args.get("partitioned_by"):
        parts.append(f"PARTITIONED BY {_generate(node.args['partitioned_by'])}")
    if node.args.get("clustered_by"):
        parts.append(f"CLUSTERED BY {', '.join(_generate(e) for e in node.args['clustered_by'])}")
    return " ".join(parts)


# --------------------------------------------------------------------------- API

_local = threading.local()


def _tools() -> tuple[Tokenizer, Parser]:
    """One tokenizer and parser per thread: building them costs more than a small parse."""
    tools: tuple[Tokenizer, Parser] | None = getattr(_local, "tools", None)
    if tools is None:
        tools = _DIALECT.tokenizer(), _DIALECT.parser()
        _local.tools = tools
    return tools


def parse(sql: str) -> list[exp.Expr]:
    """Parse a script (statements separated by ``;``) into one tree per statement.

    Raises ``InvalidSQL`` naming the construct for an empty script, an unreadable token,
    bad SQL, a statement that is neither a query nor an MSQ INSERT/REPLACE/export/SET, or a
    construct outside the documented grammar (``conformance/oracle/grammar.toml``); raises
    ``UnsupportedSyntax`` for documented SQL the oracle does not model (``EXPLAIN PLAN FOR``)
    and for SQL the documentation is silent on. An invalid construct wins over an undecided one.
    """
    trees = _read(sql)
    _check(trees)
    return trees


class Script(tuple[exp.Expr, ...]):
    """Parsed statements (a tuple) and ``constructs``: the ids of the grammar constructs they use
    whose status depends on the documentation edition (``grammar.Scan.editioned``)."""

    constructs: frozenset[str]

    def __new__(cls, trees: Iterable[exp.Expr], constructs: frozenset[str] = frozenset()) -> Script:
        script = super().__new__(cls, trees)
        script.constructs = constructs
        return script


def _check(trees: Sequence[exp.Expr]) -> frozenset[str]:
    """The grammar check of ``parse``; returns the edition-dependent constructs used."""
    found = scan(trees)
    if found.invalid is not None:
        raise InvalidSQL(found.invalid.name, found.invalid.reason())
    if found.undecided is not None:
        raise UnsupportedSyntax(found.undecided.name, found.undecided.reason())
    return found.editioned


_EXPLAIN = re.compile(r"\s*PLAN\b(?P<options>.*?)\bFOR\b(?P<query>.*)", re.IGNORECASE | re.DOTALL)


def _explain(tokens: list[Token]) -> t.NoReturn:
    """``EXPLAIN PLAN [options] FOR <statement>``: the statement is checked (a bad one is
    invalid), then the EXPLAIN is refused as documented but not modelled."""
    rest = tokens[1].text if len(tokens) == 2 and tokens[1].token_type == TokenType.STRING else ""
    match = _EXPLAIN.fullmatch(rest)
    if match is None or not match.group("query").strip():
        raise InvalidSQL("EXPLAIN without PLAN FOR <query>")
    parse(match.group("query"))
    explain = grammar().construct("query.explain")
    raise UnsupportedSyntax(explain.name, explain.reason())


def _read(sql: str) -> list[exp.Expr]:
    """``parse`` without the grammar check."""
    tokenizer, parser = _tools()
    try:
        tokens = tokenizer.tokenize(sql)
    except TokenError as error:
        raise InvalidSQL("unreadable token", str(error)) from error
    statements = _split_statements(tokens)
    if not statements:
        raise InvalidSQL("empty statement")
    reader = _Reader(sql, parser)
    try:
        return [reader.statement(statement) for statement in statements]
    except ParseError as error:
        raise _syntax_error(error) from error


@lru_cache(maxsize=4096)
def parse_cached(sql: str) -> Script:
    """``parse`` memoised by SQL text: the same statement is judged for many actors. The result
    also carries the edition-dependent grammar constructs used (``Script.constructs``).

    Callers must not mutate the returned trees (copy them first).
    """
    trees = _read(sql)
    return Script(trees, _check(trees))


def parse_one(sql: str) -> exp.Expr:
    """Parse exactly one statement; ``InvalidSQL`` as ``parse``, or for several."""
    statements = parse(sql)
    if len(statements) != 1:
        raise InvalidSQL("more than one statement", f"{len(statements)} statements")
    return statements[0]


def render(tree: exp.Expr) -> str:
    """Render one statement as MSQ SQL."""
    return _ingest_sql(tree) if isinstance(tree, exp.Insert) else _generate(tree)


def render_script(trees: Sequence[exp.Expr]) -> str:
    """Render statements as one script; ``parse`` reads it back."""
    return "; ".join(render(tree) for tree in trees)


_TOKEN_REPR = re.compile(r"<Token token_type: [^,]+, text: ([^,]*), [^>]*>")


def _syntax_error(error: ParseError) -> InvalidSQL:
    details = error.errors[0] if error.errors else {}
    near = str(details.get("highlight") or "").strip()
    description = _TOKEN_REPR.sub(r"'\1'", str(details.get("description") or error))
    where = f"line {details.get('line')}, col {details.get('col')}" if details else ""
    construct = f"near '{near}'" if near else "statement"
    return InvalidSQL(construct, f"{description}; {where}".strip("; "))


_UNSUPPORTED_STATEMENTS: dict[type[exp.Expr], str] = {
    exp.Insert: "INSERT outside the MSQ form",
    exp.Delete: "DELETE statement",
    exp.Update: "UPDATE statement",
    exp.Merge: "MERGE statement",
    exp.Create: "CREATE statement",
    exp.Drop: "DROP statement",
    exp.Alter: "ALTER statement",
    exp.Command: "statement",
    exp.Use: "USE statement",
}

_QUERY_TYPES = (exp.Select, exp.SetOperation, exp.Subquery)


def _check_supported(tree: exp.Expr) -> None:
    """A statement that is not INSERT/REPLACE/SET must be a query (a VALUES list is left to the
    grammar, which judges it)."""
    construct = _UNSUPPORTED_STATEMENTS.get(type(tree))
    if construct:
        raise InvalidSQL(construct)
    if not isinstance(tree, (*_QUERY_TYPES, exp.Values)):
        raise InvalidSQL(f"{type(tree).__name__} statement")
