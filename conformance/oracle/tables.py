"""What the oracle's data tables share: a strict reader refuses a field it does not know.

The rule tables (``rules.py``), the grammar (``grammar.py``) and the catalogue (``catalog.py``)
are TOML a vendor edits by hand; a typo must fail loudly, naming where, not be ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["reject_unknown_fields"]


def reject_unknown_fields(
    data: Mapping[str, Any], allowed: frozenset[str], where: str, error: type[Exception]
) -> None:
    """Raise ``error`` (the table's own error class) naming ``where`` and every field of
    ``data`` that is not in ``allowed``."""
    extra = set(data) - allowed
    if extra:
        raise error(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
