"""The run's history: every exchange with Druid, one JSON line each, secrets redacted.

Redaction works twice: keys that name a password are masked wherever they appear, and every
secret the process knows (:data:`fixtures.secrets.SECRETS`, which :meth:`History.secret` adds
to) is masked in every string value: a value equal to a secret always, a secret inside a longer
value in every spelling long enough to search for (``fixtures/secrets.py``). Keys are never
touched, and a generated one-letter password is not searched for inside SQL text: that would
mangle the record, not protect anything.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, TextIO

from fixtures.client import Exchange
from fixtures.secrets import REDACTED, SECRETS, SecretRegistry

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
    def __init__(self, path: Path, secrets: SecretRegistry = SECRETS) -> None:
        self.path = path
        self._secrets = secrets
        self._lock = threading.Lock()
        self._handle: TextIO | None = None  # opened on the first exchange: no empty run dirs
        self.count = 0

    def secret(self, value: str, user: str | None = None) -> None:
        """Never write ``value`` (nor ``user``'s Basic header with it) to any output."""
        self._secrets.add(value, user)

    def redact(self, value: Any) -> Any:
        """``value`` (JSON-like) with every known secret masked in its string values."""
        if isinstance(value, dict):
            return {k: self.redact(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact(v) for v in value]
        if not isinstance(value, str):
            return value
        if self._secrets.is_secret(value):
            return REDACTED
        return self._secrets.scrub(value)

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

    def record_relation(self, comparison: dict[str, Any]) -> None:
        """Append a metamorphic comparison (Druid's answers compared with each other, no
        oracle involved; it names its exchanges by ``exchange_seq``)."""
        with self._lock:
            self._write({"type": "relation", **comparison})

    def record_event(self, event: str, data: dict[str, Any]) -> None:
        """Append a fact about the run that is neither an exchange nor a check (e.g. the
        cluster's inventory before the run, which ``druid-conformance cleanup`` reads)."""
        with self._lock:
            self._write({"type": "event", "event": event, **data})

    def _write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(self.redact(_mask_keys(entry)), default=str, sort_keys=True)
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
