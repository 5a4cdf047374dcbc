"""Worked examples of the documented rules, as a table (like Kafka's authorizer tests).

Each row is a statement, what its submitter holds and what another user holds, and the answer
each request must get, read from the passage the row cites, not from the oracle's rule tables:
an oracle error that Druid shares would pass a row that took its expectation from the oracle.
``conformance/test_documented_examples.py`` runs the rows against Druid; ``tests/`` checks that
the oracle gives every stated answer.

Requests (``Row.expect`` keys): ``submit`` by the submitter; ``status (other)`` and
``status (submitter)``; ``cancel (other)`` then ``cancel (submitter)`` until one succeeds. A
row whose submit is refused asks nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fixtures.provision import Grant

EXTERN_INLINE = (
    'TABLE(EXTERN(\'{"type":"inline","data":"2024-01-01T00:00:00Z,a\\n"}\', '
    '\'{"type":"csv","columns":["t","page"]}\', '
    '\'[{"name":"t","type":"string"},{"name":"page","type":"string"}]\'))'
)


def read(name: str) -> Grant:
    return Grant("DATASOURCE", name, "READ")


def write(name: str) -> Grant:
    return Grant("DATASOURCE", name, "WRITE")


EXTERNAL = Grant("EXTERNAL", "EXTERNAL", "READ")
QUERY_SELECT = read("__query_select")


# What each passage gives (seed 000, the SQL-based ingestion security page, unless said):
SELECT_READ = (
    "SELECT from a Druid datasource requires the READ DATASOURCE permission on that datasource"
)
WRITE_TARGET = "INSERT or REPLACE into a Druid datasource requires the WRITE DATASOURCE permission"
EXTERN = 'EXTERN ... require READ permission on a resource named "EXTERNAL" with type "EXTERNAL"'
STUB = "SELECT queries: Users must have read permissions on the __query_select datasource"
OUTPUT = "INSERT or REPLACE queries: Users must have READ DATASOURCE permission on the output"
WHOLE_NAME = "druid-basic-security: the resource name must match the whole regex, case-sensitively"
ANYONE = "All authenticated users can use the multi-stage query task engine"

OK, FORBIDDEN = 200, 403
FOLLOW_UPS = ("status (other)", "status (submitter)", "cancel (other)", "cancel (submitter)")


def answers(submit: int, follow_ups: int | None = None) -> Mapping[str, int]:
    """The stated answers: ``submit``'s, and one for every follow-up (none when refused)."""
    if follow_ups is None:
        return {"submit": submit}
    return {"submit": submit, **dict.fromkeys(FOLLOW_UPS, follow_ups)}


@dataclass(frozen=True)
class Row:
    """``expect``: request (module docstring) -> the HTTP status the cited passages give (a
    2xx compares by class); ``because``: the passages, short."""

    id: str
    sql: str  # {out} is replaced by a fresh output datasource
    submitter: tuple[Grant, ...]
    other: tuple[Grant, ...]
    expect: Mapping[str, int]
    because: tuple[str, ...]


INSERT_FROM_WIKIPEDIA = (
    'INSERT INTO "{out}" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY'
)
INSERT_FROM_EXTERN = (
    f'INSERT INTO "{{out}}" SELECT TIME_PARSE(t) AS __time, page FROM {EXTERN_INLINE} '
    "PARTITIONED BY DAY"
)

ROWS = (
    Row(
        "select-read",
        'SELECT page FROM "wikipedia"',
        (read("wikipedia"), QUERY_SELECT),
        (QUERY_SELECT,),
        answers(OK, OK),
        (SELECT_READ, STUB),
    ),
    Row(
        "select-no-read",
        'SELECT page FROM "wikipedia"',
        (QUERY_SELECT,),
        (),
        answers(FORBIDDEN),
        (SELECT_READ,),
    ),
    Row(  # neither holds the stub datasource: nobody may interact with the query
        "select-other-lacks-stub",
        'SELECT page FROM "wikipedia"',
        (read("wikipedia"),),
        (read("wikipedia"),),
        answers(OK, FORBIDDEN),
        (SELECT_READ, STUB),
    ),
    Row(  # reads no datasource: any authenticated user may submit it
        "select-literal-no-grants",
        "SELECT 1",
        (),
        (),
        answers(OK, FORBIDDEN),
        (ANYONE, STUB),
    ),
    Row(  # 'wiki.*' matches 'wikipedia' whole, and not '__query_select'
        "select-regex-prefix",
        'SELECT page FROM "wikipedia"',
        (read("wiki.*"),),
        (),
        answers(OK, FORBIDDEN),
        (SELECT_READ, WHOLE_NAME, STUB),
    ),
    Row(
        "select-near-miss",
        'SELECT page FROM "wikipedia"',
        (read("wiki"),),
        (),
        answers(FORBIDDEN),
        (SELECT_READ, WHOLE_NAME),
    ),
    Row(
        "select-case",
        'SELECT page FROM "Wiki"',
        (read("wiki"),),
        (),
        answers(FORBIDDEN),
        (SELECT_READ, WHOLE_NAME),
    ),
    Row(
        "select-join-one-missing",
        'SELECT w.page FROM "wikipedia" w JOIN "koalas" k ON w.page = k.page',
        (read("wikipedia"),),
        (),
        answers(FORBIDDEN),
        (SELECT_READ,),
    ),
    Row(
        "insert-write-and-read",
        INSERT_FROM_WIKIPEDIA,
        (read("wikipedia"), write("{out}"), read("{out}")),
        (read("{out}"),),
        answers(OK, OK),
        (SELECT_READ, WRITE_TARGET, OUTPUT),
    ),
    Row(  # WRITE does not imply READ: nobody may interact with the query
        "insert-write-only",
        INSERT_FROM_WIKIPEDIA,
        (read("wikipedia"), write("{out}")),
        (write("{out}"),),
        answers(OK, FORBIDDEN),
        (SELECT_READ, WRITE_TARGET, OUTPUT),
    ),
    Row(
        "insert-read-only-target",
        INSERT_FROM_WIKIPEDIA,
        (read("wikipedia"), read("{out}")),
        (),
        answers(FORBIDDEN),
        (WRITE_TARGET,),
    ),
    Row(
        "insert-extern",
        INSERT_FROM_EXTERN,
        (EXTERNAL, write("{out}"), read("{out}")),
        (read("{out}"),),
        answers(OK, OK),
        (EXTERN, WRITE_TARGET, OUTPUT),
    ),
    Row(
        "insert-extern-no-external",
        INSERT_FROM_EXTERN,
        (write("{out}"), read("{out}")),
        (),
        answers(FORBIDDEN),
        (EXTERN,),
    ),
    Row(
        "replace-all",
        'REPLACE INTO "{out}" OVERWRITE ALL SELECT __time, page FROM "koalas" '
        "PARTITIONED BY ALL TIME",
        (read("koalas"), write("{out}"), read("{out}")),
        (read("{out}"), write("{out}")),
        answers(OK, OK),
        (SELECT_READ, WRITE_TARGET, OUTPUT),
    ),
)


def request_of(operation: str, actor_is_submitter: bool) -> str:
    """The ``Row.expect`` key of a check's request."""
    if operation == "submit":
        return "submit"
    return f"{operation} ({'submitter' if actor_is_submitter else 'other'})"
