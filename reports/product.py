"""The vendor's product description (``--product FILE``) and the bundle's ``PRODUCT.yaml``.

FILE is TOML (``*.toml``) or a flat YAML mapping of ``key: value`` lines, which is all a product
description needs; this small reader and writer avoid a YAML dependency. Nested YAML, lists and
anchors are refused with a clear message rather than half-read.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

from fixtures.errors import BadInputError

REQUIRED = ("vendor", "product")
KNOWN = frozenset({"vendor", "product", "product_version", "contact", "druid_version", "notes"})


def parse_yaml(text: str, where: str) -> dict[str, str]:
    """A flat mapping of scalars: ``key: value``, ``key: "quoted"``, ``# comments``."""
    data: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line == "---":
            continue
        key, sep, value = line.partition(":")
        if not sep or raw[:1].isspace() or not key.strip().replace("_", "").isalnum():
            raise BadInputError(f"{where}:{number}: expected 'key: value', got {raw!r}")
        data[key.strip()] = _scalar(value.strip(), f"{where}:{number}")
    return data


def _scalar(value: str, where: str) -> str:
    if value.startswith('"'):
        try:
            return str(json.loads(value))
        except json.JSONDecodeError:
            raise BadInputError(f"{where}: bad double-quoted value {value}") from None
    if value.startswith("'") and value.endswith("'") and len(value) >= 2:
        return value[1:-1].replace("''", "'")
    if value[:1] in ("[", "{", "&", "*", "|", ">"):
        raise BadInputError(f"{where}: only plain scalar values are supported, got {value!r}")
    return value.split(" #", 1)[0].strip()


def read(path: Path) -> dict[str, str]:
    """The product description; vendor and product are required."""
    if not path.is_file():
        raise BadInputError(f"--product {path}: no such file")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise BadInputError(f"{path}: {error}") from None
        data = {str(k): str(v) for k, v in raw.items()}
    else:
        data = parse_yaml(text, str(path))
    unknown = set(data) - KNOWN
    if unknown:
        known = ", ".join(sorted(KNOWN))
        names = ", ".join(sorted(unknown))
        raise BadInputError(f"{path}: unknown field(s) {names}; known: {known}")
    missing = [key for key in REQUIRED if not data.get(key)]
    if missing:
        raise BadInputError(f"{path}: missing {', '.join(missing)}")
    return data


def to_yaml(data: Mapping[str, str]) -> str:
    """Every value double-quoted (JSON escaping is valid YAML), so the reader above reads it."""
    return "".join(f"{key}: {json.dumps(str(value))}\n" for key, value in data.items())
