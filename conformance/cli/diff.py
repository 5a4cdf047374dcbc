"""``druid-conformance diff RUN_A RUN_B [--html PATH]``: what changed between two stored runs.

Two runs of the same seed on two Druid releases (or with other --druid-setting values) ask the
same questions. diff pairs the checks that asked the same question (the case without its id,
oracle profile and settings; the names a run makes for itself compared by their place) and
lists those whose observed answer changed (any 2xx is one answer, other statuses by code), then
those whose verdict alone changed (the documentation requires another answer, e.g. under another
setting). Changes are grouped by operation, query kind, deciding rule and transition, each group
with its count and smallest example. A check only one run holds is counted, never compared.
Nothing is asked of Druid.

It prints a headline (N changed of M paired, K only in A, L only in B), the two runs' Druid
versions, settings, profiles and seeds, a warning when the seeds or Hypothesis profiles differ
(the runs then asked other questions: the pairing is partial) or a run ended early, then the
groups. --html also writes them as one self-contained page.

Exit status: 0 when no paired check changed, 1 when one did, 15 for bad input (no run
directory, no history.jsonl, a line that is not JSON, a page that cannot be written), 16 when a
run did not end with exit 0 or 1 (its checks are incomplete; the changes are still listed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.exit_codes import ExitCode
from fixtures.secrets import SECRETS
from reports import diff as run_diff
from reports import diff_html


def diff(run_a: Path, run_b: Path, html: Path | None = None) -> tuple[int, list[str]]:
    """(exit code, lines to print) of comparing the runs in ``run_a`` and ``run_b``; with
    ``html``, the page is written there too (the last line says where).

    Raises BadInputError for a directory that is not a readable run, or a page it cannot write.
    """
    compared = run_diff.compare(run_diff.load(run_a), run_diff.load(run_b))
    lines = run_diff.lines(compared)
    if html is not None:
        lines.append(f"diff page: {diff_html.write(html, compared)}")
    if not compared.complete:
        return int(ExitCode.INFRASTRUCTURE), lines
    return (int(ExitCode.NEW_DEVIATIONS) if compared.changed else int(ExitCode.OK)), lines


def handle(args: argparse.Namespace) -> int:
    code, lines = diff(Path(args.run_a), Path(args.run_b), args.html)
    for line in lines:
        print(SECRETS.scrub(line))
    return code


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="the checks whose answer changed between two stored runs (no Druid)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_a", metavar="RUN_A", help="a reports/<run-id> directory (before)")
    parser.add_argument("run_b", metavar="RUN_B", help="a reports/<run-id> directory (after)")
    parser.add_argument(
        "--html",
        metavar="PATH",
        type=Path,
        help="also write the comparison as a self-contained page (PATH/diff.html when PATH "
        "is a directory)",
    )
    parser.set_defaults(handler=handle)
