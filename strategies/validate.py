"""Re-check on a real Druid that generated statements are valid (python -m strategies.validate).

Draws ``--samples`` statements per query kind, submits each as the admin to
``POST /druid/v2/sql/task`` and waits for the task: a 2xx with a ``taskId`` is *accepted*, any
other answer *rejected* (with Druid's message); an accepted task ends *succeeded* or *failed*
(with its ``errorMsg``). The cluster comes from the environment (``DRUID_URL``,
``DRUID_ADMIN_USER``, ``DRUID_ADMIN_PASSWORD``) or from ``--env-file`` holding those lines.
New datasources are named ``strat_<random>_dsN``; at most ``--parallel`` tasks run at once (an
MSQ query takes two task slots). The password is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
from hypothesis import HealthCheck, Phase, given, settings

from fixtures.waiting import Condition, DeadlineExceeded, wait_until
from strategies.naming import make_namer, run_tag
from strategies.queries import (
    ALL_KINDS,
    DRUID_27_KINDS,
    SEED_DATASOURCES,
    GeneratedQuery,
    QueryKind,
    query_of_kind,
)

DEFAULT_ENV_FILE = Path.home() / ".cache" / "druid-conformance" / "dev-cluster.env"


@dataclass
class Outcome:
    """What Druid did with one statement."""

    query: GeneratedQuery
    status: int = 0
    task_id: str | None = None
    state: str = ""  # SUCCESS / FAILED / timeout, or REJECTED
    error: str = ""


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


def load_env(env_file: Path) -> tuple[str, tuple[str, str]]:
    """URL and admin credentials: the environment wins over the file."""
    values: dict[str, str] = {}
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith("#"):
                values[key.strip()] = value.strip()
    values.update({k: v for k, v in os.environ.items() if k.startswith("DRUID_")})
    try:
        url = values["DRUID_URL"].rstrip("/")
        return url, (values["DRUID_ADMIN_USER"], values["DRUID_ADMIN_PASSWORD"])
    except KeyError as missing:
        raise SystemExit(f"no {missing} in the environment nor in {env_file}") from None


def draw_queries(
    kind: QueryKind, samples: int, datasources: Sequence[str], tag: str
) -> list[GeneratedQuery]:
    """``samples`` distinct statements of ``kind`` (Hypothesis drives the draws, no database)."""
    namer = make_namer(tag)
    drawn: dict[str, GeneratedQuery] = {}

    @settings(
        max_examples=samples * 5,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(query_of_kind(kind, namer, datasources))
    def collect(query: GeneratedQuery) -> None:
        if len(drawn) < samples:
            drawn.setdefault(query.sql, query)

    collect()
    return list(drawn.values())


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("errorMessage") or error)[:300]
        return str(body.get("errorMessage") or body)[:300]
    return str(body)[:300]


def submit(url: str, auth: tuple[str, str], query: GeneratedQuery) -> Outcome:
    response = requests.post(
        f"{url}/druid/v2/sql/task",
        json={"query": query.sql, "context": dict(query.context)},
        auth=auth,
        timeout=60,
    )
    outcome = Outcome(query, status=response.status_code)
    if response.status_code // 100 == 2:
        outcome.task_id = str(response.json()["taskId"])
    else:
        outcome.state, outcome.error = "REJECTED", _message(response)
    return outcome


def finish(url: str, auth: tuple[str, str], outcome: Outcome, timeout: float) -> None:
    """Wait (with the suite's deadline-bound wait) until the task ends; a task still running
    after ``timeout`` seconds is recorded as ``timeout`` with its last observed state."""

    def ended() -> str | None:
        response = requests.get(
            f"{url}/druid/indexer/v1/task/{outcome.task_id}/status", auth=auth, timeout=30
        )
        status = response.json().get("status", {}) if response.ok else {}
        code = status.get("statusCode") or status.get("status")
        if code in ("SUCCESS", "FAILED"):
            outcome.state, outcome.error = code, str(status.get("errorMsg") or "")[:300]
            return None
        return f"HTTP {response.status_code}, task {code or 'unknown'}"

    try:
        wait_until(Condition(f"task {outcome.task_id} to end", ended), timeout)
    except DeadlineExceeded as exc:
        outcome.state, outcome.error = "timeout", str(exc)


def cancel(url: str, auth: tuple[str, str], outcome: Outcome) -> None:
    """Shut the task down (``--submit-only``): planning was all that was checked."""
    requests.post(f"{url}/druid/indexer/v1/task/{outcome.task_id}/shutdown", auth=auth, timeout=30)
    outcome.state = "not run"


def run(
    url: str,
    auth: tuple[str, str],
    queries: list[GeneratedQuery],
    parallel: int,
    timeout: float,
    submit_only: bool = False,
) -> list[Outcome]:
    """Submit in order with at most ``parallel`` tasks running; return every outcome."""
    if submit_only:
        outcomes = [submit(url, auth, query) for query in queries]
        for outcome in outcomes:
            if outcome.task_id is not None:
                cancel(url, auth, outcome)
        return outcomes
    done: list[Outcome] = []
    running: list[Outcome] = []
    for query in queries:
        outcome = submit(url, auth, query)
        if outcome.task_id is None:
            done.append(outcome)
            continue
        running.append(outcome)
        if len(running) >= parallel:
            oldest = running.pop(0)
            finish(url, auth, oldest, timeout)
            done.append(oldest)
    for outcome in running:
        finish(url, auth, outcome, timeout)
        done.append(outcome)
    return done


def report(outcomes: list[Outcome], kinds: Sequence[QueryKind], verbose: bool) -> bool:
    """Print a line per kind (and the distinct errors); True if every statement succeeded."""
    tallies = {kind: Tally() for kind in kinds}
    for outcome in outcomes:
        tally = tallies[outcome.query.kind]
        accepted = outcome.task_id is not None
        tally.counts["accepted" if accepted else "rejected"] += 1
        if outcome.state == "not run":
            tally.counts["not run"] += 1
        if accepted and outcome.state != "not run":
            tally.counts["succeeded" if outcome.state == "SUCCESS" else "failed"] += 1
        if outcome.state not in ("SUCCESS", "not run"):
            tally.errors[f"{outcome.status} {outcome.state}: {outcome.error[:160]}"] += 1
            if verbose:
                print(f"    {outcome.query.sql[:400]}", file=sys.stderr)
    width = max(len(k.value) for k in kinds)
    clean = True
    for kind, tally in tallies.items():
        c = tally.counts
        n = c["accepted"] + c["rejected"]
        print(
            f"{kind.value:<{width}}  n={n:<3} accepted={c['accepted']:<3} "
            f"rejected={c['rejected']:<3} succeeded={c['succeeded']:<3} failed={c['failed']}"
        )
        for error, count in tally.errors.most_common(3):
            print(f"{'':<{width}}    {count}x {error}")
        clean = clean and c["succeeded"] + c["not run"] == n and c["rejected"] == 0
    return clean


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m strategies.validate", description=__doc__)
    parser.add_argument("--samples", type=int, default=3, help="statements per kind")
    parser.add_argument(
        "--kinds",
        default="druid27",
        help="'druid27' (default: the kinds generated for Druid 27), 'all', or a comma list",
    )
    parser.add_argument("--datasources", default=",".join(SEED_DATASOURCES))
    parser.add_argument("--env-file", type=Path, default=DEFAULT_ENV_FILE)
    parser.add_argument("--parallel", type=int, default=2, help="tasks running at once")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per task")
    parser.add_argument("--verbose", action="store_true", help="print failing statements")
    parser.add_argument(
        "--submit-only",
        action="store_true",
        help="check planning only: submit, then shut every accepted task down at once",
    )
    args = parser.parse_args(argv)
    if args.kinds == "druid27":
        kinds: Sequence[QueryKind] = DRUID_27_KINDS
    elif args.kinds == "all":
        kinds = ALL_KINDS
    else:
        kinds = [QueryKind(k.strip().upper()) for k in args.kinds.split(",")]
    url, auth = load_env(args.env_file)
    datasources = [d for d in args.datasources.split(",") if d]
    tag = run_tag()
    queries = [q for kind in kinds for q in draw_queries(kind, args.samples, datasources, tag)]
    version = requests.get(f"{url}/status", auth=auth, timeout=30).json().get("version")
    print(f"Druid {version} at {url}: {len(queries)} statements, new datasources {tag}_ds*")
    outcomes = run(url, auth, queries, args.parallel, args.timeout, args.submit_only)
    return 0 if report(outcomes, kinds, args.verbose) else 1


if __name__ == "__main__":
    raise SystemExit(main())
