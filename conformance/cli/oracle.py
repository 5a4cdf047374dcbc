"""``druid-conformance oracle``: the oracle for a program, JSON lines in, JSON lines out.

One bad line never stops the others: it gets an error line on standard output and a message on
standard error, and the exit code says that some line was bad.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from conformance.exit_codes import ExitCode
from conformance.oracle import Case, CaseError, decide
from fixtures.errors import BadInputError

__all__ = ["register", "run_cases"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    oracle = subparsers.add_parser(
        "oracle",
        help="judge a file of cases (JSON lines in, JSON lines out)",
        description=(
            "Read one case per line: {id, operation, sql, profile, settings, context, "
            "permissions: [{type,name,action}], authenticated, actor_is_submitter, "
            "existing_datasources, task_exists}. Write one line per case: {id, verdict, "
            "status, status_class, required, missing, rule, reason}. A bad line gets "
            "{id, line, error} on stdout and a message on stderr; the other lines are still "
            f"answered, and the exit code is {int(ExitCode.BAD_INPUT)} if any line was bad."
        ),
    )
    oracle.add_argument(
        "--cases", required=True, help="JSON-lines file of cases, or - for standard input"
    )
    oracle.set_defaults(handler=_oracle)


def _oracle(args: argparse.Namespace) -> int:
    if args.cases == "-":
        return run_cases(sys.stdin, sys.stdout, sys.stderr)
    path = Path(args.cases)
    try:
        with path.open(encoding="utf-8") as stream:
            return run_cases(stream, sys.stdout, sys.stderr)
    except OSError as error:
        raise BadInputError(f"cannot read cases file {path}: {error.strerror}") from None


def run_cases(source: IO[str], out: IO[str], err: IO[str]) -> int:
    """Answer every line of ``source``; return 0, or ``BAD_INPUT`` if any line was bad."""
    bad = 0
    for number, line in _numbered(source):
        case_id: Any = None
        try:
            data = json.loads(line)
            if isinstance(data, Mapping):
                case_id = data.get("id")
            verdict = decide(Case.from_json(data))
        except json.JSONDecodeError as error:
            message = f"not JSON: {error.msg} at column {error.colno}"
        except CaseError as error:
            message = str(error)
        else:
            out.write(json.dumps(verdict.to_json()) + "\n")
            continue
        bad += 1
        out.write(json.dumps({"id": case_id, "line": number, "error": message}) + "\n")
        err.write(f"druid-conformance oracle: line {number}: {message}\n")
    return int(ExitCode.BAD_INPUT) if bad else 0


def _numbered(source: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(source, start=1):
        if line.strip():
            yield number, line
