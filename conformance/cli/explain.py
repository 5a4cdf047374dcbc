"""``druid-conformance explain``: one question to the oracle, answered for a person.

What does this statement need, what is missing, and which documented rule decides
(``druid-conformance oracle`` answers many for a program: ``conformance/cli/oracle.py``).
"""

from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.oracle import Case, CaseError, Conflict, Verdict, decide
from conformance.oracle.permissions import InvalidPattern, Permission
from conformance.oracle.profiles import (
    DEFAULT_PROFILE,
    PROFILES,
    SETTINGS,
    ProfileError,
    parse_settings,
)
from conformance.oracle.resources import StatementResources
from conformance.oracle.rules import OPERATIONS
from conformance.runner.replay_plan import ENDPOINTS
from fixtures.errors import BadInputError

__all__ = ["format_verdict", "read_grants", "register"]


def _endpoint(operation: str) -> str:
    """The operation's request, as replay and the reproductions send it: ``GET /druid/...``."""
    endpoint = ENDPOINTS[operation]
    return f"{endpoint.method} {endpoint.path}"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explain = subparsers.add_parser(
        "explain",
        help="explain what a statement needs and whether an actor may run it",
        description=(
            "Print the permissions a statement needs for an operation, which of them the "
            "grants miss, the verdict a conforming Druid must give (HTTP status), and the "
            "documented rule that decides it. Without --grants the actor holds nothing, so "
            "every required permission is listed as missing."
        ),
    )
    explain.add_argument(
        "--sql", required=True, help="the statement (for status/cancel: the one submitted)"
    )
    explain.add_argument(
        "--op",
        default="submit",
        choices=OPERATIONS,
        help="operation (default: submit); statements.* exist from Druid 27",
    )
    explain.add_argument(
        "--grants",
        type=Path,
        help=(
            "JSON file with the actor's permissions: a list of {type,name,action} or Druid's "
            '{resource:{name,type},action}, or {"roles": {role: [...]}} (their union)'
        ),
    )
    explain.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        choices=sorted(PROFILES),
        help=f"documentation edition and Druid version (default: {DEFAULT_PROFILE})",
    )
    explain.add_argument(
        "--context", default="{}", help="query context as a JSON object (default: {})"
    )
    explain.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"cluster setting, repeatable; VALUE is JSON. Keys: {', '.join(SETTINGS)}",
    )
    explain.add_argument(
        "--existing",
        help="comma-separated tables that exist (default: every table the statement reads)",
    )
    explain.add_argument(
        "--not-submitter", action="store_true", help="the actor did not submit the task"
    )
    explain.add_argument("--no-such-task", action="store_true", help="the task id does not exist")
    explain.add_argument(
        "--unauthenticated", action="store_true", help="the request has no valid credentials"
    )
    explain.add_argument("--json", action="store_true", help="print the verdict as JSON")
    explain.set_defaults(handler=_explain)


# --------------------------------------------------------------------------- explain


def _explain(args: argparse.Namespace) -> int:
    permissions = read_grants(args.grants) if args.grants else ()
    try:
        context = json.loads(args.context)
    except json.JSONDecodeError as error:
        raise BadInputError(f"--context is not JSON: {error}") from None
    if not isinstance(context, dict):
        raise BadInputError("--context must be a JSON object")
    existing = None
    if args.existing is not None:
        existing = frozenset(name.strip() for name in args.existing.split(",") if name.strip())
    case = Case(
        id="explain",
        operation=args.op,
        sql=args.sql,
        profile=args.profile,
        settings=_settings(args.setting),
        context=context,
        permissions=permissions,
        authenticated=not args.unauthenticated,
        actor_is_submitter=not args.not_submitter,
        existing_datasources=existing,
        task_exists=not args.no_such_task,
    )
    try:
        verdict = decide(case)
    except CaseError as error:
        raise BadInputError(str(error)) from None
    if args.json:
        print(json.dumps(verdict.to_json(), indent=2))
    else:
        print(format_verdict(case, verdict))
    return 0


def _settings(items: list[str]) -> dict[str, Any]:
    try:
        return parse_settings(items)
    except ProfileError as error:
        raise BadInputError(f"--setting: {error}") from None


def read_grants(path: Path) -> tuple[Permission, ...]:
    """Permissions from a grants file (see ``--grants``); bad input raises ``BadInputError``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInputError(f"cannot read grants file {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise BadInputError(f"grants file {path} is not JSON: {error}") from None
    if isinstance(data, Mapping) and set(data) == {"roles"} and isinstance(data["roles"], Mapping):
        entries = [p for role in data["roles"].values() for p in _as_list(role, path)]
    elif isinstance(data, Mapping) and set(data) == {"permissions"}:
        entries = _as_list(data["permissions"], path)
    else:
        entries = _as_list(data, path)
    try:
        return tuple(Permission.from_json(entry) for entry in entries)
    except (ValueError, InvalidPattern) as error:
        raise BadInputError(f"grants file {path}: {error}") from None


def _as_list(value: Any, path: Path) -> list[Any]:
    if not isinstance(value, list):
        raise BadInputError(
            f"grants file {path}: expected a list of permissions, "
            '{"permissions": [...]} or {"roles": {name: [...]}}'
        )
    return value


def format_verdict(case: Case, verdict: Verdict) -> str:
    """A page a person reads: statement, requirements, verdict, and the quoted rule."""
    profile = PROFILES[case.profile]
    lines = [
        f"Profile     {profile.name} ({profile.product} {profile.version})",
        f"Operation   {case.operation}  ({_endpoint(case.operation)})",
    ]
    if verdict.resources is not None:
        lines += _describe(verdict.resources)
    if case.operation == "shutdownAllTasks":
        running = "a task" if case.task_exists else "no task"
        lines.append(f"Tasks       {running} of the statement's datasource is running")
    elif case.operation not in ("submit", "statements.submit"):
        who = "the actor submitted it" if case.actor_is_submitter else "submitted by someone else"
        lines.append(f"Task        {'exists' if case.task_exists else 'does not exist'}, {who}")
    lines.append(f"Grants      {len(case.permissions)} permission(s)")
    lines.append("")
    if verdict.required:
        lines.append("Required permissions")
        missing = set(verdict.missing)
        for needed in verdict.required:
            mark = "MISSING" if needed in missing else "held   "
            lines.append(f"  {mark}  {needed}")
    elif verdict.resources is not None:
        lines.append("Required permissions: none beyond authentication")
    answer = (
        f"HTTP {verdict.status} ({verdict.status_class})"
        if verdict.decided
        else "the documentation, as this oracle models it, gives no status"
    )
    lines += [
        "",
        f"Verdict     {verdict.verdict.value.upper()}: {answer}",
        f"Because     {verdict.reason}",
        "",
    ]
    for rule in verdict.rules:
        lines += _cite(rule, deciding=rule is verdict.rule)
    for conflict in verdict.conflicts:
        lines += _conflict(conflict)
    return "\n".join(lines).rstrip()


def _conflict(conflict: Conflict) -> list[str]:
    """A passage that contradicts the rules the verdict follows, and what it would answer."""
    contradicted = ", ".join(rule.id for rule in conflict.contradicted)
    lines = [
        f"Documentation conflict: {conflict.rule.id} contradicts {contradicted}",
        f"  By that passage: HTTP {conflict.status}, requiring "
        + (", ".join(map(str, conflict.required)) or "nothing"),
    ]
    if conflict.missing:
        lines.append("  of which missing: " + ", ".join(map(str, conflict.missing)))
    return lines + _cite(conflict.rule, deciding=False)


def _describe(res: StatementResources) -> list[str]:
    lines = [f"Statement   {res.kind.value.upper()}"]
    reads = []
    if res.datasources_read:
        reads.append("datasources " + ", ".join(sorted(res.datasources_read)))
    if res.views:
        reads.append("views " + ", ".join(sorted(res.views)))
    if res.lookups:
        reads.append("lookups " + ", ".join(sorted(res.lookups)))
    if res.sys_tables:
        reads.append("sys." + ", sys.".join(sorted(res.sys_tables)))
    if res.information_schema_tables:
        reads.append("INFORMATION_SCHEMA." + ", ".join(sorted(res.information_schema_tables)))
    if res.reads_external:
        how = ["EXTERN"] if res.uses_extern else []
        how += sorted(res.input_source_functions)
        kinds = ", ".join(sorted(res.external_input_types))
        reads.append(f"external data via {', '.join(how)} (input source {kinds})")
    lines.append("Reads       " + ("; ".join(reads) if reads else "nothing"))
    if res.datasource_written:
        lines.append(f"Writes      datasource {res.datasource_written}")
    if res.export_destination:
        lines.append(f"Writes      export to {res.export_destination}")
    if res.context_keys:
        lines.append("SET         " + ", ".join(sorted(res.context_keys)))
    return lines


def _cite(rule: Any, deciding: bool) -> list[str]:
    label = "Deciding rule" if deciding else "Rule"
    lines = [
        f"{label}: {rule.id} [{rule.basis}]",
        f"  {rule.page}, {rule.version}",
    ]
    for paragraph in rule.passage.splitlines():
        wrapped = textwrap.wrap(paragraph, 96) or [""]
        lines += [f"  > {chunk}" for chunk in wrapped]
    if rule.note:
        note = textwrap.wrap(rule.note, 92)
        lines += ["  Note: " + note[0]] + ["        " + chunk for chunk in note[1:]]
    lines.append("")
    return lines


# --------------------------------------------------------------------------- oracle
