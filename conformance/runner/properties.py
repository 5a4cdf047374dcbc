"""Security properties that are not Druid's documentation, and the table of their known breaks.

The oracle judges what the MSQ security pages say. Some answers matter for security although no
page speaks of them: whether a 401 tells an existing user from an unknown one (CWE-204), whether
it echoes what it was sent (CWE-79). Such a property is asserted by its own test, named in
``properties.toml`` with the weakness it comes from; a Druid release observed to break it is
listed there too, so that nightly runs fail only on a new break, as with the deviation registry.
A break is never counted as a documentation deviation.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from conformance.oracle.tables import reject_unknown_fields
from conformance.runner.run import Run
from fixtures.errors import BadInputError

TABLE = Path(__file__).with_name("properties.toml")
_PROPERTY_FIELDS = frozenset({"id", "title", "source", "severity", "test"})
_BREAK_FIELDS = frozenset({"property", "druid_versions", "observed", "reproduce"})
_BREAK_OPTIONAL = frozenset({"scopes"})
SEVERITIES = ("critical", "major", "minor")
EVENT = "property"  # the history event ``expect`` writes, which the run's summary counts


class PropertyOutcome(StrEnum):
    """What one ``expect`` came to, as its event says: the property held (``FIXED``: although a
    break is registered for this version and scope), or broke where a break is registered
    (``KNOWN_BREAK``) or where none is (``NEW_BREAK``, the test fails)."""

    HOLDS = "holds"
    FIXED = "holds (a break is registered for this version: fixed?)"
    KNOWN_BREAK = "known break"
    NEW_BREAK = "new break"


@dataclass(frozen=True)
class Property:
    """A security property no documentation states: ``source`` is the weakness it prevents."""

    id: str
    title: str
    source: str
    severity: str
    test: str


@dataclass(frozen=True)
class Break:
    """A real observation of ``property`` broken on ``druid_versions``; ``scopes`` (e.g. the
    operations it was seen on), when given, limit it to those."""

    property: str
    druid_versions: tuple[str, ...]
    observed: str
    reproduce: str
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """The properties by id, and every break observed."""

    properties: dict[str, Property]
    breaks: tuple[Break, ...]

    def known_break(self, property_id: str, druid_version: str, scope: str = "") -> Break | None:
        """The break of ``property_id`` registered for this version and scope, or None."""
        return next(
            (
                b
                for b in self.breaks
                if b.property == property_id
                and druid_version in b.druid_versions
                and (not b.scopes or scope in b.scopes)
            ),
            None,
        )


class PropertyBroken(AssertionError):
    """A property broken where no break is registered for this Druid version: a new finding."""


def load(path: Path = TABLE) -> Table:
    """Read the table. BadInputError for a file that is not TOML, an unknown or missing field,
    an unknown severity, a duplicate id or a break of a property that is not listed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise BadInputError(f"{path}: {error}") from None
    properties: dict[str, Property] = {}
    for number, raw in enumerate(data.get("property", []), 1):
        entry = Property(**_fields(raw, _PROPERTY_FIELDS, f"{path.name}: property {number}"))
        if entry.severity not in SEVERITIES:
            raise BadInputError(f"{path.name}: {entry.id}: severity {entry.severity!r}")
        if entry.id in properties:
            raise BadInputError(f"{path.name}: property {entry.id} listed twice")
        properties[entry.id] = entry
    breaks = tuple(
        _break(raw, f"{path.name}: break {n}") for n, raw in enumerate(data.get("break", []), 1)
    )
    for seen in breaks:
        if seen.property not in properties:
            raise BadInputError(f"{path.name}: a break of unknown property {seen.property}")
    return Table(properties, breaks)


def _fields(
    raw: dict[str, Any], allowed: frozenset[str], where: str, optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    reject_unknown_fields(raw, allowed | optional, where, BadInputError)
    missing = allowed - set(raw)
    if missing:
        raise BadInputError(f"{where}: missing field(s) {', '.join(sorted(missing))}")
    return dict(raw)


def _break(raw: dict[str, Any], where: str) -> Break:
    fields = _fields(raw, _BREAK_FIELDS, where, _BREAK_OPTIONAL)
    return Break(
        fields["property"],
        tuple(fields["druid_versions"]),
        fields["observed"],
        fields["reproduce"],
        tuple(fields.get("scopes", ())),
    )


@cache
def table() -> Table:
    """The packaged table, read once per process (BadInputError as ``load``)."""
    return load()


def expect(
    run: Run,
    property_id: str,
    holds: bool,
    evidence: str,
    druid_version: str,
    scope: str = "",
    known: Table | None = None,
) -> None:
    """Record whether ``property_id`` held on this Druid, in ``scope`` (e.g. the operation
    asked), as a ``property`` event in the history (``{property, scope, outcome,
    druid_version}``, ``outcome`` a :class:`PropertyOutcome`); the run's summary counts them.

    Returns when it holds, or when a break is registered for ``druid_version``; raises
    PropertyBroken (an AssertionError, so the test fails) naming the property, its source and
    ``evidence`` otherwise. KeyError for a property the table does not list.
    """
    listed = known or table()
    prop = listed.properties[property_id]
    registered = listed.known_break(property_id, druid_version, scope)
    if holds:
        outcome = PropertyOutcome.FIXED if registered else PropertyOutcome.HOLDS
    else:
        outcome = PropertyOutcome.KNOWN_BREAK if registered else PropertyOutcome.NEW_BREAK
    run.history.record_event(
        EVENT,
        {
            "property": property_id,
            "scope": scope,
            "outcome": outcome.value,
            "druid_version": druid_version,
        },
    )
    if holds or registered:
        return
    raise PropertyBroken(
        f"{prop.severity.upper()} security property {prop.id} broken: {prop.title} "
        f"({prop.source}); not in Druid's documentation, and no break of it is registered "
        f"for Druid {druid_version} (conformance/runner/properties.toml).\n{evidence}"
    )
