"""Oracle decisions per second on one core, parsing included.

Three figures: ``cold`` parses every statement (the parse cache is cleared before every
decision), ``mixed`` parses a new statement every 4 decisions (one generated statement checked
for a few users and operations, as the suite does), ``warm`` judges 50 actors against the same
statements. Parsing dominates the cold figure; it prints which sqlglot build ran (``compiled``
with sqlglotc installed, else ``pure``). Run:

    python benchmarks/oracle_bench.py [--seconds 3] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.oracle import Case, decide, decision, resources
from conformance.oracle.dialect import SQLGLOT_BUILD, parse_cached
from conformance.oracle.permissions import Action, Permission

TEMPLATES = [
    "SELECT page, COUNT(*) FROM {a} WHERE __time >= TIMESTAMP '2020-01-01' GROUP BY page",
    "SELECT * FROM {a} w JOIN {b} k ON w.page = k.page LIMIT 10",
    'INSERT INTO {a} SELECT * FROM TABLE(EXTERN(\'{{"type":"http","uris":["u"]}}\', '
    '\'{{"type":"json"}}\')) EXTEND (page VARCHAR, added BIGINT) PARTITIONED BY DAY',
    "REPLACE INTO {a} OVERWRITE WHERE __time >= TIMESTAMP '2020-01-01' AND "
    "__time < TIMESTAMP '2020-01-02' SELECT * FROM {b} PARTITIONED BY DAY CLUSTERED BY page",
    "SELECT * FROM {a} UNION ALL SELECT * FROM {b}",
    "SET maxNumTasks = 2; SELECT * FROM TABLE(inline(data => 'a', format => 'csv')) (a VARCHAR)",
]
OPERATIONS = ["submit", "submit", "status", "cancel", "statements.submit", "statements.results"]


def _actors(count: int) -> list[tuple[Permission, ...]]:
    rng = random.Random(7)
    patterns = [".*", "wiki.*", "ds_[0-9]+", "ds_1", "EXTERNAL", "__query_select"]
    types = ["DATASOURCE", "EXTERNAL", "QUERY_CONTEXT"]
    return [
        tuple(
            Permission(rng.choice(patterns), rng.choice(types), rng.choice(list(Action)))
            for _ in range(rng.randint(0, 5))
        )
        for _ in range(count)
    ]


def _clear_caches() -> None:
    parse_cached.cache_clear()
    resources.analyze_sql.cache_clear()


def _run(
    seconds: float,
    make_case: Callable[[int], Case],
    before: Callable[[], None],
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    done, start = 0, clock()
    while (elapsed := clock() - start) < seconds:
        for _ in range(100):
            before()
            decide(make_case(done))
            done += 1
    return done / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="cpu: per second of this process's CPU time, steadier on a machine busy with "
        "other work (the same as wall on an idle one)",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    actors = _actors(50)

    def statement(i: int) -> str:
        template = TEMPLATES[i % len(TEMPLATES)]
        return template.format(a=f"ds_{i}", b=f"wiki_{i}")

    def cold(i: int) -> Case:
        return Case(
            id=str(i),
            operation=OPERATIONS[i % len(OPERATIONS)],
            sql=statement(i),
            permissions=actors[i % len(actors)],
            actor_is_submitter=i % 3 != 0,
        )

    warm_sql = [statement(i) for i in range(len(TEMPLATES) * 4)]

    def warm(i: int) -> Case:
        return Case(
            id=str(i),
            operation=OPERATIONS[i % len(OPERATIONS)],
            sql=warm_sql[i % len(warm_sql)],
            permissions=actors[(i // len(warm_sql)) % len(actors)],
            actor_is_submitter=i % 3 != 0,
        )

    def mixed(i: int) -> Case:  # each new statement judged for 4 actors/operations
        return Case(
            id=str(i),
            operation=OPERATIONS[i % len(OPERATIONS)],
            sql=statement(1_000_000 + i // 4),
            permissions=actors[i % len(actors)],
            actor_is_submitter=i % 3 != 0,
        )

    print(f"sqlglot {version('sqlglot')} ({SQLGLOT_BUILD}), {args.clock} clock")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    cold_rate = _run(args.seconds, cold, _clear_caches, clock)
    _clear_caches()
    mixed_rate = _run(args.seconds, mixed, lambda: None, clock)
    _clear_caches()
    decision._grants.cache_clear()
    warm_rate = _run(args.seconds, warm, lambda: None, clock)
    print(f"cold (every statement parsed):           {cold_rate:8.0f} decisions/s")
    print(f"mixed (each statement for 4 cases):      {mixed_rate:8.0f} decisions/s")
    print(f"warm (statements judged for 50 actors):  {warm_rate:8.0f} decisions/s")
    print("target: 5000 decisions/s on one core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
