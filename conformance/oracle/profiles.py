"""Profiles: which documentation editions judge which Druid, and the settings that change rules.

A profile names a Druid (or Imply) version, the rule tables that apply to it, in citation order
(the first rule that requires a permission is the one a verdict cites), the operations that
exist there, and the cluster settings it understands. There is one profile per Apache Druid
major release from 24.0 on (``druid-24`` ... ``druid-38``), built from the release table
``releases.toml`` (see ``releases.py``), plus ``druid-latest`` (the current documentation) and
``imply-2022.06``. ``druid-27`` is the default: the first Apache release with both the SQL-based
ingestion security page of seed 000 and the statements API (27.0.0 release notes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from conformance.oracle.releases import DruidRelease, druid_releases
from conformance.oracle.rules import OPERATIONS, Rule, load_edition

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "SETTINGS",
    "SUBMIT_OPERATIONS",
    "TASK_OPERATIONS",
    "Profile",
    "ProfileError",
    "canonical_settings",
    "get_profile",
    "normalize_settings",
    "parse_settings",
    "release_profile",
    "runtime_properties",
]

# the task API's and the Overlord's: every profile has them (the statements API from Druid 27)
TASK_OPERATIONS: tuple[str, ...] = tuple(
    op for op in OPERATIONS if not op.startswith("statements.")
)
SUBMIT_OPERATIONS: frozenset[str] = frozenset({"submit", "statements.submit"})

# Cluster settings that change rules: short name -> (runtime property, expected type).
SETTINGS: dict[str, tuple[str, type]] = {
    "authorizeQueryContextParams": ("druid.auth.authorizeQueryContextParams", bool),
    "unsecuredContextKeys": ("druid.auth.unsecuredContextKeys", list),
    "securedContextKeys": ("druid.auth.securedContextKeys", list),
    "authorizeSystemTablesDirectly": ("druid.sql.planner.authorizeSystemTablesDirectly", bool),
}


class ProfileError(ValueError):
    """An unknown profile, or a setting the profile does not have."""


@dataclass(frozen=True)
class Profile:
    """One documentation edition of the security model, and what it judges.

    ``product`` and ``version`` name the Druid (or Imply) release; ``editions`` are rule-table
    ids (``rules/*.toml``, each citing its page) in citation order; ``operations`` are those that
    exist there (no statements API before Druid 27.0.0, per its release notes); ``settings`` the
    short names of ``SETTINGS`` it understands; ``features`` extras such as ``export``.
    """

    name: str
    product: str
    version: str
    editions: tuple[str, ...]
    operations: frozenset[str]
    settings: frozenset[str]
    features: frozenset[str]
    description: str

    def rules(self) -> tuple[Rule, ...]:
        """Every rule of the profile's editions, in citation order (``RuleTableError`` when a
        packaged table is malformed)."""
        return tuple(rule for edition in self.editions for rule in load_edition(edition).rules)


_ALL_SETTINGS = frozenset(SETTINGS)
_NO_KEY_LISTS = frozenset({"authorizeQueryContextParams", "authorizeSystemTablesDirectly"})


def release_profile(row: DruidRelease) -> Profile:
    """The profile of one row of the release table: its security page's rule table between
    the shared ones, the statements API's table and operations where it exists, the query
    context key lists from 25.0 on, and export where it exists."""
    editions: tuple[str, ...] = ("common", row.security_page, "druid-user-auth")
    if row.statements_api:
        editions += ("druid-statements-api",)
    return Profile(
        name=row.profile,
        product="Apache Druid",
        version=row.name,
        editions=(*editions, "druid-query-context"),
        operations=frozenset(OPERATIONS if row.statements_api else TASK_OPERATIONS),
        settings=_ALL_SETTINGS if row.context_key_lists else _NO_KEY_LISTS,
        features=frozenset({"export"}) if row.export else frozenset(),
        description=row.summary,
    )


def _profiles() -> dict[str, Profile]:
    by_release = [release_profile(row) for row in druid_releases()]
    latest = replace(
        by_release[-1],
        name="druid-latest",
        version="latest",
        description=(
            "The current Druid documentation: every catalogue and grammar entry, for a Druid "
            f"newer than {by_release[-1].version}."
        ),
    )
    imply = Profile(
        name="imply-2022.06",
        product="Imply",
        version="2022.06",
        editions=("common", "imply-2022-06", "druid-user-auth", "druid-query-context"),
        operations=frozenset(TASK_OPERATIONS),
        settings=_NO_KEY_LISTS,
        features=frozenset(),
        description="Imply 2022.06, the MSQ preview (seed 002); no statements API.",
    )
    return {profile.name: profile for profile in (*by_release, latest, imply)}


PROFILES: dict[str, Profile] = _profiles()
DEFAULT_PROFILE = "druid-27"


def get_profile(name: str) -> Profile:
    """The profile called ``name``; ``ProfileError`` (listing the known names) if none is."""
    profile = PROFILES.get(name)
    if profile is None:
        raise ProfileError(f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}")
    return profile


def normalize_settings(profile: Profile, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings by short name, type-checked; runtime property names are accepted too.

    Lists of context keys become frozensets. Raises ``ProfileError`` for an unknown setting, one
    the profile does not have, or a value of the wrong type.
    """
    by_property = {prop: short for short, (prop, _) in SETTINGS.items()}
    normalized: dict[str, Any] = {}
    for key, value in settings.items():
        short = by_property.get(key, key)
        if short not in SETTINGS:
            raise _unknown_setting(key)
        if short not in profile.settings:
            raise ProfileError(f"setting {short!r} does not exist in profile {profile.name}")
        expected = SETTINGS[short][1]
        if expected is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ProfileError(f"setting {short!r} must be a list of strings")
            normalized[short] = frozenset(value)
        elif not isinstance(value, expected):
            raise ProfileError(f"setting {short!r} must be {expected.__name__}")
        else:
            normalized[short] = value
    return normalized


def canonical_settings(profile: Profile, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Checked settings by short name with JSON values (lists sorted): what a run records.

    Raises ``ProfileError`` as ``normalize_settings``.
    """
    return {
        key: sorted(value) if isinstance(value, frozenset) else value
        for key, value in normalize_settings(profile, settings).items()
    }


def parse_settings(items: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items (``--setting``, ``--druid-setting``) as raw settings.

    VALUE is JSON (``true``, ``["a","b"]``). KEY is a short name or a runtime property;
    ``normalize_settings`` checks both against a profile. Raises ``ProfileError`` for an item
    without ``=``, an unknown KEY or a VALUE that is not JSON.
    """
    by_property = {prop: short for short, (prop, _) in SETTINGS.items()}
    settings: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ProfileError(f"setting {item!r}: expected KEY=VALUE")
        short = by_property.get(key, key)
        if short not in SETTINGS:  # the key first: foo=bar is an unknown setting, not bad JSON
            raise _unknown_setting(key)
        try:
            settings[key] = json.loads(raw)
        except json.JSONDecodeError:
            example = "true or false" if SETTINGS[short][1] is bool else 'e.g. ["a","b"]'
            raise ProfileError(f"setting {key}: value {raw!r} is not JSON ({example})") from None
    return settings


def _unknown_setting(key: str) -> ProfileError:
    return ProfileError(f"unknown setting {key!r}; known: {', '.join(sorted(SETTINGS))}")


def runtime_properties(settings: Mapping[str, Any]) -> dict[str, str]:
    """Normalized settings as the runtime properties that give a Druid cluster those settings.

    ``settings`` by short name (as ``normalize_settings`` returns them); the result maps property
    names to strings: ``"true"``/``"false"``, or a sorted JSON list of context keys.
    """
    properties: dict[str, str] = {}
    for short, value in settings.items():
        prop = SETTINGS[short][0]
        if isinstance(value, bool):
            properties[prop] = "true" if value else "false"
        elif isinstance(value, frozenset | list | tuple):
            properties[prop] = json.dumps(sorted(value))
        else:
            properties[prop] = str(value)
    return properties
