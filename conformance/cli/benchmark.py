"""``druid-conformance benchmark``: the suite's figures, measured in one run.

1. image build, cold and warm. Cold rebuilds the image (``force``) but by default reuses the
   cached Debian root filesystem and Druid jars; ``--cold-caches`` moves those two caches aside
   for the build (restored afterwards; Maven's own ~/.m2 is kept). Warm builds the same version
   again, which is a no-op when the recipe is unchanged. ``--skip-build`` leaves both out.
2. cluster start to ready (only when this command starts the cluster, i.e. without --druid-url).
3. oracle decisions per second (``benchmarks/oracle_bench.py``'s warm figure, one core).
4. checked operations per second against the real cluster: scenarios run through the suite
   (provisioning and propagation excluded, as in a run's throughput line), next to the same
   HTTP requests sent with a bare ``requests`` session, and the ratio of the two.
5. whole examples per second (provisioning and propagation included), with users made anew for
   each example, with the run's identity pool (``conformance/runner/pool.py``) one example at a
   time, and with the pool in batches of three asked concurrently (as the suite runs them), the
   seconds each spent provisioning and waiting for propagation, and the ratios of the rates.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from conformance.cli.target import add_options, check_cluster_options, cluster_for
from conformance.oracle import Case, decide
from conformance.oracle.permissions import Action, Permission
from conformance.runner.pool import IdentityPool
from conformance.runner.run import Run, peak_memory_mib
from conformance.runner.scenario import (
    PARALLEL_SCENARIOS,
    Judge,
    ScenarioRunner,
    fresh_identity,
)
from fixtures import options
from fixtures.client import Credentials, DruidClient
from fixtures.cluster import Cluster, liveness_problem
from fixtures.distribution import read_distribution
from fixtures.engine import STATE_DIR
from fixtures.image import build_image
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin
from fixtures.releases import default_version, release
from fixtures.seed import create_seeds
from reports.history import History
from strategies.scenario import Scenario, credentials

SQL = 'SELECT page FROM "wikipedia"'
SUBMITTER = (
    Grant("DATASOURCE", "wikipedia", "READ"),
    Grant("DATASOURCE", "__query_select", "READ"),
)
OTHER = (Grant("DATASOURCE", "__query_select", "READ"),)


@contextmanager
def caches_aside(version: str) -> Iterator[None]:
    """Move the suite's root filesystem and jar caches aside; put them back afterwards."""
    rel = release(version)
    paths = [
        STATE_DIR / "rootfs" / f"{rel.debian_suite}-{rel.jre_package}",
        STATE_DIR / "druid" / rel.version,
    ]
    moved = []
    for path in paths:
        if path.exists():
            backup = path.with_name(path.name + ".bench-backup")
            path.rename(backup)
            moved.append((path, backup))
    try:
        yield
    finally:
        for path, backup in moved:
            shutil.rmtree(path, ignore_errors=True)
            backup.rename(path)


def image_builds(version: str, cold_caches: bool) -> list[str]:
    if cold_caches:
        with caches_aside(version):
            cold = build_image(version, force=True)
        what = "no root filesystem or jar cache"
    else:
        cold = build_image(version, force=True)
        what = "root filesystem and jars cached; --cold-caches to drop them"
    warm = build_image(version)
    return [
        f"image build, cold ({what}): {cold.seconds:.1f} s",
        f"image build, warm (same recipe again): {warm.seconds:.2f} s"
        + (" (no-op)" if not warm.built else ""),
    ]


def oracle_rate(seconds: float) -> float:
    """Warm decisions per second: one statement judged for many actors, as in a run."""
    actors = [
        (Permission("wikipedia", "DATASOURCE", Action.READ),) * (n % 2)
        + (Permission("__query_select", "DATASOURCE", Action.READ),)
        for n in range(50)
    ]
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for number, held in enumerate(actors):
            decide(Case(id=str(number), operation="submit", sql=SQL, permissions=held))
        done += len(actors)
    return done / (time.perf_counter() - start)


def checked_rate(runner: ScenarioRunner, run: Run, scenarios: int) -> tuple[int, float]:
    for _ in range(scenarios):
        scenario = Scenario.everyone_asks(
            SQL,
            "bench",
            fresh_identity(f"bench_{run.tag}_s", SUBMITTER),
            (fresh_identity(f"bench_{run.tag}_o", OTHER),),
        )
        runner.run(scenario)
    return run.operations, run.operation_seconds


def _bench_scenario(run: Run, number: int) -> Scenario:
    return Scenario.everyone_asks(
        SQL,
        "bench",
        fresh_identity(
            f"bench_{run.tag}_s", (*SUBMITTER, Grant("DATASOURCE", f"bench_{number}", "READ"))
        ),
        (fresh_identity(f"bench_{run.tag}_o", OTHER),),
    )


def example_rates(runner: ScenarioRunner, run: Run, scenarios: int) -> list[str]:
    """Whole examples (provisioning, propagation, requests, judging) per second, three ways:
    users made anew for each example; the run's identity pool, one example at a time; the pool
    with batches of ``PARALLEL_SCENARIOS`` examples behind one barrier, asked concurrently (as
    ``test_properties.py`` runs them). Each submitter's grants are the example's own (one
    datasource name per example), so the pool writes at least once per example, as a run's
    generated grants, fresh names included, make it write. Each way first runs one batch
    uncounted, so the pool's users exist, as they do for all but a run's first examples."""
    lines, rates = [], []
    ways = [
        ("fresh users per example", False, 1),
        ("identity pool", True, 1),
        (f"identity pool, batches of {PARALLEL_SCENARIOS}", True, PARALLEL_SCENARIOS),
    ]
    for label, pooled, batch in ways:
        pool = (
            IdentityPool(runner.security, runner.barrier, run, f"bp{batch}{run.tag}")
            if pooled
            else None
        )
        way = runner.with_pool(pool)
        try:
            # warm-up, not counted: a run's pool lives for the whole run, so its users and roles
            # are made once, not per figure
            way.run_batch([_bench_scenario(run, -1 - number) for number in range(batch)])
            before = dict(run.timings)
            checked, started = run.operations, time.monotonic()
            for first in range(0, scenarios, batch):
                numbers = range(first, min(first + batch, scenarios))
                way.run_batch([_bench_scenario(run, number) for number in numbers])
        finally:
            if pool is not None:
                pool.close()
        seconds, count = time.monotonic() - started, run.operations - checked
        spent = {
            k: run.timings.get(k, 0.0) - before.get(k, 0.0)
            for k in ("provisioning", "propagation_barrier")
        }
        rates.append(count / seconds)
        lines.append(
            f"examples, {label}: {count} checked operations in {seconds:.1f} s = "
            f"{count / seconds:.2f} per second (provisioning {spent['provisioning']:.1f} s, "
            f"propagation barrier {spent['propagation_barrier']:.1f} s; {_shares(spent, seconds)})"
        )
    lines.append(f"ratio identity pool / fresh users: {rates[1] / rates[0]:.2f}")
    lines.append(f"ratio batches / identity pool one at a time: {rates[2] / rates[1]:.2f}")
    lines.append(f"ratio batches / fresh users: {rates[2] / rates[0]:.2f}")
    return lines


def _shares(spent: dict[str, float], seconds: float) -> str:
    """The share of a way's time per phase: provisioning, the barrier, and the rest (the
    requests, their waits and the judging)."""
    asking = seconds - spent["provisioning"] - spent["propagation_barrier"]
    return (
        f"shares: provisioning {spent['provisioning'] / seconds:.0%}, "
        f"barrier {spent['propagation_barrier'] / seconds:.0%}, "
        f"requests and judging {asking / seconds:.0%}"
    )


def raw_rate(
    cluster: Cluster, runner: ScenarioRunner, run: Run, scenarios: int
) -> tuple[int, float]:
    """The same requests as a scenario (submit, two statuses, a cancel, the clean-up cancel)
    with a bare session: no recorder, no oracle, no registry."""
    submitter, other = (
        fresh_identity(f"bench_{run.tag}_s", SUBMITTER),
        fresh_identity(f"bench_{run.tag}_o", OTHER),
    )
    session = requests.Session()
    base = cluster.router_url

    def call(method: str, path: str, who: Credentials, body: object = None) -> requests.Response:
        return session.request(method, base + path, json=body, auth=(who.user, who.password))

    sent, seconds = 0, 0.0
    with runner.provisioned([submitter, other]):
        for _ in range(scenarios):
            started = time.monotonic()
            body = {"query": SQL, "context": {}}
            task = call("POST", "/druid/v2/sql/task", credentials(submitter), body).json()["taskId"]
            sent += 1
            for who in (other, submitter):
                call("GET", f"/druid/indexer/v1/task/{task}/status", credentials(who))
                sent += 1
            for who in (other, submitter):
                sent += 1
                if call("POST", f"/druid/indexer/v1/task/{task}/shutdown", credentials(who)).ok:
                    break
            call("POST", f"/druid/indexer/v1/task/{task}/shutdown", cluster.admin)
            seconds += time.monotonic() - started
    return sent, seconds


def cluster_figures(cluster: Cluster, scenarios: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="druid-bench-") as tmp:
        run = Run.create(Path(tmp), History)
        run.history.secret(cluster.admin.password)
        router = DruidClient(cluster.router_url, None, recorder=run.history.record)
        admin = router.as_user(cluster.admin)
        security = SecurityAdmin(
            DruidClient(cluster.coordinator_url, cluster.admin, recorder=run.history.record)
        )
        seeds = frozenset(create_seeds(admin))
        barrier = PropagationBarrier(security, router, f"bench{run.tag}")
        judge = Judge(run, cluster.druid_version, "druid-27", seeds)
        runner = ScenarioRunner(
            security, barrier, router, admin, judge, lambda: liveness_problem(cluster)
        )
        checked, checked_s = checked_rate(runner, run, scenarios)
        raw, raw_s = raw_rate(cluster, runner, run, scenarios)
        examples = example_rates(runner, run, scenarios)
        run.history.close()
    suite, bare = checked / checked_s, raw / raw_s
    return [
        *examples,
        f"checked operations: {checked} in {checked_s:.2f} s = {suite:.1f} per second "
        f"({scenarios} scenarios through the suite: recorded, judged, registry consulted)",
        f"raw HTTP requests:  {raw} in {raw_s:.2f} s = {bare:.1f} per second "
        "(the same requests with a bare requests session, clean-up cancel timed but not counted)",
        f"ratio checked/raw: {suite / bare:.2f}",
        f"peak memory of this process: {peak_memory_mib()} MiB",
    ]


def _timed(figure: Callable[[], list[str]]) -> list[str]:
    lines = figure()
    for line in lines:
        print(line, flush=True)
    return lines


def handle(args: argparse.Namespace) -> int:
    check_cluster_options(args)  # before the minutes of image builds and oracle figures
    version = args.druid_version or default_version()
    if args.druid_distribution is not None:
        version = read_distribution(args.druid_distribution).version
    print(f"benchmark on {os.cpu_count()} cores, Druid {version}", flush=True)
    if args.druid_distribution is not None:
        print("image builds: not measured (--druid-distribution: a build of your own)")
    elif not args.skip_build and not args.druid_url:
        _timed(lambda: image_builds(version, args.cold_caches))
    print(f"oracle decisions per second (warm, one core): {oracle_rate(args.seconds):.0f}")
    with cluster_for(args, f"bench-{secrets.token_hex(3)}", Path(tempfile.mkdtemp())) as cluster:
        if cluster.startup_seconds is not None:
            print(f"cluster start to ready: {cluster.startup_seconds:.1f} s", flush=True)
        else:
            print("cluster start to ready: not measured (--druid-url: a running cluster)")
        _timed(lambda: cluster_figures(cluster, args.scenarios))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "benchmark",
        help="image build, cluster start, oracle rate, checked vs raw request rate",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(parser)
    parser.add_argument("--cold-caches", action="store_true", help="cold build without caches")
    parser.add_argument("--skip-build", action="store_true", help="measure no image build")
    parser.add_argument(
        "--scenarios",
        type=options.argument(options.positive, "--scenarios"),
        default=10,
        help="per rate, at least 1 (default 10)",
    )
    parser.add_argument(
        "--seconds",
        type=options.argument(options.seconds, "--seconds"),
        default=2.0,
        help="for the oracle rate, above 0 (default 2)",
    )
    parser.set_defaults(handler=handle)
