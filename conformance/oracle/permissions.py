"""Resources, actions and druid-basic-security's permission matching.

The semantics encoded here (SPEC section 3): a permission names a resource type, an action and a
resource-name pattern; the pattern is a Java regular expression matched against the WHOLE
resource name, case-sensitively; type and action must be equal (WRITE does not imply READ); a
user's permissions are the union of its roles' permissions.

Patterns are Java regexes; Python's ``re`` is close but not equal. ``translate_java_regex``
rewrites the differences that matter for resource names and refuses (``UnsupportedPattern``)
Java features it cannot express, rather than matching something else silently:

- translated: ``\\Q...\\E`` quoting; ``\\z`` and Java's ``\\Z``; named groups ``(?<n>..)`` and
  ``\\k<n>``; ``.`` (Java's excludes ``\\r``, ``\\u0085``, ``\\u2028``, ``\\u2029`` too); Java's
  ``\\v`` (vertical whitespace) and ``\\h``; the POSIX classes ``\\p{Lower}``, ``\\p{Upper}``,
  ``\\p{Alpha}``, ``\\p{Digit}``, ``\\p{Alnum}``, ``\\p{Punct}``, ``\\p{Space}``, ``\\p{XDigit}``
  (and ``\\P{..}`` outside brackets); ``\\w``/``\\d``/``\\s``/``\\b`` are ASCII as in Java.
- same in both: literals, classes, quantifiers (greedy, lazy, possessive), groups, look-around,
  atomic groups, back-references by number, anchors, inline flags at the start.
- refused: class union/intersection (``[a[b]]``, ``[a&&b]``), other ``\\p{..}`` properties,
  ``\\R``, ``\\X``, ``\\G``, ``\\c``, inline flags after the start, the ``d`` and ``U`` flags,
  and ``{,n}`` (an error in Java, a quantifier in Python).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

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


class InvalidPattern(ValueError):
    """A resource-name pattern that is not a valid regular expression."""


class UnsupportedPattern(InvalidPattern):
    """A valid Java regex using a feature this translation does not reproduce."""


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


# --------------------------------------------------------------------------- Java regex

_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_JAVA_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"
_JAVA_V = "\\n\\x0b\\f\\r\\x85\\u2028\\u2029"
_JAVA_H = " \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000"
_REFUSED_ESCAPES = {"R": "\\R", "X": "\\X", "G": "\\G", "c": "\\c"}
_FLAG_GROUP = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)")


def translate_java_regex(pattern: str) -> str:
    """Rewrite a Java regex into Python ``re`` syntax with the same full-match meaning.

    Raises ``UnsupportedPattern`` for a Java feature listed as refused above, ``InvalidPattern``
    for a trailing backslash or an unclosed character class.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    dotall = False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise InvalidPattern(f"{pattern!r}: trailing backslash")
            i = _translate_escape(pattern, i, in_class, out)
            continue
        if in_class:
            if ch == "[":
                raise UnsupportedPattern(f"{pattern!r}: nested character class (union)")
            if ch == "&" and pattern.startswith("&&", i):
                raise UnsupportedPattern(f"{pattern!r}: character class intersection '&&'")
            if ch == "]" and not _class_just_opened(out):
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a leading ] is a literal in both
                out.append("\\]")
                i += 1
            continue
        if ch == "(" and pattern.startswith("(?", i):
            i, dotall = _translate_group_open(pattern, i, out, dotall)
            continue
        if ch == "{" and pattern.startswith("{,", i):
            raise UnsupportedPattern(f"{pattern!r}: '{{,n}}' is not a Java quantifier")
        if ch == ".":
            out.append("." if dotall else _JAVA_DOT)
            i += 1
            continue
        out.append(ch)
        i += 1
    if in_class:
        raise InvalidPattern(f"{pattern!r}: unclosed character class")
    return "".join(out)


def _class_just_opened(out: list[str]) -> bool:
    return bool(out) and (out[-1] == "[" or (out[-1] == "^" and len(out) > 1 and out[-2] == "["))


def _translate_escape(pattern: str, i: int, in_class: bool, out: list[str]) -> int:
    nxt = pattern[i + 1]
    if nxt == "Q":
        end = pattern.find("\\E", i + 2)
        literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
        out.append("".join(_escape_char(c, in_class) for c in literal))
        return len(pattern) if end < 0 else end + 2
    if nxt in "pP":
        if i + 2 < len(pattern) and pattern[i + 2] == "{":
            close = pattern.find("}", i + 3)
            name = pattern[i + 3 : close] if close > 0 else ""
            if name.startswith("Is"):
                name = name[2:]
            body = _POSIX.get(name)
            if body is None:
                raise UnsupportedPattern(f"{pattern!r}: property class \\{nxt}{{{name}}}")
            if nxt == "P" and in_class:
                raise UnsupportedPattern(f"{pattern!r}: negated property inside a class")
            out.append(body if in_class else f"[{'^' if nxt == 'P' else ''}{body}]")
            return close + 1
        raise UnsupportedPattern(f"{pattern!r}: one-letter property class \\{nxt}")
    if nxt in _REFUSED_ESCAPES:
        raise UnsupportedPattern(f"{pattern!r}: {_REFUSED_ESCAPES[nxt]} is not supported")
    if nxt == "z":
        out.append("\\Z")
    elif nxt == "Z":
        out.append("(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?\\Z)")
    elif nxt in "vV":
        out.append(
            _JAVA_V if in_class and nxt == "v" else f"[{'^' if nxt == 'V' else ''}{_JAVA_V}]"
        )
    elif nxt in "hH":
        out.append(
            _JAVA_H if in_class and nxt == "h" else f"[{'^' if nxt == 'H' else ''}{_JAVA_H}]"
        )
    elif nxt == "e":
        out.append("\\x1b")
    elif nxt == "k" and pattern.startswith("<", i + 2):
        close = pattern.find(">", i + 3)
        out.append(f"(?P={pattern[i + 3 : close]})")
        return close + 1
    else:
        out.append(pattern[i : i + 2])
    return i + 2


def _escape_char(c: str, in_class: bool) -> str:
    return re.escape(c) if not in_class else ("\\" + c if c in "\\]^-[" else c)


def _translate_group_open(pattern: str, i: int, out: list[str], dotall: bool) -> tuple[int, bool]:
    if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
        out.append("(?P<")
        return i + 3, dotall
    flags = _FLAG_GROUP.match(pattern, i)
    if flags:
        on, off = flags.group(1), flags.group(2) or ""
        if set(on + off) - set("imsx"):
            raise UnsupportedPattern(f"{pattern!r}: inline flag(s) {on + off!r}")
        if i != 0 or off:
            raise UnsupportedPattern(f"{pattern!r}: inline flags only supported at the start")
        out.append(flags.group(0))
        return flags.end(), dotall or "s" in on
    out.append("(?")
    return i + 2, dotall


_JAVA_META = frozenset("\\^$.|?*+()[]{}")


def java_quote(name: str) -> str:
    """A Java regex matching exactly ``name`` (metacharacters escaped, readable otherwise)."""
    return "".join("\\" + c if c in _JAVA_META else c for c in name)


@lru_cache(maxsize=8192)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a Java resource-name pattern for ``fullmatch`` (cached: patterns repeat).

    Raises ``InvalidPattern`` (``UnsupportedPattern`` for a refused feature) when it cannot.
    """
    try:
        return re.compile(translate_java_regex(pattern), re.ASCII)
    except re.error as error:
        raise InvalidPattern(f"{pattern!r}: {error}") from None
