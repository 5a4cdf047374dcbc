"""Apache Druid releases from 24.0 on, and the documentation edition that judges each.

The data is ``conformance/oracle/releases.toml``, one ``[[release]]`` row per major release; this
module loads and validates it strictly (as ``catalog.py`` does the catalogue: an unknown field, a
bad release, a missing or repeated release is a ``ReleaseTableError`` naming the row). A row says
which rule table encodes the release's MSQ security page, whether the statements API, export and
the query-context key lists exist there, what its documentation changed and where that is
written. ``profiles.py`` builds one profile per row; ``versions.py`` picks the row of the version
a Druid reports.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from conformance.oracle.catalog import CatalogError, Release, format_release, parse_release
from conformance.oracle.tables import reject_unknown_fields

__all__ = [
    "DruidRelease",
    "ReleaseTableError",
    "druid_releases",
    "load_releases",
]

_TOP_FIELDS = frozenset({"releases", "release"})
_HEADER_FIELDS = frozenset({"title", "note"})
_ROW_FIELDS = frozenset(
    {
        "druid",
        "profile",
        "security_page",
        "statements_api",
        "export",
        "context_key_lists",
        "summary",
        "changes",
        "sources",
        "undecided",
    }
)
_FLAGS = ("statements_api", "export", "context_key_lists")


class ReleaseTableError(ValueError):
    """A release table that does not follow the format of ``releases.toml``."""


@dataclass(frozen=True)
class DruidRelease:
    """One Apache Druid major release and how its documentation is judged.

    ``druid`` is the release (``(26, 0)``); ``profile`` the profile's name; ``security_page`` the
    rule-table edition id of its MSQ security page; ``statements_api``, ``export`` and
    ``context_key_lists`` whether those exist in it; ``changes`` what its documentation changed,
    ``sources`` where that is written, ``undecided`` what the pages leave open for it.
    """

    druid: Release
    profile: str
    security_page: str
    statements_api: bool
    export: bool
    context_key_lists: bool
    summary: str
    changes: tuple[str, ...]
    sources: tuple[str, ...]
    undecided: tuple[str, ...] = ()

    @property
    def major(self) -> int:
        """The major version: 26 for Druid 26.0."""
        return self.druid[0]

    @property
    def name(self) -> str:
        """``"26.0"``."""
        return format_release(self.druid)


def load_releases(data: Mapping[str, Any], origin: str = "<releases>") -> tuple[DruidRelease, ...]:
    """Validate a parsed release table (TOML) and return its rows, oldest first.

    Raises ``ReleaseTableError`` naming the row for an unknown field, a missing or mistyped one,
    a release that is not ``N.0``, rows out of order, a major release skipped or listed twice, or
    a profile name used twice.
    """
    reject_unknown_fields(data, _TOP_FIELDS, origin, ReleaseTableError)
    header = data.get("releases")
    if not isinstance(header, Mapping) or not isinstance(header.get("title"), str):
        raise ReleaseTableError(f"{origin}: needs a [releases] header with a 'title'")
    reject_unknown_fields(header, _HEADER_FIELDS, f"{origin} [releases]", ReleaseTableError)
    raw_rows = data.get("release")
    if not isinstance(raw_rows, list) or not raw_rows:
        raise ReleaseTableError(f"{origin}: needs at least one [[release]]")
    rows = [_row(raw, f"{origin} release #{n}") for n, raw in enumerate(raw_rows, 1)]
    for previous, row in itertools.pairwise(rows):
        if row.major != previous.major + 1:
            raise ReleaseTableError(
                f"{origin}: release {row.name} follows {previous.name}; every major release is "
                "listed once, oldest first"
            )
    profiles = [row.profile for row in rows]
    repeated = sorted({p for p in profiles if profiles.count(p) > 1})
    if repeated:
        raise ReleaseTableError(f"{origin}: profile(s) {', '.join(repeated)} used twice")
    return tuple(rows)


def _row(raw: Any, where: str) -> DruidRelease:
    if not isinstance(raw, Mapping):
        raise ReleaseTableError(f"{where}: a release must be a table")
    reject_unknown_fields(raw, _ROW_FIELDS, where, ReleaseTableError)
    try:
        druid = parse_release(str(raw.get("druid")))
    except CatalogError as error:
        raise ReleaseTableError(f"{where}: 'druid': {error}") from None
    if len(druid) != 2 or druid[1] != 0:
        raise ReleaseTableError(f"{where}: 'druid' is a major release such as '26.0'")
    where = f"{where} (Druid {format_release(druid)})"
    flags = {}
    for key in _FLAGS:
        if not isinstance(raw.get(key), bool):
            raise ReleaseTableError(f"{where}: '{key}' must be true or false")
        flags[key] = raw[key]
    sources = _texts(raw, "sources", where)
    if not sources:
        raise ReleaseTableError(f"{where}: every row names its sources")
    return DruidRelease(
        druid=druid,
        profile=_text(raw, "profile", where),
        security_page=_text(raw, "security_page", where),
        summary=_text(raw, "summary", where),
        changes=_texts(raw, "changes", where),
        sources=sources,
        undecided=_texts(raw, "undecided", where, required=False),
        **flags,
    )


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ReleaseTableError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _texts(
    raw: Mapping[str, Any], key: str, where: str, *, required: bool = True
) -> tuple[str, ...]:
    value: Any = raw.get(key, None if required else [])
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ReleaseTableError(f"{where}: '{key}' must be a list of strings")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ReleaseTableError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


@cache
def druid_releases() -> tuple[DruidRelease, ...]:
    """The packaged release table (``conformance/oracle/releases.toml``), oldest first; read
    once per process. ``ReleaseTableError`` if it is malformed."""
    content = (resources.files("conformance.oracle") / "releases.toml").read_bytes()
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ReleaseTableError(f"releases.toml: {error}") from None
    return load_releases(data, "releases.toml")
