"""OpenQueries: which submitted queries are still open, read from exchanges as they are recorded."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from fixtures.client import Exchange
from fixtures.errors import InfrastructureError
from fixtures.open_queries import OpenQueries, ended_query, submitted_query


def exchange(method: str, path: str, status: int, body: Any = None) -> Exchange:
    return Exchange(method, path, "u", None, status, body, 0.01, 0.0)


def task_submit(query: str, status: int = 202) -> Exchange:
    return exchange("POST", "/druid/v2/sql/task", status, {"taskId": query, "state": "RUNNING"})


def statement_submit(query: str, status: int = 200) -> Exchange:
    return exchange("POST", "/druid/v2/sql/statements", status, {"queryId": query})


def shutdown(query: str, status: int = 200) -> Exchange:
    return exchange("POST", f"/druid/indexer/v1/task/{query}/shutdown", status, {"task": query})


def test_accepted_submits_are_open_and_refused_ones_are_not() -> None:
    queries = OpenQueries()
    for sent in (
        task_submit("q1"),
        statement_submit("q2"),
        task_submit("q3", status=403),
        statement_submit("q4", status=400),
        exchange("POST", "/druid/v2/sql/task", 0, "refused"),  # no answer: no query id
        exchange("POST", "/druid/v2/sql", 200, {"taskId": "q5"}),  # not a submit path
    ):
        queries.note(sent)
    assert queries.open() == ["q1", "q2"]


@pytest.mark.parametrize(
    ("cancel", "ends"),
    [
        (shutdown("q1"), True),
        (exchange("DELETE", "/druid/v2/sql/statements/q1", 202), True),
        (shutdown("q1", status=403), False),  # refused: still running
        (exchange("DELETE", "/druid/v2/sql/statements/q1", 401), False),
        (exchange("GET", "/druid/v2/sql/statements/q1", 200), False),  # asked, not cancelled
        (exchange("GET", "/druid/indexer/v1/task/q1/status", 200), False),
        (exchange("DELETE", "/druid/v2/sql/statements/q1/results", 200), False),
    ],
)
def test_only_a_successful_cancel_ends_a_query(cancel: Exchange, ends: bool) -> None:
    queries = OpenQueries()
    queries.note(task_submit("q1"))
    queries.note(cancel)
    assert queries.open() == ([] if ends else ["q1"])


def test_a_quoted_id_in_a_cancel_path_names_the_submitted_query() -> None:
    line = shutdown("query%2Dabc").to_json()
    assert ended_query(line) == "query-abc"
    assert submitted_query(task_submit("query-abc").to_json()) == "query-abc"


def test_stop_all_cancels_what_is_left_oldest_first_and_forgets_it() -> None:
    queries = OpenQueries()
    stopped: list[str] = []

    def stop(query: str) -> Exchange:
        stopped.append(query)
        return shutdown(query)

    queries.stop = stop
    for query in ("a", "b", "c"):
        queries.note(task_submit(query))
    queries.note(shutdown("b"))
    assert queries.stop_all() == ["a", "c"]
    assert stopped == ["a", "c"]
    assert queries.open() == []
    assert queries.stop_all() == []


def test_without_a_way_to_stop_nothing_is_forgotten() -> None:
    queries = OpenQueries()
    queries.note(task_submit("a"))
    assert queries.stop_all() == []
    assert queries.open() == ["a"]


def test_a_failed_stop_leaves_that_query_and_the_later_ones_open() -> None:
    queries = OpenQueries()
    calls: list[str] = []

    def stop(query: str) -> Exchange:
        calls.append(query)
        if query == "b":
            raise InfrastructureError("connection refused")
        return shutdown(query)

    queries.stop = stop
    for query in ("a", "b", "c"):
        queries.note(task_submit(query))
    with pytest.raises(InfrastructureError):
        queries.stop_all()
    assert calls == ["a", "b"]
    assert queries.open() == ["b", "c"]


def test_notes_from_many_threads_lose_nothing() -> None:
    queries = OpenQueries()

    def submit_and_cancel_half(worker: int) -> None:
        for n in range(200):
            queries.note(task_submit(f"w{worker}-{n}"))
            if n % 2:
                queries.note(shutdown(f"w{worker}-{n}"))

    threads = [threading.Thread(target=submit_and_cancel_half, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(queries.open()) == sorted(f"w{w}-{n}" for w in range(4) for n in range(0, 200, 2))
