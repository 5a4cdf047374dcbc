"""The `druid-conformance` command.

Each subcommand lives in its own module and exposes ``register(subparsers)``; this module only
assembles them, so adding a subcommand never touches the others.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Callable, Sequence

from conformance.exit_codes import ExitCode, exit_code
from fixtures.errors import SetupError
from fixtures.secrets import SECRETS

# module path -> what it adds; order is the order shown in --help
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "conformance.cli.image",
    "conformance.cli.cleanup",
    "conformance.cli.cluster",
    "conformance.cli.explain",
    "conformance.cli.oracle",
    "conformance.cli.analyze",
    "conformance.cli.replay",
    "conformance.cli.diff",
    "conformance.cli.certify",
    "conformance.cli.verify",
    "conformance.cli.benchmark",
    "conformance.cli.mutate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="druid-conformance",
        description="Conformance suite for the security model of Druid's MSQ task engine.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        module = importlib.import_module(name)
        register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
        register = module.register
        register(subparsers)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so its ``finally`` blocks remove what it made."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its exit status. SIGTERM (a CI job cancelled, ``kill``) unwinds
    the command as Ctrl-C does, so a cluster it started is stopped and its reports written:
    exit 143 for SIGTERM, 130 for Ctrl-C."""
    parser = build_parser()
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        # an option's bad value raises BadInputError from its argparse type (fixtures/options.py)
        args = parser.parse_args(argv)
        code: int = args.handler(args)
    except SetupError as exc:
        print(SECRETS.scrub(f"druid-conformance: error: {exc}"), file=sys.stderr)
        return int(exit_code(exc))
    except Terminated:
        print("druid-conformance: terminated (SIGTERM)", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("druid-conformance: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return code


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["ExitCode", "build_parser", "main"]
