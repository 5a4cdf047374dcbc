"""The reference oracle: what a conforming Druid must answer, and which documented rule says so.

It imports only the standard library and sqlglot (an import-linter contract in
``pyproject.toml`` and ``tests/test_oracle_package.py`` keep it so), and it never talks to Druid.

- ``dialect``: the MSQ dialect on sqlglot (parse and render INSERT/REPLACE, EXTERN, export, SET);
- ``grammar`` and ``grammar.toml``: Druid's documented query syntax as an allow-list;
- ``catalog`` and ``catalog.toml``: metadata tables, table functions, export destinations, by
  release;
- ``resources``: what a statement reads and writes (``analyze_sql``);
- ``permissions``: druid-basic-security's permissions and their matching (Java regexes);
- ``rules`` and ``rules/*.toml``: the documented rules, as data;
- ``releases`` and ``releases.toml``: every Apache Druid release from 24.0 on, its security
  page, statements API, export and context key lists, with sources;
- ``profiles``: which rule tables, operations and settings apply to a Druid version (one
  profile per release);
- ``versions``: the profile for the version a Druid reports (``profile_for_version``);
- ``decision``: ``decide(case) -> Verdict``.

The names below are the public API (see docs/oracle.md)::

    from conformance.oracle import Action, Case, Permission, decide

    read = Permission(pattern="wiki.*", type="DATASOURCE", action=Action.READ)
    verdict = decide(Case(id="c1", operation="submit", sql="SELECT page FROM wikipedia",
                          permissions=(read,)))
    verdict.verdict, verdict.status, verdict.rule.id  # allowed, 200, common.status.submit
"""

from __future__ import annotations

from conformance.oracle.decision import (
    CASE_FIELDS,
    Case,
    CaseError,
    Conflict,
    Verdict,
    VerdictKind,
    decide,
)
from conformance.oracle.dialect import SQLGLOT_BUILD, InvalidSQL, StatementError, UnsupportedSyntax
from conformance.oracle.permissions import (
    RESOURCE_TYPES,
    Action,
    Grants,
    InvalidPattern,
    Permission,
    Resource,
    ResourceAction,
)
from conformance.oracle.profiles import (
    DEFAULT_PROFILE,
    PROFILES,
    SETTINGS,
    Profile,
    ProfileError,
    get_profile,
    normalize_settings,
    parse_settings,
    runtime_properties,
)
from conformance.oracle.resources import StatementKind, StatementResources, analyze_sql
from conformance.oracle.rules import OPERATIONS, Edition, Rule, RuleTableError
from conformance.oracle.versions import profile_for_version

__all__ = [
    "CASE_FIELDS",
    "DEFAULT_PROFILE",
    "OPERATIONS",
    "PROFILES",
    "RESOURCE_TYPES",
    "SETTINGS",
    "SQLGLOT_BUILD",
    "Action",
    "Case",
    "CaseError",
    "Conflict",
    "Edition",
    "Grants",
    "InvalidPattern",
    "InvalidSQL",
    "Permission",
    "Profile",
    "ProfileError",
    "Resource",
    "ResourceAction",
    "Rule",
    "RuleTableError",
    "StatementError",
    "StatementKind",
    "StatementResources",
    "UnsupportedSyntax",
    "Verdict",
    "VerdictKind",
    "analyze_sql",
    "decide",
    "get_profile",
    "normalize_settings",
    "parse_settings",
    "profile_for_version",
    "runtime_properties",
]
