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

from fixtures.client import Credentials
from fixtures.cluster import Cluster, connect_external_cluster, start_container_cluster
from fixtures.engine import check_docker_host, check_state_dir, ensure_engine
from fixtures.errors import BadInputError
from fixtures.options import argument, distribution_path, druid_version, http_url, seconds
from fixtures.releases import default_version
from fixtures.source import check_source, druid_image


def add_distribution_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``--druid-distribution PATH`` (checked as a path here, as a distribution when used)."""
    parser.add_argument(
        "--druid-distribution",
        type=argument(distribution_path, "--druid-distribution"),
        metavar="PATH",
        help=help,
    )


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--druid-url",
        type=argument(http_url, "--druid-url"),
        help="a running cluster's Router; admin credentials from DRUID_ADMIN_USER (default "
        "admin) and DRUID_ADMIN_PASSWORD. Without it a cluster is built and started here.",
    )
    parser.add_argument(
        "--druid-coordinator-url",
        type=argument(http_url, "--druid-coordinator-url"),
        help="only with --druid-url: where the basic-security API answers",
    )
    parser.add_argument(
        "--druid-version",
        type=argument(druid_version, "--druid-version"),
        help=f"the release to start without --druid-url ({default_version()})",
    )
    add_distribution_option(
        parser,
        "without --druid-url: start this build (an apache-druid-*-bin.tar.gz or its directory) "
        "instead of a release",
    )
    parser.add_argument(
        "--druid-startup-timeout",
        type=argument(seconds, "--druid-startup-timeout"),
        default=600.0,
        help="seconds, above 0 (default 600)",
    )


def admin_from_environment() -> Credentials:
    """The admin credentials for ``--druid-url``; ``BadInputError`` for a missing password, or
    a user name HTTP Basic cannot carry (empty, or with a ':')."""
    password = os.environ.get("DRUID_ADMIN_PASSWORD")
    if not password:
        raise BadInputError("--druid-url needs the admin password in DRUID_ADMIN_PASSWORD")
    user = os.environ.get("DRUID_ADMIN_USER", "admin")
    if not user.strip():
        raise BadInputError("DRUID_ADMIN_USER is empty: name the admin user, or unset it for admin")
    if ":" in user:
        raise BadInputError(f"DRUID_ADMIN_USER {user!r} contains ':', which HTTP Basic cannot send")
    return Credentials(user, password).secret()


def check_cluster_options(args: argparse.Namespace) -> None:
    """What ``cluster_for`` would refuse, refused before anything else is done."""
    if args.druid_url is not None:
        if args.druid_version is not None or args.druid_distribution is not None:
            raise BadInputError(
                "--druid-url checks a running cluster: it takes no --druid-version or "
                "--druid-distribution"
            )
        admin_from_environment()
    elif args.druid_coordinator_url is not None:
        raise BadInputError("--druid-coordinator-url goes with --druid-url")
    else:
        check_source(args.druid_version, None, args.druid_distribution)
        check_state_dir()  # DRUID_CONFORMANCE_CACHE
        check_docker_host()


@contextmanager
def cluster_for(
    args: argparse.Namespace,
    run_id: str,
    logs_dir: Path,
    properties: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """The cluster named by the options; a started one gets ``properties`` (runtime properties:
    a recorded run's settings) and is removed when the block ends."""
    check_cluster_options(args)
    if args.druid_url is not None:
        admin = admin_from_environment()
        yield connect_external_cluster(args.druid_url, args.druid_coordinator_url, admin)
        return
    ensure_engine()
    image = druid_image(args.druid_version, None, args.druid_distribution)
    cluster = start_container_cluster(
        image.tag,
        image.version,
        run_id,
        logs_dir,
        timeout=args.druid_startup_timeout,
        properties=properties,
    )
    try:
        yield cluster
    finally:
        cluster.stop()
