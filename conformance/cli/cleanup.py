"""``druid-conformance cleanup``: what interrupted runs left behind.

Without ``--druid-url``: the containers of runs that were killed before they could remove them.
With ``--druid-url URL --run reports/<run-id>``: what that run made on a cluster the user runs
(read from its history, ``fixtures/cleanup.py``), and nothing that was there before it.
"""

from __future__ import annotations

import argparse
from typing import Any

from fixtures.engine import ensure_engine
from fixtures.errors import BadInputError
from fixtures.options import argument, name


def _cleanup(args: argparse.Namespace) -> int:
    if args.druid_url:
        return _cleanup_cluster(args)
    from fixtures.cluster import remove_leftovers  # imports testcontainers; only when needed

    ensure_engine()
    removed = remove_leftovers(args.run_id)
    print(f"removed {removed} container(s) left by earlier runs")
    return 0


def _cleanup_cluster(args: argparse.Namespace) -> int:
    """Remove from a cluster the user runs what a run (killed or finished) made on it."""
    from pathlib import Path

    from conformance.cli.target import admin_from_environment
    from fixtures.cleanup import clean, read_history
    from fixtures.client import DruidClient
    from fixtures.cluster import connect_external_cluster
    from fixtures.provision import SecurityAdmin

    if not args.run:
        raise BadInputError("cleanup --druid-url needs --run reports/<run-id> (the run to undo)")
    run_dir = Path(args.run)
    history = run_dir / "history.jsonl" if run_dir.is_dir() else run_dir
    made, before = read_history(history)
    if made.empty():
        print(f"{history}: the run made nothing that is left to remove")
        return 0
    cluster = connect_external_cluster(
        args.druid_url, args.druid_coordinator_url, admin_from_environment()
    )
    security = SecurityAdmin(DruidClient(cluster.coordinator_url, cluster.admin))
    cleaned = clean(made, before, security, cluster.client(cluster.admin))
    print(f"{cluster.router_url}: {cleaned.summary()}")
    return 1 if cleaned.failed else 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    cleanup = subparsers.add_parser(
        "cleanup",
        help="remove Druid containers left by interrupted runs, or with --druid-url what a run "
        "made on your cluster",
        description="Without --druid-url: remove the containers of interrupted runs. With "
        "--druid-url URL --run reports/<run-id>: remove from that cluster the users, roles, "
        "tasks and datasources the run made (read from its history.jsonl), and nothing that was "
        "there before it. Admin credentials from DRUID_ADMIN_USER and DRUID_ADMIN_PASSWORD.",
    )
    cleanup.add_argument(
        "--run-id",
        type=argument(name, "--run-id"),
        default=None,
        help="only the containers of this run (or of the dev cluster of this name)",
    )
    cleanup.add_argument("--druid-url", default=None, help="a cluster you run, by its Router URL")
    cleanup.add_argument(
        "--druid-coordinator-url",
        default=None,
        help="with --druid-url: where the basic-security API answers",
    )
    cleanup.add_argument(
        "--run", default=None, help="with --druid-url: the run directory whose leftovers to remove"
    )
    cleanup.set_defaults(handler=_cleanup)
