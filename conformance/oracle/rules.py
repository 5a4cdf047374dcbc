"""Load and validate the rule tables in ``conformance/oracle/rules/*.toml``.

A table is one documentation edition: an ``[edition]`` header (id, title, page, version, source)
and ``[[rule]]`` entries. Each rule quotes its passage and carries the data the oracle
interprets. Fields of a rule:

- ``id`` (unique across all tables), ``passage`` (quoted text), optional ``note``, ``basis``
  (``stated`` default, ``inferred`` or ``silent``), optional ``page``/``version`` overriding
  the edition's;
- ``effect``: ``require`` (adds required permissions), ``allow`` (cited when a request is
  allowed), ``deny`` (an outcome for a ``condition``), ``status`` (the success ``status`` of an
  operation) or ``info`` (documented, never decides);
- ``operations``: operation names (``*`` for all); ``kinds``: statement kinds (default all);
- for ``require``: ``selector`` (which resources of the statement), ``resource_type``,
  ``resource_name`` (for fixed resources), ``action``, optional ``tables`` (for ``sys_tables``)
  and ``when_setting`` (a cluster setting that must be true);
- for ``deny``/``status``: ``condition``/``status`` (the ``undecided`` condition has none: the
  documentation gives no answer the oracle can apply); a ``task_not_found`` rule may say
  ``ordered = false``: the documentation does not say whether it or a missing permission is
  answered first, so when both hold the verdict is undecided;
- for ``allow``: optional ``when_reads`` (``information_schema``, ``sys_tables`` with optional
  ``tables``, ``lookups``): the rule is cited only for statements that read such tables;
- for ``conflict`` (another passage that asks otherwise than the rules it ``contradicts``, a
  list of rule ids): ``alternative_action`` and/or ``alternative_name`` (a template where
  ``{name}`` is the resource name) say what a permission those rules require becomes under it.
  The oracle keeps following the contradicted rules and shows the conflict with both passages.

The validator rejects anything else, so a vendor's typo fails loudly instead of being ignored.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from conformance.oracle.permissions import RESOURCE_TYPES, Action
from conformance.oracle.resources import StatementKind
from conformance.oracle.tables import reject_unknown_fields

__all__ = [
    "BASES",
    "CONDITIONS",
    "EFFECTS",
    "OPERATIONS",
    "READ_TOPICS",
    "SELECTORS",
    "Edition",
    "Rule",
    "RuleTableError",
    "all_editions",
    "load_edition",
    "load_table",
]

OPERATIONS: tuple[str, ...] = (
    "submit",
    "status",
    "reports",
    "cancel",
    "shutdownAllTasks",
    "statements.submit",
    "statements.status",
    "statements.results",
    "statements.cancel",
)
EFFECTS = frozenset({"require", "allow", "deny", "status", "info", "conflict"})
CONDITIONS = frozenset(
    {
        "unauthenticated",
        "operation_unavailable",
        "invalid",
        "missing_table",
        "task_not_found",
        "not_submitter",
        "forbidden",
        "undecided",
    }
)
# selector -> whether it needs a fixed resource_name
SELECTORS: dict[str, bool] = {
    "datasources_read": False,
    "datasource_written": False,
    "views_read": False,
    "external_read": True,
    "fixed": True,
    "context_keys": False,
    "sys_tables": False,
}
BASES = frozenset({"stated", "inferred", "silent"})
# what an `allow` rule is about: it is cited only when the statement reads such tables
READ_TOPICS = frozenset({"information_schema", "sys_tables", "lookups"})
ALL_KINDS: frozenset[str] = frozenset(kind.value for kind in StatementKind)

_RULE_FIELDS = frozenset(
    {
        "id",
        "effect",
        "operations",
        "kinds",
        "selector",
        "resource_type",
        "resource_name",
        "action",
        "tables",
        "when_setting",
        "when_reads",
        "condition",
        "status",
        "passage",
        "note",
        "basis",
        "page",
        "version",
        "contradicts",
        "alternative_action",
        "alternative_name",
        "ordered",
    }
)
_CONFLICT_FIELDS = frozenset({"contradicts", "alternative_action", "alternative_name"})
_EDITION_FIELDS = frozenset({"id", "title", "page", "version", "source"})


class RuleTableError(ValueError):
    """A rule table that does not follow the format above."""


@dataclass(frozen=True)
class Rule:
    """One documented rule: where it is written (``page``, ``version``), what it says
    (``passage``, quoted), and the data the oracle interprets (fields as in the module docstring;
    ``status`` is an HTTP status)."""

    id: str
    edition: str
    effect: str
    operations: frozenset[str]
    kinds: frozenset[str]
    page: str
    version: str
    passage: str
    note: str = ""
    basis: str = "stated"
    selector: str | None = None
    resource_type: str | None = None
    resource_name: str | None = None
    action: Action | None = None
    tables: frozenset[str] | None = None
    when_setting: str | None = None
    when_reads: str | None = None
    condition: str | None = None
    status: int | None = None
    contradicts: frozenset[str] = frozenset()
    alternative_action: Action | None = None
    alternative_name: str | None = None
    ordered: bool = True

    def applies(self, operation: str, kind: str | None = None) -> bool:
        """Whether the rule is about ``operation`` (``*`` is every one) and, when ``kind`` is
        given, about that statement kind (a ``StatementKind`` value)."""
        if "*" not in self.operations and operation not in self.operations:
            return False
        return kind is None or kind in self.kinds

    def citation(self) -> dict[str, str]:
        """What a verdict shows: id, page, version, passage, and the note if any."""
        cited = {
            "id": self.id,
            "edition": self.edition,
            "page": self.page,
            "version": self.version,
            "basis": self.basis,
            "passage": self.passage,
        }
        if self.note:
            cited["note"] = self.note
        return cited


@dataclass(frozen=True)
class Edition:
    """One rule table, ``rules/<name>.toml``: a documentation edition.

    ``page`` and ``version`` are what its rules cite unless a rule names its own; ``source`` is
    where the quoted text comes from (a seed in ``shared/seeds/``, a file of apache/druid, or
    release notes);
    ``rules`` are in file order, which is citation order.
    """

    id: str
    title: str
    page: str
    version: str
    source: str
    rules: tuple[Rule, ...]


def load_table(data: Mapping[str, Any], origin: str = "<table>") -> Edition:
    """Validate one parsed TOML table and build its ``Edition``.

    ``origin`` names the table in messages. Raises ``RuleTableError`` (naming the table, the
    rule's number and id) for anything outside the format in the module docstring.
    """
    header = data.get("edition")
    if not isinstance(header, Mapping):
        raise RuleTableError(f"{origin}: missing [edition] header")
    _no_extra(header, _EDITION_FIELDS, f"{origin} [edition]")
    for key in _EDITION_FIELDS:
        if not isinstance(header.get(key), str) or not header[key]:
            raise RuleTableError(f"{origin} [edition]: '{key}' must be a non-empty string")
    _no_extra(data, frozenset({"edition", "rule"}), origin)
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleTableError(f"{origin}: needs at least one [[rule]]")
    rules = tuple(_rule(raw, header, f"{origin} rule #{i + 1}") for i, raw in enumerate(raw_rules))
    return Edition(
        id=header["id"],
        title=header["title"],
        page=header["page"],
        version=header["version"],
        source=header["source"],
        rules=rules,
    )


def _no_extra(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    reject_unknown_fields(data, allowed, where, RuleTableError)


def _strings(value: Any, where: str, field: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleTableError(f"{where}: '{field}' must be a list of strings")
    return frozenset(value)


def _rule(raw: Any, header: Mapping[str, Any], where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise RuleTableError(f"{where}: a rule must be a table")
    _no_extra(raw, _RULE_FIELDS, where)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleTableError(f"{where}: 'id' is required")
    where = f"{where} ({rule_id})"
    effect = raw.get("effect", "require")
    if effect not in EFFECTS:
        raise RuleTableError(f"{where}: effect must be one of {sorted(EFFECTS)}")
    passage = raw.get("passage")
    if not isinstance(passage, str) or not passage.strip():
        raise RuleTableError(f"{where}: every rule quotes a 'passage'")
    operations = _strings(raw.get("operations", []), where, "operations")
    unknown_ops = operations - set(OPERATIONS) - {"*"}
    if unknown_ops:
        raise RuleTableError(f"{where}: unknown operation(s) {sorted(unknown_ops)}")
    kinds = _strings(raw.get("kinds", sorted(ALL_KINDS)), where, "kinds")
    if kinds - ALL_KINDS:
        raise RuleTableError(f"{where}: unknown statement kind(s) {sorted(kinds - ALL_KINDS)}")
    basis = raw.get("basis", "stated")
    if basis not in BASES:
        raise RuleTableError(f"{where}: basis must be one of {sorted(BASES)}")
    fields: dict[str, Any] = {}
    if effect == "require":
        fields = _requirement(raw, where)
    elif effect in ("deny", "status"):
        fields = _outcome(raw, effect, where)
    elif effect == "conflict":
        fields = _conflict(raw, where)
    if effect != "conflict" and set(raw) & _CONFLICT_FIELDS:
        raise RuleTableError(f"{where}: only 'conflict' rules contradict others")
    if effect != "require" and set(raw) & {"selector", "resource_type", "resource_name", "action"}:
        raise RuleTableError(f"{where}: only 'require' rules name resources")
    if "when_reads" in raw:
        if effect != "allow" or raw["when_reads"] not in READ_TOPICS:
            raise RuleTableError(
                f"{where}: when_reads is for allow rules, one of {sorted(READ_TOPICS)}"
            )
        fields["when_reads"] = raw["when_reads"]
        if "tables" in raw:
            fields["tables"] = _strings(raw["tables"], where, "tables")
    return Rule(
        id=rule_id,
        edition=str(header["id"]),
        effect=effect,
        operations=operations,
        kinds=kinds,
        page=str(raw.get("page", header["page"])),
        version=str(raw.get("version", header["version"])),
        passage=passage.strip(),
        note=str(raw.get("note", "")),
        basis=basis,
        **fields,
    )


def _outcome(raw: Mapping[str, Any], effect: str, where: str) -> dict[str, Any]:
    """A ``deny`` rule's condition and status, or a ``status`` rule's status. The ``undecided``
    condition has no status: it is where the documentation gives none the oracle can apply."""
    fields: dict[str, Any] = {}
    if effect == "deny":
        if raw.get("condition") not in CONDITIONS:
            raise RuleTableError(f"{where}: condition must be one of {sorted(CONDITIONS)}")
        fields["condition"] = raw["condition"]
        if "ordered" in raw:
            if raw["condition"] != "task_not_found" or not isinstance(raw["ordered"], bool):
                raise RuleTableError(f"{where}: 'ordered' is a bool of task_not_found rules")
            fields["ordered"] = raw["ordered"]
        if raw["condition"] == "undecided":
            if "status" in raw:
                raise RuleTableError(f"{where}: an undecided outcome has no 'status'")
            return fields
    status = raw.get("status")
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise RuleTableError(f"{where}: '{effect}' needs an HTTP 'status'")
    fields["status"] = status
    return fields


def _conflict(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """What a ``conflict`` rule contradicts, and what a permission becomes under it."""
    contradicts = _strings(raw.get("contradicts", []), where, "contradicts")
    if not contradicts:
        raise RuleTableError(f"{where}: a conflict names the rule ids it 'contradicts'")
    fields: dict[str, Any] = {"contradicts": contradicts}
    if "alternative_action" in raw:
        try:
            fields["alternative_action"] = Action(str(raw["alternative_action"]))
        except ValueError:
            raise RuleTableError(f"{where}: alternative_action must be READ or WRITE") from None
    name = raw.get("alternative_name")
    if name is not None:
        if not isinstance(name, str) or "{name}" not in name:
            raise RuleTableError(f"{where}: alternative_name is a template with '{{name}}'")
        fields["alternative_name"] = name
    if len(fields) == 1:
        raise RuleTableError(f"{where}: a conflict needs alternative_action or alternative_name")
    return fields


def _requirement(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    selector = raw.get("selector")
    if selector not in SELECTORS:
        raise RuleTableError(f"{where}: selector must be one of {sorted(SELECTORS)}")
    resource_type = raw.get("resource_type")
    if resource_type not in RESOURCE_TYPES:
        raise RuleTableError(f"{where}: resource_type must be one of {sorted(RESOURCE_TYPES)}")
    try:
        action = Action(str(raw.get("action")))
    except ValueError:
        raise RuleTableError(f"{where}: action must be READ or WRITE") from None
    name = raw.get("resource_name")
    if SELECTORS[selector] and not isinstance(name, str):
        raise RuleTableError(f"{where}: selector '{selector}' needs a fixed 'resource_name'")
    if not SELECTORS[selector] and name is not None and selector != "sys_tables":
        raise RuleTableError(f"{where}: selector '{selector}' takes names from the statement")
    tables = raw.get("tables")
    when = raw.get("when_setting")
    if when is not None and not isinstance(when, str):
        raise RuleTableError(f"{where}: when_setting must be a setting name")
    return {
        "selector": selector,
        "resource_type": resource_type,
        "resource_name": name,
        "action": action,
        "tables": None if tables is None else _strings(tables, where, "tables"),
        "when_setting": when,
    }


def _table_files() -> Iterable[tuple[str, bytes]]:
    folder = resources.files("conformance.oracle") / "rules"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            yield entry.name, entry.read_bytes()


@cache
def all_editions() -> dict[str, Edition]:
    """Every packaged table, by edition id; rule ids must be unique across tables.

    Raises ``RuleTableError`` for a file that is not TOML, a malformed table, or an edition or
    rule id used twice. Cached: the tables are read once per process.
    """
    editions: dict[str, Edition] = {}
    seen: dict[str, str] = {}
    for name, content in _table_files():
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise RuleTableError(f"{name}: {error}") from None
        edition = load_table(data, name)
        if edition.id in editions:
            raise RuleTableError(f"{name}: edition id {edition.id!r} is used twice")
        for rule in edition.rules:
            if rule.id in seen:
                raise RuleTableError(f"{name}: rule id {rule.id!r} also in {seen[rule.id]}")
            seen[rule.id] = name
        editions[edition.id] = edition
    for edition in editions.values():
        for rule in edition.rules:
            unknown = sorted(rule.contradicts - set(seen))
            if unknown:
                raise RuleTableError(f"rule {rule.id!r} contradicts unknown rule(s) {unknown}")
    return editions


def load_edition(edition_id: str) -> Edition:
    """The packaged edition ``edition_id``; ``RuleTableError`` if there is none (or, as
    ``all_editions``, when a packaged table is malformed)."""
    editions = all_editions()
    if edition_id not in editions:
        raise RuleTableError(f"no rule table for edition {edition_id!r}")
    return editions[edition_id]
