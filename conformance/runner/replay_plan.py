"""What it takes to ask Druid a recorded question again: who, holding what, sends which request.

A recorded check names a case (the SQL, the actor's permissions, whether the actor submitted it)
but the users and the task it was asked about are gone. The plan makes them anew: an actor with
the recorded permissions and, when the actor did not submit, a submitter granted exactly what
the oracle says submitting requires. ``replay`` executes a plan; the reports print it as curl.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from conformance.oracle import Case, CaseError, StatementError, analyze_sql, decide
from conformance.oracle.profiles import SUBMIT_OPERATIONS
from fixtures.client import LOGIN_TRAITS
from fixtures.provision import Grant
from strategies.grants import QUERY_SELECT_STUB


@dataclass(frozen=True)
class Endpoint:
    """One operation as an HTTP request; ``{id}`` is the task's or statement's id,
    ``{datasource}`` the datasource of the task (``shutdownAllTasks``)."""

    method: str
    path: str


TASK_SUBMIT = Endpoint("POST", "/druid/v2/sql/task")
STATEMENT_SUBMIT = Endpoint("POST", "/druid/v2/sql/statements")
ENDPOINTS: dict[str, Endpoint] = {
    "submit": TASK_SUBMIT,
    "status": Endpoint("GET", "/druid/indexer/v1/task/{id}/status"),
    "reports": Endpoint("GET", "/druid/indexer/v1/task/{id}/reports"),
    "cancel": Endpoint("POST", "/druid/indexer/v1/task/{id}/shutdown"),
    "shutdownAllTasks": Endpoint(
        "POST", "/druid/indexer/v1/datasources/{datasource}/shutdownAllTasks"
    ),
    "statements.submit": STATEMENT_SUBMIT,
    "statements.status": Endpoint("GET", "/druid/v2/sql/statements/{id}"),
    "statements.results": Endpoint("GET", "/druid/v2/sql/statements/{id}/results"),
    "statements.cancel": Endpoint("DELETE", "/druid/v2/sql/statements/{id}"),
}
# Operations that are judged on a finished query (the suite waits for it to end first).
NEEDS_FINISHED = frozenset({"reports", "statements.results"})


@dataclass(frozen=True)
class ReplayPlan:
    """How to ask a recorded check again: the recorded ``case``, the grants to give its actor,
    those to give a separate submitter (None: the actor submits, or the operation is a submit),
    whether the request goes without credentials (``anonymous``), and the shape of the actor's
    login (``login``: a password with a colon...), which a known deviation may be about."""

    case: Case
    actor_grants: tuple[Grant, ...]
    submitter_grants: tuple[Grant, ...] | None  # None: the actor submits (or only submits)
    anonymous: bool  # the recorded request carried no credentials at all
    login: tuple[str, ...] = ()  # the recorded credentials' shape (``Credentials.traits``)

    @property
    def operation(self) -> str:
        """The case's operation, e.g. ``cancel`` or ``statements.results``."""
        return self.case.operation

    @property
    def statements_api(self) -> bool:
        """Whether the operation is one of the SQL statements API's (``statements.*``)."""
        return self.operation.startswith("statements.")

    @property
    def submits_only(self) -> bool:
        """Whether the operation judged is the submission itself (the actor submits)."""
        return self.operation in SUBMIT_OPERATIONS

    @property
    def submit(self) -> Endpoint:
        """The request that submits the statement: the task API's or the statements API's."""
        return STATEMENT_SUBMIT if self.statements_api else TASK_SUBMIT

    @property
    def endpoint(self) -> Endpoint:
        """The request of the operation judged (``{id}`` is the submitted query's id)."""
        return ENDPOINTS[self.operation]

    @property
    def per_datasource(self) -> bool:
        """Whether the endpoint names the task's datasource rather than its id."""
        return "{datasource}" in self.endpoint.path

    def path(self, task_id: str) -> str:
        """The endpoint's path for this task id (quoted; the caller quotes a placeholder such as
        ``$ID`` itself by passing it unquoted) and the case's datasource."""
        return self.endpoint.path.replace("{id}", task_id).replace(
            "{datasource}", quote(task_datasource(self.case), safe="")
        )

    @property
    def id_key(self) -> str:
        """The field of the submit answer holding the id: ``queryId`` or ``taskId``."""
        return "queryId" if self.statements_api else "taskId"

    def submit_body(self) -> dict[str, Any]:
        """``{"query", "context"}`` as recorded, with ``executionMode: ASYNC`` added for the
        statements API (the recorded context wins)."""
        context = dict(self.case.context)
        if self.statements_api:
            context = {"executionMode": "ASYNC", **context}
        return {"query": self.case.sql, "context": context}

    def replayed_case(self, case_id: str) -> Case:
        """The recorded case under a new id, to be judged again with the replay's answer."""
        return replace(self.case, id=case_id)


def task_datasource(case: Case) -> str:
    """The datasource of the case's task: an INSERT's or REPLACE's output datasource, else the
    SELECT tasks' stub ``__query_select``. Raises CaseError when the statement does not parse."""
    try:
        written = analyze_sql(case.sql).datasource_written
    except StatementError as error:
        raise CaseError(f"the task's statement does not parse: {error}") from None
    return written or QUERY_SELECT_STUB


def grants_of(case: Case) -> tuple[Grant, ...]:
    """The case's permissions as the grants that provision them (patterns unchanged)."""
    return tuple(Grant.from_permission(p) for p in case.permissions)


def submit_requirements(case: Case) -> tuple[Grant, ...]:
    """What the oracle says a submitter of the case's statement must hold, each resource name
    quoted as a pattern matching only itself. Raises CaseError for a malformed case."""
    submit = "statements.submit" if case.operation.startswith("statements.") else "submit"
    asked = replace(case, id=f"{case.id}-submit", operation=submit, permissions=())
    needed = decide(asked).required
    return tuple(Grant.exactly(ra) for ra in needed)


def plan(check: Mapping[str, Any], exchange: Mapping[str, Any] | None = None) -> ReplayPlan:
    """The plan for one recorded check line (and its exchange line, for who sent it).

    Raises CaseError when the line has no case, its case is malformed, its operation has no
    endpoint here, or its login has a trait this suite does not know.
    """
    try:
        case = Case.from_json(check["case"])
    except (CaseError, KeyError) as error:
        raise CaseError(f"check {check.get('cell')}: {error}") from None
    if case.operation not in ENDPOINTS:
        raise CaseError(f"replay cannot perform {case.operation!r}")
    anonymous = not case.authenticated and (exchange or {}).get("user") is None
    separate = case.operation not in SUBMIT_OPERATIONS and not case.actor_is_submitter
    login = tuple(str(trait) for trait in check.get("login") or ())
    unknown = sorted(set(login) - set(LOGIN_TRAITS))
    if unknown:
        raise CaseError(f"check {check.get('cell')}: unknown login trait(s) {', '.join(unknown)}")
    return ReplayPlan(
        case=case,
        actor_grants=grants_of(case),
        submitter_grants=submit_requirements(case) if separate else None,
        anonymous=anonymous,
        login=login,
    )
