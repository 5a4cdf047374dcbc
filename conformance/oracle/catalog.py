"""What exists in Druid SQL, by release: metadata tables, table functions, export destinations.

The data is ``conformance/oracle/catalog.toml``; this module loads and validates it (strictly, as
``rules.py`` does the rule tables: an unknown field, kind or basis, a bad release or a duplicate
entry is a ``CatalogError`` naming the entry). Each ``[[entry]]`` names one thing a documentation
page documents, quotes the passage, and gives ``since``, the Druid release that introduced it:

- ``kind``: ``sys_table`` (``sys.<name>``), ``information_schema_table``
  (``INFORMATION_SCHEMA.<name>``), ``table_function`` (``TABLE(<name>(...))``, lower case; with
  ``reads = "external"`` for an input source, ``"datasources"`` for ``APPEND``) or
  ``export_destination`` (``INSERT INTO EXTERN(<name>(...))``, lower case);
- ``name``, ``since`` (``"24.0"``), ``page``, ``version`` (the documentation edition quoted),
  ``passage``, optional ``basis`` (``stated`` default, ``inferred``, ``silent``) and ``note``.

A profile selects the entries its Druid release has (``since <= release``); the current
documentation (``druid-latest``) has them all. A profile of another product (Imply) names the
Apache Druid release it corresponds to with an ``[[equivalent]]`` (``release_of``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from conformance.oracle.tables import reject_unknown_fields

__all__ = [
    "BASES",
    "KINDS",
    "READS",
    "Catalog",
    "CatalogError",
    "Entry",
    "Equivalent",
    "Release",
    "available",
    "catalog",
    "format_release",
    "load_catalog",
    "parse_release",
    "release_of",
]

# A Druid release as a tuple of numbers, (24, 0); compared as tuples.
Release = tuple[int, ...]

KINDS: dict[str, str] = {
    "sys_table": "sys table",
    "information_schema_table": "INFORMATION_SCHEMA table",
    "table_function": "table function",
    "export_destination": "export destination",
}
READS = frozenset({"external", "datasources"})
BASES = frozenset({"stated", "inferred", "silent"})

_RELEASE = re.compile(r"\d+(\.\d+)*")
_TOP_FIELDS = frozenset({"catalog", "equivalent", "entry"})
_HEADER_FIELDS = frozenset({"title", "note"})
_ENTRY_FIELDS = frozenset(
    {"kind", "name", "since", "page", "version", "passage", "basis", "note", "reads"}
)
_EQUIVALENT_FIELDS = frozenset({"product", "version", "druid", "basis", "note"})
_APACHE = "Apache Druid"


class CatalogError(ValueError):
    """A catalogue that does not follow the format above, or a profile it cannot place."""


def parse_release(text: str) -> Release:
    """``"24.0"`` -> ``(24, 0)``; ``CatalogError`` for anything but dotted numbers."""
    if not isinstance(text, str) or not _RELEASE.fullmatch(text):
        raise CatalogError(f"a release is dotted numbers such as '24.0', got {text!r}")
    return tuple(int(part) for part in text.split("."))


def format_release(release: Release) -> str:
    """``(24, 0)`` -> ``"24.0"``."""
    return ".".join(str(part) for part in release)


@dataclass(frozen=True)
class Entry:
    """One documented table, table function or export destination, and where it is written."""

    kind: str
    name: str
    since: Release
    page: str
    version: str
    passage: str
    basis: str = "stated"
    note: str = ""
    reads: str | None = None

    @property
    def title(self) -> str:
        """How messages name it: ``sys.server_properties``, ``table function 'http'``."""
        if self.kind == "sys_table":
            return f"sys.{self.name}"
        if self.kind == "information_schema_table":
            return f"INFORMATION_SCHEMA.{self.name}"
        return f"{KINDS[self.kind]} {self.name!r}"


@dataclass(frozen=True)
class Equivalent:
    """A release of another product judged by an Apache Druid release's documentation."""

    product: str
    version: str
    druid: Release
    basis: str = "inferred"
    note: str = ""


@dataclass(frozen=True)
class Catalog:
    """The loaded catalogue: entries in file order, and the other products' equivalents."""

    title: str
    entries: tuple[Entry, ...]
    equivalents: tuple[Equivalent, ...] = ()
    _index: dict[tuple[str, str], Entry] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._index.update({(e.kind, e.name): e for e in self.entries})

    def entry(self, kind: str, name: str) -> Entry | None:
        """The entry of that kind and name, in any release; None if no page documents it."""
        return self._index.get((kind, name))

    def names(self, kind: str, release: Release | None = None) -> frozenset[str]:
        """Names of ``kind`` that exist in ``release``; every one when ``release`` is None
        (the current documentation)."""
        return frozenset(
            e.name
            for e in self.entries
            if e.kind == kind and (release is None or e.since <= release)
        )

    def table_functions(self, reads: str) -> frozenset[str]:
        """Table functions of any release that read ``reads`` (``external``, ``datasources``)."""
        return frozenset(
            e.name for e in self.entries if e.kind == "table_function" and e.reads == reads
        )

    def release_of(self, product: str, version: str) -> Release | None:
        """The Apache Druid release whose documentation judges ``product`` ``version``: None
        for ``Apache Druid latest`` (every entry). ``CatalogError`` if it cannot say."""
        if product == _APACHE:
            return None if version == "latest" else parse_release(version)
        for equivalent in self.equivalents:
            if (equivalent.product, equivalent.version) == (product, version):
                return equivalent.druid
        raise CatalogError(
            f"no Apache Druid release for {product} {version}: add an [[equivalent]] to "
            "conformance/oracle/catalog.toml"
        )


def load_catalog(data: Mapping[str, Any], origin: str = "<catalog>") -> Catalog:
    """Validate a parsed catalogue (TOML) and build it; ``CatalogError`` names what is wrong."""
    _no_extra(data, _TOP_FIELDS, origin)
    header = data.get("catalog")
    if not isinstance(header, Mapping) or not isinstance(header.get("title"), str):
        raise CatalogError(f"{origin}: needs a [catalog] header with a 'title'")
    _no_extra(header, _HEADER_FIELDS, f"{origin} [catalog]")
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list) or not raw_entries:
        raise CatalogError(f"{origin}: needs at least one [[entry]]")
    entries: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate(raw_entries, 1):
        entry = _entry(raw, f"{origin} entry #{number}")
        if (entry.kind, entry.name) in seen:
            raise CatalogError(f"{origin} entry #{number}: {entry.title} is listed twice")
        seen.add((entry.kind, entry.name))
        entries.append(entry)
    raw_equivalents = data.get("equivalent", [])
    if not isinstance(raw_equivalents, list):
        raise CatalogError(f"{origin}: [[equivalent]] must be an array of tables")
    equivalents = tuple(
        _equivalent(raw, f"{origin} equivalent #{n}") for n, raw in enumerate(raw_equivalents, 1)
    )
    return Catalog(title=header["title"], entries=tuple(entries), equivalents=equivalents)


def _no_extra(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    reject_unknown_fields(data, allowed, where, CatalogError)


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise CatalogError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _release(raw: Mapping[str, Any], key: str, where: str) -> Release:
    try:
        return parse_release(raw.get(key))  # type: ignore[arg-type]
    except CatalogError as error:
        raise CatalogError(f"{where}: '{key}': {error}") from None


def _basis(raw: Mapping[str, Any], where: str, default: str) -> str:
    basis = raw.get("basis", default)
    if basis not in BASES:
        raise CatalogError(f"{where}: basis must be one of {sorted(BASES)}")
    return str(basis)


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: an entry must be a table")
    _no_extra(raw, _ENTRY_FIELDS, where)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise CatalogError(f"{where}: kind must be one of {sorted(KINDS)}")
    name = _text(raw, "name", where)
    where = f"{where} ({kind} {name})"
    reads = raw.get("reads")
    if kind == "table_function":
        if reads not in READS:
            raise CatalogError(f"{where}: a table function says what it reads: {sorted(READS)}")
    elif reads is not None:
        raise CatalogError(f"{where}: 'reads' is for table functions only")
    if kind in ("table_function", "export_destination") and name != name.lower():
        raise CatalogError(f"{where}: function names are written in lower case")
    return Entry(
        kind=str(kind),
        name=name,
        since=_release(raw, "since", where),
        page=_text(raw, "page", where),
        version=_text(raw, "version", where),
        passage=_text(raw, "passage", where),
        basis=_basis(raw, where, "stated"),
        note=_text(raw, "note", where, required=False),
        reads=reads,
    )


def _equivalent(raw: Any, where: str) -> Equivalent:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: an equivalent must be a table")
    _no_extra(raw, _EQUIVALENT_FIELDS, where)
    product = _text(raw, "product", where)
    if product == _APACHE:
        raise CatalogError(f"{where}: Apache Druid releases need no equivalent")
    return Equivalent(
        product=product,
        version=_text(raw, "version", where),
        druid=_release(raw, "druid", where),
        basis=_basis(raw, where, "inferred"),
        note=_text(raw, "note", where, required=False),
    )


@cache
def catalog() -> Catalog:
    """The packaged catalogue (``conformance/oracle/catalog.toml``), read once per process."""
    content = (resources.files("conformance.oracle") / "catalog.toml").read_bytes()
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"catalog.toml: {error}") from None
    return load_catalog(data, "catalog.toml")


def release_of(product: str, version: str) -> Release | None:
    """The packaged catalogue's ``Catalog.release_of``."""
    return catalog().release_of(product, version)


@lru_cache(maxsize=64)
def available(kind: str, release: Release | None) -> frozenset[str]:
    """The packaged catalogue's names of ``kind`` in ``release`` (memoised per release)."""
    return catalog().names(kind, release)
