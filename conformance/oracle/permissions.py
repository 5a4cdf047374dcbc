"""Resources, actions and druid-basic-security's permission matching.

The semantics encoded here (SPEC section 3): a permission names a resource type, an action and a
resource-name pattern; the pattern is a Java regular expression matched against the WHOLE
resource name, case-sensitively; type and action must be equal (WRITE does not imply READ); a
user's permissions are the union of its roles' permissions.

Patterns are Java regexes, compiled by ``conformance.oracle.java_regex`` (a port of Java 17's
``Pattern`` parser, checked against a JVM by tests/test_java_regex.py): a pattern Java rejects
is ``InvalidPattern``, one Java accepts but the port does not reproduce is
``UnsupportedPattern``, and every other pattern matches as ``Pattern.matcher(name).matches()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from conformance.oracle.java_regex import (
    InvalidPattern,
    UnsupportedPattern,
    compile_pattern,
    java_quote,
    translate_java_regex,
)

__all__ = [
    "RESOURCE_TYPES",
    "Action",
    "Grants",
    "InvalidPattern",
    "Permission",
    "Resource",
    "ResourceAction",
    "UnsupportedPattern",
    "compile_pattern",
    "java_quote",
    "translate_java_regex",
]

# The resource types of druid-basic-security (SPEC section 3).
RESOURCE_TYPES: frozenset[str] = frozenset(
    {"DATASOURCE", "VIEW", "EXTERNAL", "STATE", "CONFIG", "SYSTEM_TABLE", "QUERY_CONTEXT"}
)


class Action(StrEnum):
    """The two actions of a permission. WRITE does not imply READ (rule ``ua.write-is-not-read``,
    docs/operations/security-user-auth.md; SPEC section 3)."""

    READ = "READ"
    WRITE = "WRITE"


@dataclass(frozen=True, order=True, slots=True)
class Resource:
    """A thing a request touches, as the authorizer sees it: (type, name).

    Raises ValueError for a type not in ``RESOURCE_TYPES``.
    """

    type: str
    name: str

    def __post_init__(self) -> None:
        if self.type not in RESOURCE_TYPES:
            raise ValueError(f"unknown resource type {self.type!r}")


@dataclass(frozen=True, order=True, slots=True)
class ResourceAction:
    """A required permission: an action on one concrete resource."""

    resource: Resource
    action: Action

    def to_json(self) -> dict[str, str]:
        """``{"type", "name", "action"}``, as in a verdict's required and missing lists."""
        return {"type": self.resource.type, "name": self.resource.name, "action": self.action.value}

    def __str__(self) -> str:
        return f"{self.action.value} {self.resource.type} {self.resource.name!r}"


@dataclass(frozen=True, slots=True)
class Permission:
    """A grant: ``action`` on resources of ``type`` whose whole name matches ``pattern``.

    Raises ValueError for a type not in ``RESOURCE_TYPES`` and ``InvalidPattern`` (or
    ``UnsupportedPattern``) for a pattern that is not a Java regex this module can reproduce.
    """

    pattern: str
    type: str
    action: Action

    def __post_init__(self) -> None:
        if self.type not in RESOURCE_TYPES:
            raise ValueError(f"unknown resource type {self.type!r}")
        compile_pattern(self.pattern)  # fail at construction, as Druid rejects a bad pattern

    def matches(self, resource: Resource, action: Action) -> bool:
        """Equal type and action, and the pattern matches the resource's whole name,
        case-sensitively (SPEC section 3)."""
        return (
            self.type == resource.type
            and self.action == action
            and compile_pattern(self.pattern).fullmatch(resource.name) is not None
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Permission:
        """Read ``{"type","name","action"}`` or Druid's ``{"resource": {...}, "action"}``.

        Raises ValueError for a non-object, an unknown or missing field, a non-string value or
        an action other than READ/WRITE; ``InvalidPattern`` (a ValueError) for a bad pattern.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a permission must be an object, got {data!r}")
        if "resource" in data:
            resource = data["resource"]
            if not isinstance(resource, Mapping):
                raise ValueError("permission 'resource' must be an object")
            name, type_ = resource.get("name"), resource.get("type")
            extra = set(data) - {"resource", "action"} | set(resource) - {"name", "type"}
        else:
            name, type_ = data.get("name"), data.get("type")
            extra = set(data) - {"name", "type", "action"}
        if extra:
            raise ValueError(f"unknown permission field(s): {', '.join(sorted(extra))}")
        action = data.get("action")
        if not isinstance(name, str) or not isinstance(type_, str) or not isinstance(action, str):
            raise ValueError(f"a permission needs string name, type and action: {dict(data)!r}")
        try:
            parsed_action = Action(action)
        except ValueError:
            raise ValueError(f"unknown action {action!r} (READ or WRITE)") from None
        return cls(pattern=name, type=type_, action=parsed_action)

    def to_json(self) -> dict[str, str]:
        """``{"type", "name", "action"}`` with the pattern as name; ``from_json`` reads it back."""
        return {"type": self.type, "name": self.pattern, "action": self.action.value}


class Grants:
    """The union of a user's roles' permissions, answering ``allows(resource, action)``.

    Patterns are grouped by (type, action) and compiled once; answers are memoised per grants
    object, because one statement asks about the same few resources many times.
    """

    __slots__ = ("_by_key", "_memo", "permissions")

    def __init__(self, permissions: Iterable[Permission] = ()) -> None:
        self.permissions: tuple[Permission, ...] = tuple(dict.fromkeys(permissions))
        by_key: dict[tuple[str, Action], list[re.Pattern[str]]] = {}
        for permission in self.permissions:
            by_key.setdefault((permission.type, permission.action), []).append(
                compile_pattern(permission.pattern)
            )
        self._by_key = {key: tuple(patterns) for key, patterns in by_key.items()}
        self._memo: dict[tuple[str, str, Action], bool] = {}

    @classmethod
    def union(cls, *roles: Iterable[Permission]) -> Grants:
        """The grants of a user holding all of ``roles``."""
        return cls(permission for role in roles for permission in role)

    def allows(self, resource: Resource, action: Action) -> bool:
        """Whether some permission of the resource's type and this action matches its whole
        name (``Permission.matches``, memoised)."""
        key = (resource.type, resource.name, action)
        answer = self._memo.get(key)
        if answer is None:
            patterns = self._by_key.get((resource.type, action), ())
            answer = any(p.fullmatch(resource.name) is not None for p in patterns)
            self._memo[key] = answer
        return answer

    def missing(self, required: Iterable[ResourceAction]) -> tuple[ResourceAction, ...]:
        """The required permissions these grants do not cover, in the given order."""
        return tuple(ra for ra in required if not self.allows(ra.resource, ra.action))

    def __len__(self) -> int:
        return len(self.permissions)
