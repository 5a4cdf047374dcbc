"""The reference oracle: what a conforming Druid must answer, and which documented rule says so.

``decide(case)`` is a pure function of the case (who asks, what they hold, what they ask for, on
which profile and settings). It never talks to Druid. The order of checks is the documented
precedence (SPEC section 2): authentication (401), an operation the version does not have (404),
validation of a submitted statement (400: bad SQL or a table that does not exist), an unknown
task (404), the statements API's submitter rule (403), then the permissions the rule tables
require (403 if any is missing). Everything else is allowed with the operation's success code.

The rules are data (``conformance/oracle/rules/*.toml``); this module only interprets them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from conformance.oracle.catalog import (
    KINDS,
    CatalogError,
    Release,
    available,
    catalog,
    format_release,
    release_of,
)
from conformance.oracle.dialect import InvalidSQL, UnsupportedSyntax, parse_cached
from conformance.oracle.grammar import grammar
from conformance.oracle.permissions import (
    Grants,
    InvalidPattern,
    Permission,
    Resource,
    ResourceAction,
)
from conformance.oracle.profiles import (
    DEFAULT_PROFILE,
    SUBMIT_OPERATIONS,
    Profile,
    ProfileError,
    get_profile,
    normalize_settings,
)
from conformance.oracle.resources import StatementKind, StatementResources, analyze_sql
from conformance.oracle.rules import OPERATIONS, Rule

__all__ = [
    "CASE_FIELDS",
    "INFORMATION_SCHEMA_TABLES",
    "SYS_TABLES",
    "Case",
    "CaseError",
    "Conflict",
    "Verdict",
    "VerdictKind",
    "decide",
]

# Metadata tables of some documented release (SQL metadata tables page); which ones a profile's
# release has is decided by _validate from conformance/oracle/catalog.toml.
SYS_TABLES: frozenset[str] = catalog().names("sys_table")
INFORMATION_SCHEMA_TABLES: frozenset[str] = catalog().names("information_schema_table")


class CaseError(ValueError):
    """A malformed case: not a verdict, the input is wrong."""


class VerdictKind(StrEnum):
    """What the oracle decides, with the status the rule tables give each outcome.

    ``allowed``: the operation's success status (200, or 202 for ``statements.cancel``);
    ``forbidden``: 403 (a missing permission, or not the submitter on the statements API);
    ``unauthenticated``: 401; ``not_found``: 404 (an unknown task, or an operation the version
    does not have); ``invalid``: 400 (bad SQL or a table that does not exist);
    ``undecided``: no status (documented SQL the oracle does not model, or pages that leave
    the outcome open): a check with this verdict is reported, never counted as agreement.
    """

    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    UNDECIDED = "undecided"


CASE_FIELDS = frozenset(
    {
        "id",
        "profile",
        "settings",
        "operation",
        "sql",
        "context",
        "permissions",
        "authenticated",
        "actor_is_submitter",
        "existing_datasources",
        "task_exists",
    }
)


@dataclass(frozen=True)
class Case:
    """One question to the oracle.

    For ``submit`` and ``statements.submit``, ``sql`` is the statement submitted; for the other
    operations it is the statement of the task acted on (which ``task_exists`` says exists), and
    ``actor_is_submitter`` says whether the actor submitted it. ``existing_datasources`` lists
    the datasources that exist (``view.x`` / ``lookup.x`` for the other schemas); ``None`` means
    every table the statement reads exists. ``permissions`` are the union of the actor's roles.
    ``settings`` are cluster settings by short name or runtime property (``profiles.SETTINGS``),
    ``context`` the query context sent with the request (its keys may need QUERY_CONTEXT WRITE).
    """

    id: str
    operation: str
    sql: str
    profile: str = DEFAULT_PROFILE
    settings: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    permissions: tuple[Permission, ...] = ()
    authenticated: bool = True
    actor_is_submitter: bool = True
    existing_datasources: frozenset[str] | None = None
    task_exists: bool = True

    @classmethod
    def from_json(cls, data: Any) -> Case:
        """Build a case from one object of the JSON-lines schema (``CASE_FIELDS``).

        Raises ``CaseError`` for a non-object, a missing ``id``/``operation``/``sql``, an unknown
        or mistyped field, or a bad permission (unknown type or action, invalid pattern).
        """
        if not isinstance(data, Mapping):
            raise CaseError("a case must be a JSON object")
        extra = set(data) - CASE_FIELDS
        if extra:
            raise CaseError(f"unknown field(s): {', '.join(sorted(extra))}")
        for required in ("id", "operation", "sql"):
            if not isinstance(data.get(required), str):
                raise CaseError(f"'{required}' is required and must be a string")
        try:
            permissions = tuple(Permission.from_json(p) for p in _list(data, "permissions"))
        except (ValueError, InvalidPattern) as error:
            raise CaseError(f"permissions: {error}") from None
        existing = data.get("existing_datasources")
        if existing is not None:
            existing = frozenset(_strings(_list(data, "existing_datasources"), "existing"))
        return cls(
            id=data["id"],
            operation=data["operation"],
            sql=data["sql"],
            profile=_typed(data, "profile", str, DEFAULT_PROFILE),
            settings=_typed(data, "settings", dict, {}),
            context=_typed(data, "context", dict, {}),
            permissions=permissions,
            authenticated=_typed(data, "authenticated", bool, True),
            actor_is_submitter=_typed(data, "actor_is_submitter", bool, True),
            existing_datasources=existing,
            task_exists=_typed(data, "task_exists", bool, True),
        )


def _typed(data: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    value = data.get(key, default)
    if not isinstance(value, kind):
        raise CaseError(f"'{key}' must be {kind.__name__}, got {type(value).__name__}")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CaseError(f"'{key}' must be a list")
    return value


def _strings(values: list[Any], what: str) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise CaseError(f"{what}: names must be strings")
    return values


@dataclass(frozen=True)
class Conflict:
    """Another documented passage (``rule``, effect ``conflict``) that asks otherwise than the
    rules the verdict follows (``contradicted``): the permissions it would require instead,
    those of them the actor lacks, and the status it would give. The verdict does not follow
    it (the seed pages are the specification); it is shown so that a disagreement that matches
    it is reported as a documentation conflict, not as a Druid deviation."""

    rule: Rule
    contradicted: tuple[Rule, ...]
    required: tuple[ResourceAction, ...]
    missing: tuple[ResourceAction, ...]
    status: int

    def to_json(self) -> dict[str, Any]:
        """``{"rule": citation, "contradicts": [rule ids], "required", "missing", "status"}``."""
        return {
            "rule": self.rule.citation(),
            "contradicts": [r.id for r in self.contradicted],
            "required": [ra.to_json() for ra in self.required],
            "missing": [ra.to_json() for ra in self.missing],
            "status": self.status,
        }


@dataclass(frozen=True)
class Verdict:
    """What a conforming Druid answers, the permissions involved, and the deciding rule.

    ``status`` is the HTTP status (None when undecided); ``required`` the permissions the rules
    ask for, in citation order, and ``missing`` those the actor lacks (empty unless forbidden, or
    undecided between a missing permission and a task not found);
    ``rule`` is the rule that decides and ``rules`` every rule cited, the deciding one first;
    ``resources`` is what the statement touches, when it got as far as being analysed;
    ``conflicts`` are documented passages that would decide otherwise (``Conflict``).
    """

    case_id: str
    verdict: VerdictKind
    status: int | None
    required: tuple[ResourceAction, ...]
    missing: tuple[ResourceAction, ...]
    rule: Rule
    reason: str
    rules: tuple[Rule, ...] = ()
    resources: StatementResources | None = None
    conflicts: tuple[Conflict, ...] = ()

    @property
    def status_class(self) -> str | None:
        """The status's class, ``"2xx"`` for 200 or 202 (how 2xx answers are compared); None
        when undecided."""
        return None if self.status is None else f"{self.status // 100}xx"

    @property
    def decided(self) -> bool:
        """Whether the documentation, as the oracle models it, gives an answer."""
        return self.verdict is not VerdictKind.UNDECIDED

    @property
    def allowed(self) -> bool:
        """Whether the verdict is ``allowed``."""
        return self.verdict is VerdictKind.ALLOWED

    def to_json(self) -> dict[str, Any]:
        """The verdict as ``druid-conformance oracle`` prints it and a check line records it:
        id, verdict, status, status_class, required and missing (lists of ``{"type", "name",
        "action"}``), rule (``Rule.citation``), reason, and conflicts (``Conflict.to_json``);
        ``rules`` and ``resources`` left out.
        """
        return {
            "id": self.case_id,
            "verdict": self.verdict.value,
            "status": self.status,
            "status_class": self.status_class,
            "required": [ra.to_json() for ra in self.required],
            "missing": [ra.to_json() for ra in self.missing],
            "rule": self.rule.citation(),
            "reason": self.reason,
            "conflicts": [c.to_json() for c in self.conflicts],
        }


# --------------------------------------------------------------------------- decision


def decide(case: Case) -> Verdict:
    """Judge one case by the rules of its profile, in the documented precedence (SPEC section 2,
    module docstring above).

    Raises ``CaseError`` for a malformed case: an unknown operation, profile or setting, a task
    statement (for status, reports, cancel) that does not parse, or a profile whose rule tables
    do not decide the outcome. A submitted statement that does not parse is a verdict (invalid).
    """
    profile, settings = _profile_and_settings(case)
    if case.operation not in OPERATIONS:
        raise CaseError(f"unknown operation {case.operation!r}; known: {', '.join(OPERATIONS)}")
    table = _rule_index(profile.name, case.operation)
    if not case.authenticated:
        return _deny(
            case, table, "unauthenticated", VerdictKind.UNAUTHENTICATED, "no valid credentials"
        )
    if case.operation not in profile.operations:
        return _deny(
            case,
            table,
            "operation_unavailable",
            VerdictKind.NOT_FOUND,
            f"{case.operation} does not exist in {profile.product} {profile.version}",
        )
    submitting = case.operation in SUBMIT_OPERATIONS
    try:
        resources = analyze_sql(case.sql)
    except InvalidSQL as error:
        if not submitting:
            raise CaseError(f"the task's statement does not parse: {error}") from None
        return _deny(case, table, "invalid", VerdictKind.INVALID, str(error))
    except UnsupportedSyntax as error:
        return _deny(case, table, "undecided", VerdictKind.UNDECIDED, str(error))
    if submitting:
        invalid = _validate(case, profile, resources)
        if invalid:
            return _deny(case, table, *invalid, resources=resources)
    elif not case.task_exists:
        return _not_found(case, settings, table, resources)
    if not case.actor_is_submitter and "not_submitter" in table.deny:
        return _deny(
            case,
            table,
            "not_submitter",
            VerdictKind.FORBIDDEN,
            "only the user who submitted the query may do this",
            resources=resources,
        )
    return _judge_permissions(case, settings, table, resources)


def _not_found(
    case: Case, settings: Mapping[str, Any], table: _RuleIndex, resources: StatementResources
) -> Verdict:
    """404 for a task that does not exist; undecided when the rule is not ``ordered`` against
    a missing permission (the documentation does not say which is answered first) and the
    actor also misses one."""
    not_found = _deny(case, table, "task_not_found", VerdictKind.NOT_FOUND, "no such task")
    if not_found.rule.ordered:
        return not_found
    judged = _judge_permissions(case, settings, table, resources)
    if not judged.missing:
        return not_found
    return dataclasses.replace(
        judged,
        verdict=VerdictKind.UNDECIDED,
        status=None,
        rule=not_found.rule,
        reason=(
            f"no such task ({not_found.status}, rule {not_found.rule.id}) and {judged.reason} "
            f"({judged.status}): the documentation does not say which is answered first"
        ),
        rules=(not_found.rule, *judged.rules),
    )


def _profile_and_settings(case: Case) -> tuple[Profile, dict[str, Any]]:
    try:
        profile = get_profile(case.profile)
        return profile, normalize_settings(profile, case.settings)
    except ProfileError as error:
        raise CaseError(str(error)) from None


def _validate(
    case: Case, profile: Profile, resources: StatementResources
) -> tuple[str, VerdictKind, str] | None:
    """Why a submitted statement is a bad query, if it is (validation precedes authorization),
    or why its outcome is undecided on this profile.

    In order: the statement's problems (resources), export on a profile without it, grammar
    constructs the profile's documentation edition does not have (``grammar.toml``: ``since``
    and ``before``), table functions and export destinations it does not have, tables that do
    not exist (``catalog.toml`` for ``sys``/``INFORMATION_SCHEMA``), and last, constructs its
    edition is silent on (undecided: a 400 found above is certain whatever they mean).
    """
    if resources.problems:
        return "invalid", VerdictKind.INVALID, "; ".join(resources.problems)
    if resources.kind is StatementKind.EXPORT and "export" not in profile.features:
        return "invalid", VerdictKind.INVALID, f"export does not exist in profile {profile.name}"
    release, judged = _edition(profile)
    silent: str | None = None
    constructs = parse_cached(case.sql).constructs
    for construct_id in sorted(constructs) if constructs else ():
        construct = grammar().construct(construct_id)
        status = construct.status_in(release)
        if status in ("excluded", "silent"):
            reason = (
                f"{construct.name} is documented from Apache Druid {construct.since_text} "
                f"({construct.page}; grammar construct {construct.id}); {judged}"
            )
            if status == "excluded":
                return "invalid", VerdictKind.INVALID, reason
            silent = silent or f"{reason}, whose documentation is silent on it"
    absent: list[str] = []
    if resources.table_functions:
        absent += [
            _absent("table_function", name, judged)
            for name in sorted(resources.table_functions - available("table_function", release))
        ]
    destination = resources.export_destination
    if destination and destination not in available("export_destination", release):
        absent.append(_absent("export_destination", destination, judged))
    if absent:
        return "invalid", VerdictKind.INVALID, "; ".join(absent)
    unknown = set(resources.unknown_tables)
    if resources.sys_tables:
        unknown |= {
            _absent("sys_table", t, judged)
            for t in resources.sys_tables - available("sys_table", release)
        }
    if resources.information_schema_tables:
        unknown |= {
            _absent("information_schema_table", t, judged)
            for t in resources.information_schema_tables
            - available("information_schema_table", release)
        }
    if case.existing_datasources is not None:
        unknown |= resources.table_references() - case.existing_datasources
    if unknown:
        return "missing_table", VerdictKind.INVALID, f"no such table: {', '.join(sorted(unknown))}"
    if silent:
        return "undecided", VerdictKind.UNDECIDED, silent
    return None


@lru_cache(maxsize=64)
def _edition(profile: Profile) -> tuple[Release | None, str]:
    """The Apache Druid release whose documentation judges the profile (None: the current
    documentation), and how reasons say so."""
    try:
        release = release_of(profile.product, profile.version)
    except CatalogError as error:
        raise CaseError(f"profile {profile.name}: {error}") from None
    return release, f"profile {profile.name} judges {profile.product} {profile.version}"


def _absent(kind: str, name: str, judged: str) -> str:
    """What is missing (``sys.x``, ``no such table function 'x'``) and, when a later release
    documents it, from which release on."""
    if kind == "sys_table":
        what = f"sys.{name}"
    elif kind == "information_schema_table":
        what = f"INFORMATION_SCHEMA.{name}"
    else:
        what = f"no such {KINDS[kind]} {name!r}"
    entry = catalog().entry(kind, name)
    if entry is None:
        return what
    since = format_release(entry.since)
    return f"{what} (documented from Apache Druid {since}, {entry.page}; {judged})"


def _judge_permissions(
    case: Case, settings: Mapping[str, Any], table: _RuleIndex, resources: StatementResources
) -> Verdict:
    kind = resources.kind.value
    context_keys = _context_keys_to_authorize(case, settings, resources)
    required: list[ResourceAction] = []
    sources: dict[ResourceAction, Rule] = {}
    for rule in table.require:
        if kind not in rule.kinds or (rule.when_setting and not settings.get(rule.when_setting)):
            continue
        assert rule.action is not None
        for resource in _select(rule, resources, context_keys):
            needed = ResourceAction(resource, rule.action)
            if needed not in sources:
                sources[needed] = rule
                required.append(needed)
    missing = _grants(case.permissions).missing(required)
    forbidden = table.deny.get("forbidden")
    status = forbidden.status if forbidden and forbidden.status else 403
    success = table.status
    if success is None or success.status is None:
        raise CaseError(f"no rule gives the success status of {case.operation}")
    conflicts = tuple(
        _conflict(rule, required, sources, case.permissions, status, success.status)
        for rule in table.conflicts
        if any(sources[r].id in rule.contradicts for r in required)
    )
    if missing:
        first = sources[missing[0]]
        deciding = tuple(dict.fromkeys(sources[m] for m in missing))
        return Verdict(
            case_id=case.id,
            verdict=VerdictKind.FORBIDDEN,
            status=status,
            required=tuple(required),
            missing=missing,
            rule=first,
            reason="missing " + ", ".join(str(m) for m in missing),
            rules=(*deciding, *((forbidden,) if forbidden else ())),
            resources=resources,
            conflicts=conflicts,
        )
    used = tuple(dict.fromkeys(sources[r] for r in required))
    reason = (
        "holds " + ", ".join(str(r) for r in required)
        if required
        else "no permission is required beyond authentication"
    )
    return Verdict(
        case_id=case.id,
        verdict=VerdictKind.ALLOWED,
        status=success.status,
        required=tuple(required),
        missing=(),
        rule=success,
        reason=reason,
        rules=(success, *_relevant(table.allow, resources), *used),
        resources=resources,
        conflicts=conflicts,
    )


def _conflict(
    rule: Rule,
    required: list[ResourceAction],
    sources: Mapping[ResourceAction, Rule],
    permissions: tuple[Permission, ...],
    forbidden_status: int,
    success_status: int,
) -> Conflict:
    """The verdict ``rule`` (a ``conflict``) would give: each permission a contradicted rule
    requires, with the conflict's action and name, the rest unchanged."""
    contradicted = tuple(dict.fromkeys(s for r, s in sources.items() if s.id in rule.contradicts))
    instead = tuple(
        dict.fromkeys(
            _alternative(rule, needed) if sources[needed].id in rule.contradicts else needed
            for needed in required
        )
    )
    lacking = _grants(permissions).missing(instead)
    return Conflict(
        rule=rule,
        contradicted=contradicted,
        required=instead,
        missing=lacking,
        status=forbidden_status if lacking else success_status,
    )


def _alternative(rule: Rule, needed: ResourceAction) -> ResourceAction:
    name = needed.resource.name
    if rule.alternative_name:
        name = rule.alternative_name.replace("{name}", name)
    return ResourceAction(
        Resource(needed.resource.type, name), rule.alternative_action or needed.action
    )


def _relevant(rules: Iterable[Rule], res: StatementResources) -> tuple[Rule, ...]:
    """The allow rules about what this statement reads (all of them if about nothing)."""
    reads: dict[str, frozenset[str]] = {
        "information_schema": res.information_schema_tables,
        "sys_tables": res.sys_tables,
        "lookups": res.lookups,
    }
    return tuple(
        rule
        for rule in rules
        if rule.when_reads is None
        or (reads[rule.when_reads] & rule.tables if rule.tables else reads[rule.when_reads])
    )


def _context_keys_to_authorize(
    case: Case, settings: Mapping[str, Any], resources: StatementResources
) -> list[str]:
    keys = set(case.context) | resources.context_keys
    secured = settings.get("securedContextKeys")
    if secured is not None:
        keys &= secured
    keys -= settings.get("unsecuredContextKeys", frozenset())
    return sorted(keys)


def _select(rule: Rule, res: StatementResources, context_keys: list[str]) -> list[Resource]:
    """The concrete resources a rule's selector picks out of the statement."""
    rtype = rule.resource_type
    assert rtype is not None
    selector = rule.selector
    names: Iterable[str]
    if selector == "datasources_read":
        names = sorted(res.datasources_read)
    elif selector == "datasource_written":
        names = [res.datasource_written] if res.datasource_written else []
    elif selector == "views_read":
        names = sorted(res.views)
    elif selector == "external_read":
        names = [rule.resource_name or "EXTERNAL"] if res.reads_external else []
    elif selector == "fixed":
        names = [rule.resource_name or ""]
    elif selector == "context_keys":
        names = context_keys
    elif selector == "sys_tables":
        tables = sorted(t for t in res.sys_tables if rule.tables is None or t in rule.tables)
        names = ([rule.resource_name] if tables else []) if rule.resource_name else tables
    else:  # the loader rejects unknown selectors; keep mypy and future edits honest
        raise CaseError(f"rule {rule.id}: unknown selector {selector!r}")
    return [Resource(rtype, name) for name in names]


def _deny(
    case: Case,
    table: _RuleIndex,
    condition: str,
    verdict: VerdictKind,
    reason: str,
    resources: StatementResources | None = None,
) -> Verdict:
    rule = table.deny.get(condition)
    if rule is None or (rule.status is None) != (verdict is VerdictKind.UNDECIDED):
        raise CaseError(f"no rule of profile {case.profile} decides {condition!r}")
    return Verdict(
        case_id=case.id,
        verdict=verdict,
        status=rule.status,
        required=(),
        missing=(),
        rule=rule,
        reason=reason,
        rules=(rule,),
        resources=resources,
    )


@dataclass(frozen=True)
class _RuleIndex:
    """A profile's rules for one operation, sorted by effect, in citation order."""

    require: tuple[Rule, ...]
    allow: tuple[Rule, ...]
    deny: dict[str, Rule]
    status: Rule | None
    conflicts: tuple[Rule, ...] = ()


@lru_cache(maxsize=64)
def _rule_index(profile_name: str, operation: str) -> _RuleIndex:
    rules = [r for r in get_profile(profile_name).rules() if r.applies(operation)]
    deny: dict[str, Rule] = {}
    for rule in rules:
        if rule.effect == "deny" and rule.condition:
            deny.setdefault(rule.condition, rule)
    statuses = [r for r in rules if r.effect == "status"]
    return _RuleIndex(
        require=tuple(r for r in rules if r.effect == "require"),
        allow=tuple(r for r in rules if r.effect == "allow"),
        deny=deny,
        status=statuses[0] if statuses else None,
        conflicts=tuple(r for r in rules if r.effect == "conflict"),
    )


@lru_cache(maxsize=1024)
def _grants(permissions: tuple[Permission, ...]) -> Grants:
    """Grants per distinct permission set: one actor is judged against many statements."""
    return Grants(permissions)
