"""Latency of the basic-security calls a scenario makes, against a running cluster.

Provisioning dominates a conformance run: in a ci run on Druid 27.0.0 about 3,200 of the calls
are basic-security writes (create user, password, role, permissions, assignment, deletes), more
than half the run's time. This prints the median and 90th percentile of each kind of call over N
throw-away users (each made and removed as a scenario does), and the time per provisioned user.
``--workers N`` provisions N users at a time (one client each), to see whether the Coordinator
serialises basic-security writes or concurrent provisioning would shorten a run. Never point it
at a cluster a run is using: on Druid 27 concurrent writes lose other clients' writes too (a
certification run beside a ``--workers 4`` bench lost three of its roles and failed).

A write Druid answered 200 and then forgot shows as a later call of the same user failing (a
role "does not exist", 400), and Druid also answers some valid calls 500 among concurrent
writes: each such user is listed with its successful steps, the call and the answer, its
leftovers are removed, and the exit code is 1 (the finding BASIC-SECURITY-LOST-WRITES,
docs/findings.md). It is a lower bound: a lost write that no later call of its user touches
goes unseen. No answer at all stops the bench with one line and exit code 2.

    set -a; . ~/.cache/druid-conformance/dev-cluster.env; set +a
    python benchmarks/provision_bench.py --druid-url "$DRUID_URL" [--users 30] [--workers 1]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.cli.target import admin_from_environment
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.cluster import connect_external_cluster
from fixtures.errors import InfrastructureError
from fixtures.provision import Grant, SecurityAdmin

GRANTS = [Grant("DATASOURCE", "wiki.*", "READ"), Grant("EXTERNAL", "EXTERNAL", "READ")]


def _provision_one(
    security: SecurityAdmin,
    name: str,
    timed: Callable[[str], AbstractContextManager[None]],
    done: list[str],
) -> None:
    """Make, grant and remove one user as a scenario does; ``done`` gets each step that Druid
    answered with success."""
    user = Credentials(name, secrets.token_urlsafe(12))
    role = f"{user.user}_role"
    steps: list[tuple[str, Callable[[], None]]] = [
        ("create user + password", lambda: security.create_user(user)),
        ("create role + permissions", lambda: security.create_role(role, GRANTS)),
        ("assign role", lambda: security.assign(user.user, role)),
        ("delete role", lambda: security.delete_role(role)),
        ("delete user", lambda: security.delete_user(user.user)),
    ]
    for step, call in steps:
        with timed(step):
            call()
        done.append(step)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--druid-url", required=True)
    parser.add_argument("--druid-coordinator-url")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1, help="users provisioned at a time")
    args = parser.parse_args()
    cluster = connect_external_cluster(
        args.druid_url, args.druid_coordinator_url, admin_from_environment()
    )
    times: dict[str, list[float]] = defaultdict(list)

    @contextmanager
    def timed(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        times[name].append(time.perf_counter() - started)

    tag = secrets.token_hex(3)
    local = threading.local()  # one client per worker thread

    lost: list[str] = []  # one line per user whose calls failed after earlier 200s

    def remember(exchange: Exchange) -> int:
        local.last = exchange
        return 0

    def one(n: int) -> None:
        if not hasattr(local, "security"):
            client = DruidClient(cluster.coordinator_url, cluster.admin, recorder=remember)
            local.security = SecurityAdmin(client)
        name, done = f"bench_{tag}_{n}", list[str]()
        try:
            _provision_one(local.security, name, timed, done)
        except InfrastructureError as exc:
            # After earlier successes, a 4xx says a write Druid acknowledged is gone, and a 5xx
            # is Druid failing a valid call among concurrent writes; no answer at all, or the
            # first call failing, is the cluster's trouble and stops the bench.
            status = getattr(local, "last", None) and local.last.status // 100
            if not done or status not in (4, 5):
                raise
            what = "lost write" if status == 4 else "server error"
            lost.append(f"{name} ({what}): after {', '.join(done)} (each 200): {exc}")
            _remove_leftovers(local.security, name)

    started = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        try:
            for future in [pool.submit(one, n) for n in range(args.users)]:
                future.result()
        except InfrastructureError as exc:
            print(f"provision_bench: {exc}", file=sys.stderr)
            return 2
    total = time.perf_counter() - started
    print(f"{args.users} users made and removed against {args.druid_url}, {args.workers} at a time")
    for name, values in times.items():
        p90 = sorted(values)[int(len(values) * 0.9)]
        print(f"  {name:28s} median {statistics.median(values):.3f} s, p90 {p90:.3f} s")
    print(f"per user (made, granted, removed): {total / args.users:.3f} s of wall time")
    if lost:
        print(f"{len(lost)} of {args.users} users failed after writes Druid had answered 200:")
        print("".join(f"  {line}\n" for line in lost), end="")
        return 1
    return 0


def _remove_leftovers(security: SecurityAdmin, name: str) -> None:
    """Whatever of the user and its role is still there (a lost write leaves the rest): each
    piece on its own, since any of them may be the one that was lost."""
    user = quote(name, safe="")
    for path in (
        f"{security.authz}/roles/{quote(f'{name}_role', safe='')}",
        f"{security.authz}/users/{user}",
        f"{security.authn}/users/{user}",
    ):
        security.client.request("DELETE", path)  # 200, or 400/404 when already gone


if __name__ == "__main__":
    sys.exit(main())
