"""The seed datasources are made in a thread of their own (``fixtures.seed.Seeding``), and the
tests whose statements read no table (``no_seeds``) run first, meanwhile."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from fixtures import seed
from fixtures.errors import BadInputError, InfrastructureError


def test_wait_gives_the_names_once_the_seeds_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def create(admin: Any, seeds: Any, abandoned: threading.Event) -> list[str]:
        release.wait(5)
        return [s.name for s in seeds]

    monkeypatch.setattr(seed, "create_seeds", create)
    job = seed.Seeding(admin=None).start()  # type: ignore[arg-type]
    assert job.seconds is None  # still making them
    release.set()
    assert job.wait() == [s.name for s in seed.SEEDS]
    assert job.seconds is not None and job.seconds >= 0


def test_wait_raises_what_the_creation_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def create(admin: Any, seeds: Any, abandoned: threading.Event) -> list[str]:
        raise BadInputError("the cluster already has a datasource 'wiki' with other data")

    monkeypatch.setattr(seed, "create_seeds", create)
    job = seed.Seeding(admin=None).start()  # type: ignore[arg-type]
    with pytest.raises(BadInputError, match="other data"):
        job.wait()


def test_abandon_ends_the_waits_of_a_creation_nobody_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real waits give up once abandoned: a task's status is never asked again."""
    asked: list[str] = []

    class Admin:
        def task_status(self, task_id: str) -> Any:
            asked.append(task_id)
            return type("Answer", (), {"status": 200, "body": {"status": {"status": "RUNNING"}}})

    abandoned = threading.Event()
    abandoned.set()
    with pytest.raises(InfrastructureError, match="the seeding was abandoned"):
        seed.wait_for_task(Admin(), "index_1", timeout=5, abandoned=abandoned)  # type: ignore[arg-type]
    assert asked == []


def test_abandon_joins_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    def create(admin: Any, seeds: Any, abandoned: threading.Event) -> list[str]:
        if not abandoned.wait(5):
            raise AssertionError("never abandoned")
        raise InfrastructureError("gave up waiting: the seeding was abandoned")

    monkeypatch.setattr(seed, "create_seeds", create)
    job = seed.Seeding(admin=None).start()  # type: ignore[arg-type]
    job.abandon()
    with pytest.raises(InfrastructureError, match="abandoned"):
        job.wait()


def test_the_tests_that_read_no_table_run_first() -> None:
    """``pytest_collection_modifyitems`` of ``conformance/conftest.py``, on marked items: a
    stable sort, the ``no_seeds`` ones first."""
    from conformance.conftest import pytest_collection_modifyitems

    class Item:
        def __init__(self, name: str, marked: bool) -> None:
            self.name, self.marked = name, marked

        def get_closest_marker(self, name: str) -> object | None:
            return object() if self.marked and name == "no_seeds" else None

    items: list[Any] = [Item("a", False), Item("b", True), Item("c", False), Item("d", True)]
    pytest_collection_modifyitems(items)
    assert [i.name for i in items] == ["b", "d", "a", "c"]
