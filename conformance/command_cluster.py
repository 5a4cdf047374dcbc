"""The Druid a subcommand (replay, benchmark) talks to: one given by URL, or one it starts.

The same two ways as ``pytest conformance`` (see ``conftest._start_cluster``): ``--druid-url``
with the admin credentials from DRUID_ADMIN_USER / DRUID_ADMIN_PASSWORD, or an image built (or
reused) here and started in a container that is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from conformance.errors import BadInputError
from fixtures.client import Credentials
from fixtures.cluster import Cluster, connect_external_cluster, start_container_cluster
from fixtures.engine import ensure_engine
from fixtures.image import build_image
from fixtures.releases import default_version


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--druid-url",
        help="a running cluster's Router; admin credentials from DRUID_ADMIN_USER (default "
        "admin) and DRUID_ADMIN_PASSWORD. Without it a cluster is built and started here.",
    )
    parser.add_argument(
        "--druid-coordinator-url", help="with --druid-url: where the basic-security API answers"
    )
    parser.add_argument(
        "--druid-version", help=f"the release to start without --druid-url ({default_version()})"
    )
    parser.add_argument(
        "--druid-startup-timeout", type=float, default=600.0, help="seconds (default 600)"
    )


def admin_from_environment() -> Credentials:
    password = os.environ.get("DRUID_ADMIN_PASSWORD")
    if not password:
        raise BadInputError("--druid-url needs the admin password in DRUID_ADMIN_PASSWORD")
    return Credentials(os.environ.get("DRUID_ADMIN_USER", "admin"), password).secret()


@contextmanager
def cluster_for(
    args: argparse.Namespace,
    run_id: str,
    logs_dir: Path,
    properties: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """The cluster named by the options; a started one gets ``properties`` (runtime properties:
    a recorded run's settings) and is removed when the block ends."""
    if args.druid_url:
        if not str(args.druid_url).startswith(("http://", "https://")):
            raise BadInputError(f"--druid-url must be an http(s) URL, not {args.druid_url!r}")
        admin = admin_from_environment()
        yield connect_external_cluster(args.druid_url, args.druid_coordinator_url, admin)
        return
    ensure_engine()
    version = args.druid_version or default_version()
    built = build_image(version)
    cluster = start_container_cluster(
        built.tag,
        version,
        run_id,
        logs_dir,
        timeout=args.druid_startup_timeout,
        properties=properties,
    )
    try:
        yield cluster
    finally:
        cluster.stop()
