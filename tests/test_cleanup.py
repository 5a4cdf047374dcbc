"""What a run made is read from its history, and only that is removed (issue 11, item 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fixtures.cleanup import INVENTORY_EVENT, Inventory, footprint, read_history
from fixtures.errors import BadInputError

AUTHN = "/druid-ext/basic-security/authentication/db/basic"
AUTHZ = "/druid-ext/basic-security/authorization/db/basic"


def _x(
    method: str, path: str, status: int = 200, body: Any = None, sent: Any = None
) -> dict[str, Any]:
    return {
        "type": "exchange",
        "method": method,
        "path": path,
        "status": status,
        "body": body,
        "request_body": sent,
    }


HISTORY = [
    _x("POST", f"{AUTHN}/users/canary_abc"),
    _x("POST", f"{AUTHN}/users/canary_abc/credentials"),
    _x("POST", f"{AUTHZ}/users/canary_abc"),
    _x("POST", f"{AUTHZ}/roles/canary_role_abc"),
    _x("POST", f"{AUTHZ}/roles/canary_role_abc/permissions"),
    _x("POST", f"{AUTHZ}/users/canary_abc/roles/canary_role_abc"),
    _x("POST", f"{AUTHN}/users/u%20with%20space"),
    _x("POST", f"{AUTHZ}/users/u%20with%20space"),
    _x("DELETE", f"{AUTHZ}/users/u%20with%20space"),
    _x("DELETE", f"{AUTHN}/users/u%20with%20space"),
    _x("POST", f"{AUTHZ}/roles/refused", status=400),
    _x("POST", "/druid/v2/sql/task", 202, {"taskId": "query-1", "state": "RUNNING"}),
    _x("POST", "/druid/v2/sql/task", 403, {"error": "Forbidden"}),
    _x("POST", "/druid/v2/sql/statements", 200, {"queryId": "query-2", "state": "ACCEPTED"}),
    _x("GET", "/druid/indexer/v1/task/query-1/status", 0, {"error": "connection refused"}),
    _x("POST", "/druid/indexer/v1/task", 200, {"task": "index_parallel_wiki_1"}, {"type": "index"}),
    _x("POST", "/druid/indexer/v1/task", 400, {"error": "bad spec"}, {"type": "index"}),
    _x("POST", "/druid/indexer/v1/task", 200, {"task": "kill_wiki_1"}, {"type": "kill"}),
]


def test_the_footprint_is_what_was_made_and_not_undone() -> None:
    made = footprint(HISTORY)
    assert list(made.users) == ["canary_abc"]  # the user deleted again is not left over
    assert list(made.roles) == ["canary_role_abc"]  # a refused create made nothing
    # a refused submit made no task; the seeds' native tasks count, the clean-up's kills do not
    assert list(made.tasks) == ["query-1", "query-2", "index_parallel_wiki_1"]


def test_a_killed_runs_history_gives_its_footprint_and_inventory(tmp_path: Path) -> None:
    before = Inventory(frozenset({"admin"}), frozenset({"admin"}), frozenset({"wikipedia"}))
    lines = [{"type": "event", "event": INVENTORY_EVENT, **before.to_json()}, *HISTORY]
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    made, recorded = read_history(history)
    assert recorded == before
    assert list(made.users) == ["canary_abc"]


def test_a_bad_history_is_one_clear_error(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text('{"type": "exchange"}\nnot json\n')
    with pytest.raises(BadInputError, match=r"history.jsonl:2: not a JSON line"):
        read_history(history)
    with pytest.raises(BadInputError, match="cannot read"):
        read_history(tmp_path / "missing.jsonl")


def test_inventory_difference_names_what_was_left() -> None:
    before = Inventory(frozenset({"admin"}), frozenset(), frozenset({"wiki"}))
    after = Inventory(frozenset({"admin", "canary_x"}), frozenset(), frozenset({"wiki", "w2"}))
    assert after.difference(before) == {"users": ["canary_x"], "datasources": ["w2"]}
    assert before.difference(before) == {}


def test_a_create_that_got_no_answer_may_have_been_done() -> None:
    """The run was interrupted (or the connection failed) while Druid created a role: it counts
    as made, so the clean-up removes it; a delete that got no answer undid nothing."""
    history = [
        _x("POST", f"{AUTHZ}/roles/canary_role_cut", status=0, body={"error": "interrupted"}),
        _x("POST", f"{AUTHN}/users/kept"),
        _x("DELETE", f"{AUTHN}/users/kept", status=0, body={"error": "connection refused"}),
    ]
    made = footprint(history)
    assert list(made.roles) == ["canary_role_cut"]
    assert list(made.users) == ["kept"]


def test_a_request_interrupted_while_waiting_is_recorded() -> None:
    """Ctrl-C inside the HTTP call: the history still says the request was sent."""
    from fixtures.client import NO_RESPONSE, DruidClient, Exchange

    class Interrupting:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            raise KeyboardInterrupt

    recorded: list[Exchange] = []

    def record(exchange: Exchange) -> int:
        recorded.append(exchange)
        return len(recorded)

    client = DruidClient(
        "http://127.0.0.1:1",
        None,
        recorder=record,
        session=Interrupting(),  # type: ignore[arg-type]
    )
    with pytest.raises(KeyboardInterrupt):
        client.request("POST", f"{AUTHZ}/roles/canary_role_cut")
    (exchange,) = recorded
    assert (exchange.method, exchange.status) == ("POST", NO_RESPONSE)
    assert exchange.body["error"] == "interrupted before the answer"
    assert list(footprint([{**exchange.to_json(), "type": "exchange"}]).roles) == [
        "canary_role_cut"
    ]


def test_the_kill_interval_is_druids_eternity() -> None:
    """A PARTITIONED BY ALL TIME ingestion writes a segment whose interval is Druid's
    ``Intervals.ETERNITY``; a kill over any narrower interval (1000/3000, as before) leaves it,
    and its datasource stayed listed until the clean-up's wait ran out (observed 2026-11-30 on
    Druid 27.0.0: 300 s lost in each run that made one)."""
    from fixtures.cleanup import ETERNITY

    assert ETERNITY == "-146136543-09-08T08:23:32.096Z/146140482-04-24T15:36:27.903Z"


LOOKUPS = "/druid/coordinator/v1/lookups/config"


def test_lookups_made_are_in_the_footprint_as_tier_and_name() -> None:
    """Only a lookup created through ``POST .../config/{tier}/{name}`` and not deleted again is
    made; initialising the config (``POST .../config`` with ``{}``) and listing make nothing."""
    history = [
        _x("POST", LOOKUPS, sent={}),
        _x("POST", f"{LOOKUPS}/__default/lk%20a", sent={"version": "v1"}),
        _x("POST", f"{LOOKUPS}/__default/lk_gone"),
        _x("DELETE", f"{LOOKUPS}/__default/lk_gone"),
        _x("POST", f"{LOOKUPS}/tier2/lk_refused", status=400),
        _x("GET", f"{LOOKUPS}/all", body={"__default": {"lk a": {}}}),
    ]
    made = footprint(history)
    assert list(made.lookups) == ["__default/lk a"]
    assert not made.empty()


class _Answer:
    def __init__(self, status: int, body: Any = None) -> None:
        self.status, self.body = status, body


class _Coordinator:
    """Answers the clean-up's requests from a table of (method, path) -> status; records them."""

    def __init__(self, answers: dict[tuple[str, str], int]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, str]] = []

    def request(self, method: str, path: str, body: Any = None) -> _Answer:
        self.sent.append((method, path))
        if path.endswith("datasources?includeUnused"):
            return _Answer(200, [])
        return _Answer(self.answers.get((method, path), 200))


def test_the_clean_up_deletes_only_the_lookups_the_run_made() -> None:
    from fixtures.cleanup import Footprint, clean

    coordinator = _Coordinator(
        {
            ("DELETE", f"{LOOKUPS}/__default/gone_already"): 404,
            ("DELETE", f"{LOOKUPS}/__default/refused"): 500,
        }
    )
    security: Any = type("Security", (), {"client": coordinator})()
    made = Footprint(lookups=dict.fromkeys(["__default/mine", "__default/theirs"]))
    made.lookups.update(dict.fromkeys(["__default/gone_already", "__default/refused"]))
    before = Inventory(frozenset(), frozenset(), frozenset(), frozenset({"__default/theirs"}))
    cleaned = clean(made, before, security, admin=coordinator)  # type: ignore[arg-type]
    deletes = [path for method, path in coordinator.sent if method == "DELETE"]
    assert f"{LOOKUPS}/__default/theirs" not in deletes  # there before the run: never touched
    assert cleaned.removed == {"lookups": ["__default/mine"]}
    assert cleaned.failed == ["lookup __default/refused: DELETE answered 500"]


def test_an_inventory_from_before_lookups_were_listed_has_none() -> None:
    old = {"users": ["admin"], "roles": [], "datasources": ["wiki"]}
    assert Inventory.from_json(old).lookups == frozenset()
    now = Inventory(frozenset(), frozenset(), frozenset(), frozenset({"__default/lk"}))
    assert now.difference(Inventory.from_json(old)) == {"lookups": ["__default/lk"]}
