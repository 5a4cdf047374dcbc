"""The known-deviation registry: where a real Druid answers otherwise than its documentation.

Entries live in ``conformance/runner/deviations/*.toml``, one table per Druid line, and come only
from real observations: each names the passage it contradicts, the versions it was seen on, what
was observed, a minimal example, and a command that shows it. A disagreement that matches an entry
is a known deviation (reported, not failed); any other fails the run. Every run re-checks every
entry that applies to its version, so an entry that no longer occurs is reported as fixed."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from conformance.oracle.catalog import Release, parse_release
from conformance.oracle.permissions import Action, Grants, Resource, ResourceAction
from conformance.oracle.tables import reject_unknown_fields
from conformance.runner.checks import Check, same_answer
from conformance.runner.findings import FindingKind, Severity
from fixtures.errors import BadInputError

REGISTRY_DIR = Path(__file__).parent / "deviations"
_FIELDS = frozenset(
    {
        "id",
        "title",
        "druid_versions",
        "operation",
        "rules",
        "passage",
        "documented_status",
        "observed_status",
        "observed",
        "when",
        "settings",
        "example",
        "reproduce",
        "submitter_workaround",
        "kind",
        "severity",
        "range",
        "rechecked_by",
    }
)
_RANGE_FIELDS = frozenset({"first_observed", "last_confirmed", "fixed_in"})
_WHEN_FIELDS = frozenset(
    {"kinds", "actor_lacks", "actor_holds", "actor_is_submitter", "login", "request"}
)


@dataclass(frozen=True)
class Example:
    """A minimal scenario showing the deviation: what the submitter and the actor hold.

    ``sql`` may name ``{out}``, a fresh output datasource; permissions are
    ``{"type", "name", "action"}`` dicts.
    """

    sql: str
    operation: str
    submitter: tuple[dict[str, str], ...]
    actor: tuple[dict[str, str], ...] | None  # None: the submitter acts
    submitter_password: str | None = None  # a password of this shape (else a random one)

    @classmethod
    def from_toml(cls, raw: Mapping[str, Any], where: str) -> Example:
        """Read an entry's ``example`` table; BadInputError (naming ``where``) for a missing or
        mistyped field. An ``actor`` of ``"submitter"`` or none means the submitter acts."""
        try:
            actor = raw.get("actor")
            password = raw.get("submitter_password")
            return cls(
                sql=str(raw["sql"]),
                operation=str(raw["operation"]),
                submitter=tuple(dict(p) for p in raw["submitter"]),
                actor=None if actor in (None, "submitter") else tuple(dict(p) for p in actor),
                submitter_password=None if password is None else str(password),
            )
        except (KeyError, TypeError) as error:
            raise BadInputError(f"{where}: bad example ({error})") from None


def release_key(version: str) -> Release:
    """A release's numbers for ordering (``catalog.parse_release`` of its leading dotted
    numbers): ``27.0.0`` -> (27, 0, 0); a suffix is ignored (``28.0.0-SNAPSHOT`` is 28.0.0).
    BadInputError when the version starts with no number."""
    numbers = re.match(r"\d+(?:\.\d+)*", version.strip())
    if numbers is None:
        raise BadInputError(f"not a release version: {version!r}")
    return parse_release(numbers.group(0))


@dataclass(frozen=True)
class VersionRange:
    """The releases an entry covers, bounded by observations: from ``first_observed`` up to,
    not including, ``fixed_in`` when a run saw it fixed there, else up to ``last_confirmed``,
    the latest release a run saw it on (a later release is not assumed to share it: its
    disagreement is new until a run confirms it). Without a range an entry covers only the
    releases it lists as observed."""

    first_observed: str
    last_confirmed: str
    fixed_in: str | None = None

    def covers(self, version: str) -> bool:
        """Whether ``version`` is in the range (False for a version that is not a number)."""
        try:
            key = release_key(version)
        except BadInputError:
            return False
        if key < release_key(self.first_observed):
            return False
        if self.fixed_in is None:
            return key <= release_key(self.last_confirmed)
        return key < release_key(self.fixed_in)

    def confirmed(self, version: str) -> bool:
        """Whether a run already saw it on ``version`` or a later release."""
        return release_key(version) <= release_key(self.last_confirmed)


@dataclass(frozen=True)
class Deviation:
    """One registry entry (``[[deviation]]``): on ``druid_versions`` (and the releases of its
    ``range``, when it has one), ``operation`` answers
    ``observed_status`` where the oracle ``rules`` (ids) and their ``passage`` say
    ``documented_status``. ``when`` narrows which checks it explains: statement ``kinds``,
    ``actor_lacks``/``actor_holds`` (``"ACTION TYPE name"``, ``{task_datasource}`` filled in),
    ``actor_is_submitter``, ``login`` (traits the sent credentials all have,
    ``Credentials.traits``) and ``request`` (traits the request was built with,
    ``Check.traits``). ``observed`` says when and on what it was seen. ``kind`` says
    what the disagreement is (``FindingKind``): a Druid deviation, or a documentation conflict
    (Druid answers as a passage that contradicts the rules says); it explains only checks of
    that kind. ``severity`` says how bad it is (``findings.Severity``)."""

    id: str
    title: str
    druid_versions: tuple[str, ...]
    operation: str
    rules: tuple[str, ...]  # the oracle rule ids whose verdicts it contradicts
    passage: str
    documented_status: int
    observed_status: int
    observed: str
    example: Example
    reproduce: str
    when: Mapping[str, Any] = field(default_factory=dict)
    # the cluster settings it needs (short names, as --druid-setting); empty: Druid's defaults
    # or any, for a deviation no setting changes
    settings: Mapping[str, Any] = field(default_factory=dict)
    # what a submitter must also hold on the affected Druid for its query to become a task; the
    # generators give it to submitters whose submission is not the question (status and cancel
    # scenarios), so that those cells stay reachable while the deviation lasts
    submitter_workaround: tuple[ResourceAction, ...] = ()
    kind: FindingKind = FindingKind.DRUID_DEVIATION
    # how bad it is (findings.SEVERITY of its direction; a test checks the two agree)
    severity: Severity = Severity.MAJOR
    # the releases it is believed to cover; None: exactly those of druid_versions
    range: VersionRange | None = None
    # the test that re-checks it, when one scenario cannot show it (another user's running
    # query first, ...): test_deviations.py leaves it to that test (a pytest node id)
    rechecked_by: str | None = None

    def applies_to(self, druid_version: str) -> bool:
        """Whether it was observed on this version (``druid_versions``), or the version is in
        its ``range``."""
        if druid_version in self.druid_versions:
            return True
        return self.range is not None and self.range.covers(druid_version)

    def applies_under(self, settings: Mapping[str, Any]) -> bool:
        """Does a cluster with these settings have what the entry needs?"""
        return all(settings.get(key) == value for key, value in self.settings.items())

    def matches(self, check: Check) -> bool:
        """Does this entry explain the check's disagreement?"""
        return (
            self.applies_to(check.druid_version)
            and self.applies_under(check.case.settings)
            and check.case.operation == self.operation
            and any(rule.id in self.rules for rule in (check.verdict.rule, *check.verdict.rules))
            and check.verdict.status is not None
            and same_answer(self.documented_status, check.verdict.status)
            and same_answer(self.observed_status, check.exchange.status)
            and check.finding_kind is self.kind
            and self._conditions_hold(check)
        )

    def _conditions_hold(self, check: Check) -> bool:
        resources = check.verdict.resources
        kind = resources.kind.value if resources is not None else None
        if "kinds" in self.when and kind not in self.when["kinds"]:
            return False
        submitter = self.when.get("actor_is_submitter")
        if submitter is not None and check.case.actor_is_submitter != submitter:
            return False
        if not set(self.when.get("login", ())) <= set(check.login):
            return False
        if not set(self.when.get("request", ())) <= set(check.traits):
            return False
        grants = Grants(check.case.permissions)
        values = {"task_datasource": task_datasource(check)}
        for text in self.when.get("actor_lacks", ()):
            if _holds(grants, text, values):
                return False
        return all(_holds(grants, text, values) for text in self.when.get("actor_holds", ()))


def task_datasource(check: Check) -> str:
    """The datasource the Overlord files a task under: the output, or the SELECT stub."""
    resources = check.verdict.resources
    if resources is not None and resources.datasource_written:
        return resources.datasource_written
    return "__query_select"


def _holds(grants: Grants, text: str, values: Mapping[str, str]) -> bool:
    """``"WRITE DATASOURCE {task_datasource}"`` -> does the actor hold it?"""
    action, type_, name = text.format(**values).split(" ", 2)
    return grants.allows(Resource(type_, name), Action(action))


def _deviation(raw: Mapping[str, Any], where: str) -> Deviation:
    reject_unknown_fields(raw, _FIELDS, where, BadInputError)
    when = dict(raw.get("when", {}))
    if set(when) - _WHEN_FIELDS:
        raise BadInputError(f"{where}: unknown 'when' field(s) {set(when) - _WHEN_FIELDS}")
    try:
        return Deviation(
            id=raw["id"],
            title=raw["title"],
            druid_versions=tuple(raw["druid_versions"]),
            operation=raw["operation"],
            rules=tuple(raw["rules"]),
            passage=raw["passage"],
            documented_status=int(raw["documented_status"]),
            observed_status=int(raw["observed_status"]),
            observed=raw["observed"],
            example=Example.from_toml(raw["example"], f"{where} {raw['id']}"),
            reproduce=raw["reproduce"],
            when=when,
            settings=dict(raw.get("settings", {})),
            submitter_workaround=_resource_actions(raw.get("submitter_workaround", ()), where),
            kind=_kind(raw, where),
            severity=_severity(raw, where),
            range=_range(raw, where),
            rechecked_by=raw.get("rechecked_by"),
        )
    except KeyError as error:
        raise BadInputError(f"{where}: missing field {error}") from None


def _kind(raw: Mapping[str, Any], where: str) -> FindingKind:
    try:
        return FindingKind(raw.get("kind", FindingKind.DRUID_DEVIATION.value))
    except ValueError:
        kinds = ", ".join(k.value for k in FindingKind)
        raise BadInputError(f"{where} {raw.get('id')}: kind must be one of {kinds}") from None


def _range(raw: Mapping[str, Any], where: str) -> VersionRange | None:
    if "range" not in raw:
        return None
    found = dict(raw["range"])
    where = f"{where} {raw.get('id')} range"
    if set(found) - _RANGE_FIELDS:
        raise BadInputError(f"{where}: unknown field(s) {sorted(set(found) - _RANGE_FIELDS)}")
    try:
        span = VersionRange(
            str(found["first_observed"]), str(found["last_confirmed"]), found.get("fixed_in")
        )
    except KeyError as error:
        raise BadInputError(f"{where}: missing {error}") from None
    first, last = release_key(span.first_observed), release_key(span.last_confirmed)
    if last < first or (span.fixed_in and release_key(span.fixed_in) <= last):
        raise BadInputError(f"{where}: needs first_observed <= last_confirmed < fixed_in")
    return span


def _severity(raw: Mapping[str, Any], where: str) -> Severity:
    try:
        return Severity(raw["severity"])
    except ValueError:
        levels = ", ".join(s.value for s in Severity)
        raise BadInputError(f"{where} {raw.get('id')}: severity must be one of {levels}") from None


def _resource_actions(raw: Iterable[Mapping[str, str]], where: str) -> tuple[ResourceAction, ...]:
    try:
        return tuple(
            ResourceAction(Resource(p["type"], p["name"]), Action(p["action"])) for p in raw
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BadInputError(f"{where}: bad submitter_workaround ({error})") from None


def load(paths: Iterable[Path] | None = None) -> tuple[Deviation, ...]:
    """The entries of ``paths`` (default: every ``deviations/*.toml``), in file order.

    Raises BadInputError for a file that is not TOML, an unknown or missing field, a bad
    example or ``submitter_workaround``, or an id used twice.
    """
    entries: list[Deviation] = []
    for path in sorted(paths if paths is not None else REGISTRY_DIR.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise BadInputError(f"{path}: {error}") from None
        entries.extend(_deviation(raw, path.name) for raw in data.get("deviation", []))
    ids = [d.id for d in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise BadInputError(f"duplicate deviation id(s): {', '.join(sorted(duplicates))}")
    return tuple(entries)


@cache
def registry() -> tuple[Deviation, ...]:
    """The packaged entries (``load()``, read once per process; BadInputError as ``load``)."""
    return load()


def submitter_workarounds(
    druid_version: str,
    settings: Mapping[str, Any],
    entries: Iterable[Deviation] | None = None,
    operation: str | None = None,
) -> tuple[ResourceAction, ...]:
    """What submitters must also hold on this Druid, under these settings, for a task to exist:
    the ``submitter_workaround`` of every entry that applies (none on a conforming Druid), of
    entries about ``operation`` only when it is given (``submit``: the task API's,
    ``statements.submit``: the statements API's)."""
    found: dict[ResourceAction, None] = {}
    for entry in entries if entries is not None else registry():
        if operation is not None and entry.operation != operation:
            continue
        if entry.applies_to(druid_version) and entry.applies_under(settings):
            found.update(dict.fromkeys(entry.submitter_workaround))
    return tuple(found)


def explain(check: Check, entries: Iterable[Deviation] | None = None) -> str | None:
    """The id of the known deviation that explains a disagreeing check, if any."""
    if check.agrees:
        return None
    for entry in entries if entries is not None else registry():
        if entry.matches(check):
            return entry.id
    return None
