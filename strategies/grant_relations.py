"""Grant sets related to a scenario's, for the metamorphic relations on grants
(``docs/metamorphic.md``): the actor's grants with one grant added (a superset), and a required
set held exactly, then without each one of its elements in turn.

Pure: grant sets and users, no Druid. The required set itself comes from the caller (the
oracle's ``required`` for the operation, and what the deviation registry says this Druid also
wants, ``Judge.submitter_workaround``); each element becomes one exact grant (the name quoted as
a Java regex, so it matches that name and no other).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from hypothesis import strategies as st

from conformance.oracle.permissions import ResourceAction
from fixtures.provision import Grant
from strategies.grants import RoleSpec, UserSpec, grants

__all__ = [
    "GrantVariant",
    "added_grants",
    "minus_one",
    "named",
    "with_grant",
]


@dataclass(frozen=True)
class GrantVariant:
    """A grant set and its name in reports (``+ READ DATASOURCE 'wiki'``, ``- WRITE ...``)."""

    name: str
    grants: tuple[Grant, ...]


def named(grant: Grant) -> str:
    """``READ DATASOURCE 'wiki.*'``: a grant as the reports show it."""
    return f"{grant.action} {grant.type} {grant.name!r}"


def with_grant(user: UserSpec, grant: Grant) -> UserSpec:
    """``user`` holding ``grant`` as well: appended to its last role, or in a role of its own
    (``<user>_added``) when it has none. Its other roles and grants are unchanged."""
    if not user.roles:
        return replace(user, roles=(RoleSpec(f"{user.name}_added", (grant,)),))
    *kept, last = user.roles
    return replace(user, roles=(*kept, replace(last, grants=(*last.grants, grant))))


def added_grants(user: UserSpec) -> st.SearchStrategy[Grant]:
    """Any grant (``strategies.grants.grants``) that ``user`` does not already hold, so that
    the superset is a strict one."""
    held = frozenset(user.grants())
    return grants().filter(lambda grant: grant not in held)


def minus_one(required: Sequence[ResourceAction]) -> tuple[GrantVariant, ...]:
    """The required set held exactly (first, named ``exactly the required set``), then once
    without each element (``- READ DATASOURCE 'wiki'``). Duplicates count once. An empty set
    has only its exact variant: nothing to leave out."""
    needed = tuple(dict.fromkeys(required))
    exact = tuple(Grant.exactly(r) for r in needed)
    family = [GrantVariant("exactly the required set", exact)]
    for index, grant in enumerate(exact):
        family.append(GrantVariant(f"- {named(grant)}", exact[:index] + exact[index + 1 :]))
    return tuple(family)
