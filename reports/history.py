"""The run's history: every exchange with Druid, one JSON line each, secrets redacted.

Redaction works twice: keys that name a password are masked wherever they appear, and every
secret the run knows (registered with :meth:`History.secret`) is replaced wherever it appears in
the text, so a password echoed in an error body cannot leak either.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, TextIO

from fixtures.client import REDACTED, Exchange

SECRET_KEYS = frozenset({"password", "initialadminpassword", "internalclientpassword"})


def _mask_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (REDACTED if k.lower() in SECRET_KEYS else _mask_keys(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_keys(v) for v in value]
    return value


class History:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._handle: TextIO | None = None  # opened on the first exchange: no empty run dirs
        self.count = 0

    def secret(self, value: str) -> None:
        """Never write ``value`` to the history."""
        if value:
            self._secrets.add(value)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def record(self, exchange: Exchange) -> int:
        """Append an exchange; returns its sequence number (1-based line of its kind)."""
        with self._lock:
            self.count += 1
            seq = self.count
            self._write({"type": "exchange", **exchange.to_json(), "seq": seq})
        return seq

    def record_check(self, check: dict[str, Any]) -> None:
        """Append the oracle's judgement of an exchange (which it names by ``exchange_seq``)."""
        with self._lock:
            self._write({"type": "check", **check})

    def _write(self, entry: dict[str, Any]) -> None:
        line = self.redact(json.dumps(_mask_keys(entry), default=str, sort_keys=True))
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(line + "\n")
        self._handle.flush()

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
