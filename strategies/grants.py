"""Permission names, grants, roles and users: the world a scenario provisions.

A permission's name is a Java regex matched against the WHOLE resource name, case-sensitively
(SPEC section 3). The strategies here make names that are meant to match a resource (exact,
``.*``, a prefix with ``.*``, anchors, a dot standing for one character, a character class) and
near misses meant NOT to (a strict prefix such as ``wiki`` against ``wikipedia``, another case
such as ``Wiki``, a dot on a strict prefix such as ``w.ki``, anchors on a prefix, one character
more or less). Every candidate is checked with the oracle's own matcher
(``conformance.oracle.permissions.compile_pattern``), so "matching" and "near miss" are facts,
not hopes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from hypothesis import event
from hypothesis import strategies as st

from conformance.oracle.permissions import (
    RESOURCE_TYPES,
    Action,
    Permission,
    compile_pattern,
    java_quote,
)
from fixtures.provision import Grant
from strategies.identities import passwords, user_names
from strategies.naming import Namer

__all__ = [
    "ACTIONS",
    "CANONICAL_NAMES",
    "QUERY_SELECT_STUB",
    "TYPES",
    "Grant",
    "RoleSpec",
    "UserSpec",
    "grants",
    "java_quote",
    "matches",
    "matching_patterns",
    "near_miss_patterns",
    "noise_grants",
    "roles",
    "split_into_roles",
    "to_permission",
    "users",
]

TYPES: tuple[str, ...] = tuple(sorted(RESOURCE_TYPES))
ACTIONS: tuple[str, ...] = (Action.READ.value, Action.WRITE.value)
QUERY_SELECT_STUB = "__query_select"
# Names worth granting on: the seeds, then the canonical name of every resource type (SPEC
# section 3): the SELECT stub, EXTERNAL, STATE, CONFIG and its `security`, system tables
# (SYSTEM_TABLE names are `sys.<table>`) and the context keys statements set or Druid adds
# (QUERY_CONTEXT). Granted as noise to every operation's actors, the statements API's included,
# so an authorizer that confuses a canonical name with another resource shows.
SEED_NAMES: tuple[str, ...] = ("wikipedia", "wiki", "Wiki", "koalas")
CANONICAL_NAMES: tuple[str, ...] = (
    QUERY_SELECT_STUB,
    "EXTERNAL",
    "STATE",
    "CONFIG",
    "security",
    "sys.segments",
    "sys.tasks",
    "maxNumTasks",
    "queryId",
    "sqlQueryId",
    "sqlTimeZone",
    "finalizeAggregations",
)
INTERESTING_NAMES: tuple[str, ...] = SEED_NAMES + CANONICAL_NAMES


def matches(pattern: str, name: str) -> bool:
    """Whether basic-security's matcher lets ``pattern`` through for ``name`` (oracle's view)."""
    return compile_pattern(pattern).fullmatch(name) is not None


# The oracle's form of a provisioned grant (one conversion, on ``Grant``).
to_permission = Grant.to_permission


# --------------------------------------------------------------------------- patterns


def _matching_candidates(name: str, cut: int, at: int) -> list[str]:
    quoted = java_quote(name)
    prefix = java_quote(name[:cut])
    out = [quoted, ".*", prefix + ".*", f"^{quoted}$", f"(?:{quoted})", f"{quoted}|zz_nomatch"]
    char = name[at]
    if char.isalnum():  # a dot in place of one character still matches it
        out.append(java_quote(name[:at]) + "." + java_quote(name[at + 1 :]))
        if char.isalpha():
            out.append(
                java_quote(name[:at])
                + f"[{char.lower()}{char.upper()}]"
                + java_quote(name[at + 1 :])
            )
    return out


def _near_miss_candidates(name: str, cut: int, at: int) -> list[str]:
    prefix = name[:cut]
    out = [
        name,  # the name written as is: a regex, which misses it when it has metacharacters
        java_quote(name.swapcase()),
        java_quote(name[:1].swapcase() + name[1:]),
        java_quote(name) + "s",
        java_quote(name) + ".+",
        java_quote(name[:-1]),
        "." + java_quote(name),
    ]
    if prefix and prefix != name:
        quoted_prefix = java_quote(prefix)
        out += [quoted_prefix, f"^{quoted_prefix}", f"{quoted_prefix}$"]
        if at < len(prefix) and prefix[at].isalnum():
            out.append(java_quote(prefix[:at]) + "." + java_quote(prefix[at + 1 :]))
    return out


@st.composite
def _one_of(draw: st.DrawFn, build: Callable[[int, int], list[str]]) -> str:
    """Pick a candidate with draws whose SHAPE does not depend on the name: names may come
    from a namer (``strat_x_ds9`` vs ``strat_x_ds10``), and Hypothesis requires the same
    choices to replay the same way (else ``FlakyStrategyDefinition``)."""
    cut, at, pick = draw(st.integers(0, 255)), draw(st.integers(0, 255)), draw(st.integers(0, 255))
    options = build(cut, at)
    return options[pick % len(options)]


def matching_patterns(name: str) -> st.SearchStrategy[str]:
    """Patterns that DO match the whole of ``name``: exact, ``.*``, ``wiki.*``, ``^x$``, ..."""

    def build(cut: int, at: int) -> list[str]:
        if not name:
            return [".*", ""]
        candidates = _matching_candidates(name, cut % (len(name) + 1), at % len(name))
        return [p for p in dict.fromkeys(candidates) if matches(p, name)]

    return _one_of(build)


def near_miss_patterns(name: str) -> st.SearchStrategy[str]:
    """Patterns that look like ``name`` but do NOT match it: ``wiki`` for ``wikipedia``, ..."""

    def build(cut: int, at: int) -> list[str]:
        if not name:
            return ["x"]
        cut = 1 + cut % max(1, len(name) - 1)
        candidates = _near_miss_candidates(name, cut, at % len(name))
        return [p for p in dict.fromkeys(candidates) if not matches(p, name)]

    return _one_of(build)


# --------------------------------------------------------------------------- grants


def grants(
    types: Sequence[str] = TYPES,
    actions: Sequence[str] = ACTIONS,
    names: Sequence[str] = INTERESTING_NAMES,
) -> st.SearchStrategy[Grant]:
    """Any grant: every resource type and action, on interesting names or their variations."""

    def pattern_for(name: str) -> st.SearchStrategy[str]:
        return st.one_of(st.just(name), matching_patterns(name), near_miss_patterns(name))

    return st.builds(
        Grant,
        type=st.sampled_from(types),
        name=st.sampled_from(names).flatmap(pattern_for),
        action=st.sampled_from(actions),
    ).map(_noted)


def _noted(grant: Grant) -> Grant:
    """Record a grant written as a canonical name (``--hypothesis-show-statistics``)."""
    if grant.name in CANONICAL_NAMES:
        event(f"grant on a canonical name: {grant.name}")
    return grant


def noise_grants(
    avoid: Iterable[tuple[str, str, str]] = (), max_size: int = 4
) -> st.SearchStrategy[list[Grant]]:
    """Unrelated grants that never cover any ``(type, name, action)`` of ``avoid``."""
    avoided = tuple(avoid)

    def harmless(grant: Grant) -> bool:
        return not any(
            grant.type == t and grant.action == a and matches(grant.name, n) for t, n, a in avoided
        )

    return st.lists(grants().filter(harmless), max_size=max_size)


# --------------------------------------------------------------------------- roles and users


@dataclass(frozen=True)
class RoleSpec:
    """A role to provision: its (unique) name and the whole list of its grants."""

    name: str
    grants: tuple[Grant, ...]

    def permissions(self) -> tuple[Permission, ...]:
        return tuple(to_permission(g) for g in self.grants)


@dataclass(frozen=True)
class UserSpec:
    """A user to provision: name, password and the roles assigned to it."""

    name: str
    password: str
    roles: tuple[RoleSpec, ...]

    def permissions(self) -> tuple[Permission, ...]:
        """The union of the roles' permissions, as the oracle's ``Case.permissions`` wants."""
        return tuple(dict.fromkeys(p for role in self.roles for p in role.permissions()))

    def grants(self) -> tuple[Grant, ...]:
        return tuple(dict.fromkeys(g for role in self.roles for g in role.grants))

    def __repr__(self) -> str:  # no password in reports
        return f"UserSpec(name={self.name!r}, roles={[r.name for r in self.roles]!r})"


def _role_name(namer: Namer) -> st.SearchStrategy[str]:
    return user_names(namer, "role")


def roles(
    namer: Namer, grant: st.SearchStrategy[Grant] | None = None
) -> st.SearchStrategy[RoleSpec]:
    """A role with zero to four grants of any type and action."""
    return st.builds(
        RoleSpec,
        name=_role_name(namer),
        grants=st.lists(grant or grants(), max_size=4).map(tuple),
    )


@st.composite
def split_into_roles(
    draw: st.DrawFn, namer: Namer, wanted: Sequence[Grant], max_roles: int = 3
) -> tuple[RoleSpec, ...]:
    """Spread ``wanted`` over one to ``max_roles`` roles (some maybe empty): the user's union
    of roles is what counts, so a permission split over roles must work like one role.

    The simplest draw (Hypothesis's first example, and where it shrinks to) is ``max_roles``
    roles with everything in the last: with a profile that asks few examples per cell, the
    first is the one that shows an authorizer consulting only a user's first role. With nothing
    wanted, the simplest draw is no role at all: a user without roles holds nothing, like one
    whose roles are empty (an authorizer that reads "no roles" as "no restriction" shows only
    there)."""
    if not wanted:
        count = draw(st.integers(0, max_roles))
    else:
        count = max_roles - draw(st.integers(0, max_roles - 1))
    buckets: list[list[Grant]] = [[] for _ in range(count)]
    for grant in wanted:
        buckets[count - 1 - draw(st.integers(0, count - 1))].append(grant)
    return tuple(RoleSpec(draw(_role_name(namer)), tuple(bucket)) for bucket in buckets)


def users(
    namer: Namer, role: st.SearchStrategy[RoleSpec] | None = None
) -> st.SearchStrategy[UserSpec]:
    """A user holding zero to three roles."""
    return st.builds(
        UserSpec,
        name=user_names(namer),
        password=passwords(),
        roles=st.lists(role or roles(namer), max_size=3).map(tuple),
    )
