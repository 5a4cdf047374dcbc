"""``druid-conformance verify BUNDLE``: does a certification bundle certify its product?

Checks the manifest (every file present, unchanged, listed), that the run used the
certification profile on the whole suite, that nothing was skipped, that every feasible coverage
cell was checked and that no new deviation was found. Exit 0 when accepted, 1 when rejected
(each reason listed), 15 for a file that is not a bundle.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.exit_codes import ExitCode
from reports import bundle, certification


def handle(args: argparse.Namespace) -> int:
    path = Path(args.bundle)
    files = bundle.read(path)
    facts, problems = certification.check(files)
    if problems:
        print(f"REJECTED {path}:")
        for problem in problems:
            print(f"  - {problem}")
        return int(ExitCode.NEW_DEVIATIONS)
    described, summary, cells = facts["product"], facts["summary"], facts["cells"]
    known = summary["deviations"]["known"]
    print(
        f"ACCEPTED {path}: {described['vendor']} {described['product']} on Druid "
        f"{summary['druid_version']}, {summary['checks']['total']} checks, "
        f"{cells['hit']} of {cells['feasible']} cells, profile "
        f"{summary['hypothesis_profile']}, settings: {summary.get('settings') or 'defaults'}, "
        "known deviations: " + (", ".join(f"{k} x{n}" for k, n in known.items()) or "none")
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check a certification bundle: manifest, profile, nothing skipped, every cell "
        "checked, no new deviation",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("bundle", metavar="BUNDLE", help="a bundle written by 'certify'")
    parser.set_defaults(handler=handle)
