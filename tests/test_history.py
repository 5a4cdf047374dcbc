"""The history never holds a password in clear, and redaction never mangles a record."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.client import Exchange
from fixtures.secrets import REDACTED
from reports.history import History


def _exchange(body: object, request_body: object = None) -> Exchange:
    return Exchange("POST", "/x", "alice", request_body, 200, body, 0.01, 0.0)


def test_secrets_are_masked_in_values_and_keys_survive(tmp_path: Path) -> None:
    history = History(tmp_path / "h.jsonl")
    long_secret = "s3cr3t-Pa55word-xyz"
    history.secret(long_secret)
    history.secret("action")  # a short generated password that is also a common word
    history.record(
        _exchange(
            {"error": f"bad credentials {long_secret}", "action": "READ", "echo": "action"},
            {"password": "whatever", "action": "WRITE"},
        )
    )
    history.close()
    entry = json.loads((tmp_path / "h.jsonl").read_text())
    assert long_secret not in json.dumps(entry)
    assert entry["body"]["error"] == f"bad credentials {REDACTED}"
    assert entry["body"]["action"] == "READ"  # the key is intact
    assert entry["body"]["echo"] == REDACTED  # a value equal to a secret is masked
    assert entry["request_body"] == {"password": REDACTED, "action": "WRITE"}


def test_nothing_written_until_the_first_exchange(tmp_path: Path) -> None:
    history = History(tmp_path / "run" / "h.jsonl")
    history.close()
    assert not (tmp_path / "run").exists()
