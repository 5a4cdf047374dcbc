"""SIGTERM reaches a ``druid-conformance`` command as an interruption, so its ``finally``
blocks run (a cluster it started is stopped) and it exits 143.

Before, only ``run_interruptibly`` turned SIGTERM into KeyboardInterrupt, and only while a
pytest child ran: ``mutate`` terminated while seeding left its Druid container running.
"""

from __future__ import annotations

import argparse
import os
import signal
from typing import Any

import pytest

from conformance import cli


def _parser_with(handler: Any) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="druid-conformance")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("work").set_defaults(handler=handler)
    return parser


def test_sigterm_unwinds_the_command_and_exits_143(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cleaned: list[str] = []

    def handler(args: argparse.Namespace) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1_000_000):  # never reached to the end: the signal interrupts it
                pass
            return 0
        finally:
            cleaned.append("cluster stopped")

    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(handler))
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["work"]) == 143
    assert cleaned == ["cluster stopped"]
    assert "terminated (SIGTERM)" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == before  # restored for the caller


def test_ctrl_c_still_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(handler))
    assert cli.main(["work"]) == 130
