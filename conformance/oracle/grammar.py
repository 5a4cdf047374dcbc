"""Druid's documented query grammar as an allow-list over sqlglot's trees.

sqlglot reads many dialects at once: ``SELECT * INTO t FROM w``, ``... FOR UPDATE``, ``FROM ONLY w``
parse although no Druid accepts them. ``scan`` walks a parsed statement once and looks every
clause-level piece up in the table ``conformance/oracle/grammar.toml`` (loaded and validated
here, strictly, like the rule tables): a sqlglot node type (``"Unnest"``), an argument of one
(``"Select.into"``) or an argument's value (``"Join.side=RIGHT"``). Each ``[[construct]]`` quotes
the passage that documents (or excludes) it and has a status:

- ``documented``: allowed; with ``since``, only from that Druid release on, and ``before`` says
  what an older edition makes of it (``excluded`` or ``silent``): the profile decides
  (``decision._validate``), so ``scan`` returns these as ``editioned``;
- ``unmodelled``: documented, but its outcome depends on what the oracle does not model
  (``EXPLAIN PLAN FOR``, window functions): undecided;
- ``silent``: ISO SQL that Druid's Calcite-based parser reads and the pages neither list nor
  exclude (``INTERSECT``, ``NATURAL JOIN``, ``TABLESAMPLE``...): undecided, not guessed;
- ``excluded``: the pages exclude it (``UNION`` without ``ALL``), or it is another dialect's SQL
  (``SELECT ... INTO``, ``FOR UPDATE``, ``FROM ONLY``, ``QUALIFY``...): invalid.

A node type with any ``Node.arg`` shape has all its arguments checked, so what sqlglot parses
beyond the table is invalid too, named by its shape. Expressions and functions are not checked:
the oracle does not model Druid's function catalogue (a function Druid lacks passes here).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from sqlglot import exp

from conformance.oracle.catalog import CatalogError, Release, format_release, parse_release
from conformance.oracle.tables import reject_unknown_fields

__all__ = [
    "PSEUDO_NODES",
    "STATUSES",
    "Construct",
    "Finding",
    "Grammar",
    "GrammarError",
    "Scan",
    "grammar",
    "load_grammar",
    "scan",
]

STATUSES = ("documented", "unmodelled", "silent", "excluded")
# what a status means for a verdict: allowed (judged by the rules), undecided, invalid
_BEFORE = frozenset({"excluded", "silent"})
_BASES = frozenset({"stated", "inferred", "silent"})
_TOP_FIELDS = frozenset({"grammar", "construct"})
_HEADER_FIELDS = frozenset({"title", "page", "version"})
_CONSTRUCT_FIELDS = frozenset(
    {
        "id",
        "name",
        "status",
        "shapes",
        "since",
        "before",
        "page",
        "version",
        "passage",
        "basis",
        "note",
    }
)


class GrammarError(ValueError):
    """A grammar table that does not follow the format of ``grammar.toml``."""


@dataclass(frozen=True)
class Construct:
    """One documented (or excluded) construct of the query syntax, and where it is written."""

    id: str
    name: str
    status: str
    shapes: tuple[str, ...]
    page: str
    version: str
    passage: str
    basis: str = "stated"
    note: str = ""
    since: Release | None = None
    before: str | None = None

    def status_in(self, release: Release | None) -> str:
        """The status in the documentation of ``release`` (None: the current documentation)."""
        if self.since is None or release is None or release >= self.since:
            return self.status
        assert self.before is not None
        return self.before

    @property
    def since_text(self) -> str:
        """``"26.0"``, or ``""`` when every modelled edition documents it."""
        return format_release(self.since) if self.since else ""

    def reason(self) -> str:
        """Why the oracle judges it as it does, for a verdict's reason (no edition involved)."""
        where = f"{self.page}; grammar construct {self.id}"
        if self.status == "excluded":
            return f"outside Druid's documented query syntax: {where}"
        if self.status == "silent":
            return f"the documentation neither lists nor excludes it: {where}"
        return f"documented, but not modelled by the oracle: {where}"


@dataclass(frozen=True)
class Grammar:
    """The loaded table: constructs in file order and the shapes they claim."""

    title: str
    page: str
    version: str
    constructs: tuple[Construct, ...]
    by_shape: dict[str, Construct] = field(repr=False, compare=False)
    by_id: dict[str, Construct] = field(repr=False, compare=False)
    # node types whose every argument is checked, and node types that are constructs themselves
    checked: frozenset[str] = field(repr=False, compare=False)
    nodes: dict[str, Construct] = field(repr=False, compare=False)
    # "Table.name=ONLY" / "Table.alias=FINAL": reserved words that sqlglot reads as names
    reserved_names: frozenset[str] = field(repr=False, compare=False)
    reserved_aliases: frozenset[str] = field(repr=False, compare=False)

    def construct(self, construct_id: str) -> Construct:
        """The construct ``construct_id``; ``KeyError`` if there is none."""
        return self.by_id[construct_id]


def load_grammar(data: Mapping[str, Any], origin: str = "<grammar>") -> Grammar:
    """Validate a parsed grammar table (TOML) and build it; ``GrammarError`` says what is wrong."""
    _no_extra(data, _TOP_FIELDS, origin)
    header = data.get("grammar")
    if not isinstance(header, Mapping):
        raise GrammarError(f"{origin}: missing [grammar] header")
    _no_extra(header, _HEADER_FIELDS, f"{origin} [grammar]")
    for key in _HEADER_FIELDS:
        if not isinstance(header.get(key), str) or not header[key]:
            raise GrammarError(f"{origin} [grammar]: '{key}' must be a non-empty string")
    raw = data.get("construct", [])
    if not isinstance(raw, list) or not raw:
        raise GrammarError(f"{origin}: needs at least one [[construct]]")
    constructs = tuple(
        _construct(item, header, f"{origin} construct #{n}") for n, item in enumerate(raw, 1)
    )
    by_shape: dict[str, Construct] = {}
    by_id: dict[str, Construct] = {}
    for construct in constructs:
        if construct.id in by_id:
            raise GrammarError(f"{origin}: construct id {construct.id!r} is used twice")
        by_id[construct.id] = construct
        for shape in construct.shapes:
            if shape in by_shape:
                raise GrammarError(
                    f"{origin}: shape {shape!r} is claimed by {by_shape[shape].id} and "
                    f"{construct.id}"
                )
            by_shape[shape] = construct
    checked = frozenset(s.split(".", 1)[0] for s in by_shape if "." in s)
    nodes = {s: c for s, c in by_shape.items() if "." not in s}
    return Grammar(
        title=header["title"],
        page=header["page"],
        version=header["version"],
        constructs=constructs,
        by_shape=by_shape,
        by_id=by_id,
        checked=checked,
        nodes=nodes,
        reserved_names=_reserved(by_shape, "Table.name="),
        reserved_aliases=_reserved(by_shape, "Table.alias="),
    )


def _reserved(shapes: Iterable[str], prefix: str) -> frozenset[str]:
    return frozenset(s[len(prefix) :] for s in shapes if s.startswith(prefix))


def _no_extra(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    reject_unknown_fields(data, allowed, where, GrammarError)


def _construct(raw: Any, header: Mapping[str, Any], where: str) -> Construct:
    if not isinstance(raw, Mapping):
        raise GrammarError(f"{where}: a construct must be a table")
    _no_extra(raw, _CONSTRUCT_FIELDS, where)
    construct_id = raw.get("id")
    if not isinstance(construct_id, str) or not construct_id:
        raise GrammarError(f"{where}: 'id' is required")
    where = f"{where} ({construct_id})"
    for key in ("name", "passage"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise GrammarError(f"{where}: '{key}' must be a non-empty string")
    status = raw.get("status")
    if status not in STATUSES:
        raise GrammarError(f"{where}: status must be one of {list(STATUSES)}")
    shapes = raw.get("shapes")
    if (
        not isinstance(shapes, list)
        or not shapes
        or not all(isinstance(s, str) and _shape_ok(s) for s in shapes)
    ):
        raise GrammarError(
            f"{where}: 'shapes' must be a non-empty list of 'Node', 'Node.arg' or "
            "'Node.arg=VALUE' (sqlglot node class names)"
        )
    since, before = _edition(raw, status, where)
    basis = raw.get("basis", "stated")
    if basis not in _BASES:
        raise GrammarError(f"{where}: basis must be one of {sorted(_BASES)}")
    return Construct(
        id=construct_id,
        name=raw["name"].strip(),
        status=status,
        shapes=tuple(shapes),
        page=str(raw.get("page", header["page"])),
        version=str(raw.get("version", header["version"])),
        passage=raw["passage"].strip(),
        basis=basis,
        note=str(raw.get("note", "")),
        since=since,
        before=before,
    )


# statements the dialect reads itself, which have no sqlglot node
PSEUDO_NODES = frozenset({"Explain"})


def _shape_ok(shape: str) -> bool:
    node, _, rest = shape.partition(".")
    if not node.isidentifier() or not (hasattr(exp, node) or node in PSEUDO_NODES):
        return False
    arg, _, _value = rest.partition("=")
    return not rest or arg.isidentifier()


def _edition(raw: Mapping[str, Any], status: str, where: str) -> tuple[Release | None, str | None]:
    if "since" not in raw:
        if "before" in raw:
            raise GrammarError(f"{where}: 'before' goes with 'since'")
        return None, None
    if status != "documented":
        raise GrammarError(f"{where}: only a documented construct has a 'since'")
    try:
        since = parse_release(raw["since"])
    except CatalogError as error:
        raise GrammarError(f"{where}: 'since': {error}") from None
    before = raw.get("before")
    if before not in _BEFORE:
        raise GrammarError(f"{where}: 'before' must be one of {sorted(_BEFORE)}")
    return since, before


@cache
def grammar() -> Grammar:
    """The packaged table (``conformance/oracle/grammar.toml``), read once per process."""
    content = (resources.files("conformance.oracle") / "grammar.toml").read_bytes()
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise GrammarError(f"grammar.toml: {error}") from None
    return load_grammar(data, "grammar.toml")


# --------------------------------------------------------------------------- the scan

# what a construct does to a statement, regardless of edition
_IGNORE, _EDITIONED, _UNDECIDED, _INVALID = range(4)


def _effect(construct: Construct) -> int:
    if construct.status == "excluded":
        return _INVALID
    if construct.status in ("unmodelled", "silent"):
        return _UNDECIDED
    return _EDITIONED if construct.since is not None else _IGNORE


@dataclass(frozen=True)
class Finding:
    """A piece of a statement and the construct it is (None: in no construct, so invalid)."""

    shape: str
    construct: Construct | None

    @property
    def name(self) -> str:
        """The construct's name, or for an unlisted shape the shape itself."""
        return self.construct.name if self.construct else self.shape

    def reason(self) -> str:
        """Why it is judged so (see ``Construct.reason``)."""
        if self.construct is None:
            return (
                f"outside Druid's documented query syntax ({grammar().page}); sqlglot {self.shape}"
            )
        return self.construct.reason()


@dataclass(frozen=True)
class Scan:
    """What ``scan`` found: the first invalid piece, the first undecided one (both regardless of
    edition), and the ids of the constructs whose status depends on the edition."""

    invalid: Finding | None = None
    undecided: Finding | None = None
    editioned: frozenset[str] = frozenset()


class _Walk:
    """One scan: the findings so far (the first invalid and undecided ones win)."""

    __slots__ = ("editioned", "invalid", "table", "undecided")

    def __init__(self, table: Grammar) -> None:
        self.table = table
        self.invalid: Finding | None = None
        self.undecided: Finding | None = None
        self.editioned: set[str] = set()

    def shape(self, shape: str) -> None:
        """A piece named by its shape (the slow path: computed shapes, unlisted arguments)."""
        construct = self.table.by_shape.get(shape)
        if construct is None:
            if self.invalid is None:
                self.invalid = Finding(shape, None)
        else:
            self.hit(construct, shape)

    def hit(self, construct: Construct, shape: str) -> None:
        """A construct whose effect is not nothing (documented everywhere needs no call)."""
        effect = _EFFECTS[construct.id]
        if effect == _EDITIONED:
            self.editioned.add(construct.id)
        elif effect == _UNDECIDED:
            if self.undecided is None:
                self.undecided = Finding(shape, construct)
        elif effect == _INVALID and self.invalid is None:
            self.invalid = Finding(shape, construct)

    def args(
        self, node: exp.Expr, kind: str, rules: dict[str, _Arg], skip: tuple[str, ...] = ()
    ) -> None:
        """Every set argument of a checked node (but ``skip``), looked up in its rules."""
        for key, value in node.args.items():
            if value is not None and key not in skip:
                self.arg(kind, key, value, rules.get(key))

    def arg(self, kind: str, key: str, value: Any, rule: _Arg | None) -> None:
        """One set argument (not None) and its rule, if the table has one."""
        cls = value.__class__
        if cls is bool or cls is str:
            token = ("true" if value else "false") if cls is bool else value.upper()
            construct = rule.values.get(token, _UNLISTED) if rule else _UNLISTED
            if construct is not _UNLISTED:
                if construct is not None:
                    self.hit(construct, f"{kind}.{key}={token}")
                return
            if value is False:
                return  # sqlglot's default for a flag the table does not single out
        elif cls is list and not value:
            return
        if rule is not None and rule.present is not _UNLISTED:
            if rule.present is not None:
                self.hit(rule.present, f"{kind}.{key}")
        elif self.invalid is None:
            self.shape(_shape_text(kind, key, value))


def _shape_text(kind: str, key: str, value: Any) -> str:
    if value is True or value is False or isinstance(value, str):
        token = "true" if value is True else "false" if value is False else value.upper()
        return f"{kind}.{key}={token}"
    return f"{kind}.{key}"


# a rule's entry for a shape the table does not list (None: listed, and nothing to record)
_UNLISTED: Any = object()


@dataclass(frozen=True, slots=True)
class _Arg:
    """One argument of a checked node: the construct of its presence and of its values (None
    where the construct needs no record: documented in every edition; ``_UNLISTED`` if none)."""

    present: Construct | None
    values: dict[str, Construct | None]


# per sqlglot node class: (kind, quiet keys, argument rules, special handler, node construct);
# quiet keys are those documented in every edition whatever their value: nothing to look at
_Dispatch = tuple[str, frozenset[str], "dict[str, _Arg] | None", Any, "Construct | None"]


@cache
def _compiled() -> tuple[dict[str, dict[str, _Arg]], dict[str, Construct]]:
    """Per checked node type, its arguments' rules; and the node-type constructs."""
    table = grammar()
    _EFFECTS.update({c.id: _effect(c) for c in table.constructs})

    def recorded(construct: Construct) -> Construct | None:
        return None if _EFFECTS[construct.id] == _IGNORE else construct

    present: dict[tuple[str, str], Construct | None] = {}
    values: dict[tuple[str, str], dict[str, Construct | None]] = {}
    for shape, construct in table.by_shape.items():
        node, _, rest = shape.partition(".")
        if not rest:
            continue
        key, sep, value = rest.partition("=")
        if sep:
            values.setdefault((node, key), {})[value] = recorded(construct)
        else:
            present[(node, key)] = recorded(construct)
    rules: dict[str, dict[str, _Arg]] = {}
    for node, key in {*present, *values}:
        rule = _Arg(present.get((node, key), _UNLISTED), values.get((node, key), {}))
        rules.setdefault(node, {})[key] = rule
    return rules, dict(table.nodes)


_EFFECTS: dict[str, int] = {}
_DISPATCH: dict[type, _Dispatch | None] = {}


def _dispatch(cls: type) -> _Dispatch | None:
    rules, nodes = _compiled()
    kind = cls.__name__
    node_rules, construct = rules.get(kind), nodes.get(kind)
    quiet = frozenset(
        key
        for key, rule in (node_rules or {}).items()
        if rule.present is None and not any(rule.values.values())
    )
    entry = (kind, quiet, node_rules, _SPECIAL.get(kind), construct)
    _DISPATCH[cls] = entry if node_rules is not None or construct is not None else None
    return _DISPATCH[cls]


def scan(trees: Iterable[exp.Expr]) -> Scan:
    """Walk the statements once and sort each clause-level piece by the grammar table."""
    _compiled()
    dispatch = _DISPATCH
    walk = _Walk(grammar())
    for tree in trees:
        for node in tree.walk():
            cls = node.__class__
            entry = dispatch[cls] if cls in dispatch else _dispatch(cls)
            if entry is None:
                continue
            kind, quiet, node_rules, special, construct = entry
            if special is not None:
                special(walk, node, kind, quiet, node_rules)
            elif node_rules is not None:
                for key, value in node.args.items():
                    if value is not None and key not in quiet:
                        walk.arg(kind, key, value, node_rules.get(key))
            if construct is not None:
                walk.hit(construct, kind)
    return Scan(walk.invalid, walk.undecided, frozenset(walk.editioned))


def _join(
    walk: _Walk, node: exp.Expr, kind: str, quiet: frozenset[str], rules: dict[str, _Arg]
) -> None:
    args = node.args
    side = str(args.get("side") or "").upper()
    join_kind = str(args.get("kind") or "").upper()
    method = str(args.get("method") or "").upper()
    condition = bool(args.get("on") or args.get("using"))
    unnest = isinstance(node.this, exp.Unnest)  # CROSS JOIN UNNEST is judged as UNNEST
    walk.args(node, "Join", rules, ("side", "kind", "method"))
    if side:
        walk.shape(f"Join.side={side}")
    if method:
        walk.shape(f"Join.method={method}")
    if join_kind == "OUTER" and not side:
        walk.shape("Join.kind=OUTER-WITHOUT-SIDE")
    elif join_kind == "CROSS" and condition:
        walk.shape("Join.kind=CROSS-WITH-CONDITION")
    elif join_kind and not (join_kind == "CROSS" and unnest):
        walk.shape(f"Join.kind={join_kind}")
    if not condition and method != "NATURAL" and join_kind not in ("CROSS", "SEMI", "ANTI"):
        if side or join_kind:
            walk.shape("Join.condition=none")
        elif not unnest:
            walk.shape("Join.kind=CROSS")  # a comma join


def _ordered(
    walk: _Walk, node: exp.Expr, kind: str, quiet: frozenset[str], rules: dict[str, _Arg]
) -> None:
    args = node.args
    desc = bool(args.get("desc"))
    nulls_first = args.get("nulls_first")
    # sqlglot fills in the default null ordering (NULLS FIRST for ASC, LAST for DESC)
    if nulls_first is not None and bool(nulls_first) == desc:
        walk.shape("Ordered.nulls=explicit")
    walk.args(node, "Ordered", rules, ("nulls_first", "desc"))


def _table(
    walk: _Walk, node: exp.Expr, kind: str, quiet: frozenset[str], rules: dict[str, _Arg]
) -> None:
    args = node.args
    for key, value in args.items():
        if value is not None and key not in quiet:
            walk.arg(kind, key, value, rules.get(key))
    table = walk.table
    word = _unquoted_word(node.this)
    if word in table.reserved_names:
        walk.shape(f"Table.name={word}")
    alias = args.get("alias")
    if alias is not None and table.reserved_aliases:
        word = _unquoted_word(alias.this)
        if word in table.reserved_aliases:
            walk.shape(f"Table.alias={word}")


def _unquoted_word(name: Any) -> str:
    """An unquoted identifier's text in upper case ("" for anything else)."""
    if name.__class__ is exp.Identifier and not name.quoted:
        return str(name.this).upper()
    return ""


def _pivot(
    walk: _Walk, node: exp.Expr, kind: str, quiet: frozenset[str], rules: dict[str, _Arg]
) -> None:
    # sqlglot keeps naming options of its own on a Pivot: only PIVOT vs UNPIVOT is looked at
    walk.shape(f"Pivot.unpivot={'true' if node.args.get('unpivot') else 'false'}")


_SPECIAL = {"Join": _join, "Ordered": _ordered, "Table": _table, "Pivot": _pivot}
