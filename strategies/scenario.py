"""The one scenario type: who exists, what is submitted, and which questions are asked about it.

A :class:`Scenario` is built by the generators (``strategies.steering.scenarios``, each steered
at one coverage :class:`Cell`) or from a table (:meth:`Scenario.everyone_asks`: the documented
examples, the known deviations' minimal examples, the benchmark). The one executor,
``conformance.runner.scenario.ScenarioRunner.run``, provisions ``users``, sends ``submit`` and,
when Druid answers it with a query id, each of ``follow_ups`` in order; every answer is judged.

A steered request carries what the steering judged for it (:class:`Steered`: the oracle's case
and its verdict). The runner's judge builds its own case from what really happened, and when the
two verdicts differ it raises ``SteeringDrift`` (both cases shown): a bug of the suite, never a
verdict on Druid and never a silently missing coverage cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from conformance.oracle import Case, Verdict, VerdictKind
from fixtures.client import Credentials
from strategies.grants import RoleSpec, UserSpec
from strategies.identities import NoCredentials
from strategies.queries import QueryKind

FOLLOW_UP_OPERATIONS: tuple[str, ...] = ("status", "cancel", "results")
"""What may be asked about a submitted query (``results``: the statements API's, or the task's
reports on the task API)."""

READ_OPERATIONS: tuple[str, ...] = ("status", "results")
"""The follow-ups that change nothing: several users may ask one of them about one query
(:meth:`Scenario.with_readers`), where a cancel ends the query for everyone after it."""


class Operation(StrEnum):
    """The task-API operations a cell names; values are the oracle's operation names."""

    SUBMIT = "submit"
    STATUS = "status"
    CANCEL = "cancel"


@dataclass(frozen=True, order=True)
class Cell:
    """A coverage cell: an operation on a kind of statement, and the oracle's verdict on it.

    ``str(cell)`` (``submit x SELECT_JOIN x forbidden``) is the ``cell`` of the checks that hit
    it (``Check.cell``: the check's label, then its verdict)."""

    operation: Operation
    kind: QueryKind
    verdict: VerdictKind

    def __str__(self) -> str:
        return f"{self.operation.value} x {self.kind.value} x {self.verdict.value}"


def credentials(user: UserSpec) -> Credentials:
    """The user's own credentials (its name and its password): those that authenticate it."""
    return Credentials(user.name, user.password)


@dataclass(frozen=True)
class Steered:
    """What the steering judged for one request: the oracle's case and its verdict on it.

    ``case.operation`` is the task API's name of the request's operation (``submit``, ``status``,
    ``cancel``); ``verdict`` is ``decide(case)``, of the kind the steering aimed the request at.
    The runner's judge compares its own verdict on the request with ``verdict.verdict``.
    """

    case: Case
    verdict: Verdict


@dataclass(frozen=True)
class Request:
    """One question to Druid: ``actor`` asks ``operation`` sending ``login``.

    ``operation`` is ``submit`` or one of :data:`FOLLOW_UP_OPERATIONS`, without an API prefix
    (the executor asks it of the task or the statements API). ``login`` is the actor's own
    credentials (:func:`credentials`), a wrong password, or ``NoCredentials``. ``who``, when not
    empty (``submitter``, ``other``), is written into the check's label:
    ``status (other) x SELECT_JOIN``. ``steered`` is what the steering judged for the request,
    or ``None`` when nothing steered it (tables, or a question the steering did not judge).
    ``traits`` is what the request was built to be beyond its case, kept on its check
    (``Check.traits``; ``reader``: :meth:`Scenario.with_readers`).
    """

    operation: str
    actor: UserSpec
    login: Credentials | NoCredentials
    who: str = ""
    steered: Steered | None = field(default=None, repr=False)
    traits: tuple[str, ...] = ()

    @property
    def authenticated(self) -> bool:
        """Whether ``login`` authenticates ``actor`` (its own name and password)."""
        return isinstance(self.login, Credentials) and self.login == credentials(self.actor)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A world of users and roles, a statement, who submits it and who then asks what about it.

    ``users`` are provisioned (their roles with them), ``submit`` is sent, and when Druid
    answers it with a query id each of ``follow_ups`` is asked in order, until a cancel
    succeeds (a cancelled query is asked nothing more). ``kind`` is the coverage axis written
    into every check's label (a ``QueryKind`` value, a table row's id...). ``context`` is the
    query context sent with the submit. ``cell`` is the cell the steering aimed at, for a
    scenario it built: then :attr:`aimed` is the request that cell is about.

    A steered scenario asks its cell's follow-up last; before it, readers may ask the same
    question when it is one of :data:`READ_OPERATIONS` (:meth:`with_readers`).

    Raises ``ValueError`` when ``submit`` is not a submit, a follow-up is no
    :data:`FOLLOW_UP_OPERATIONS`, a request's actor is not one of ``users``, two users share a
    name, or a steered scenario has other follow-ups than its cell's one and its readers'.
    """

    sql: str
    kind: str
    users: tuple[UserSpec, ...]
    submit: Request
    follow_ups: tuple[Request, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)
    cell: Cell | None = None

    def __post_init__(self) -> None:
        names = [u.name for u in self.users]
        if len(set(names)) != len(names):
            raise ValueError(f"two users share a name: {names}")
        if self.submit.operation != "submit":
            raise ValueError(f"the first request must be a submit, not {self.submit.operation}")
        for request in self.follow_ups:
            if request.operation not in FOLLOW_UP_OPERATIONS:
                raise ValueError(f"{request.operation!r} is asked of no submitted query")
        for request in self.requests:
            if request.actor not in self.users:
                raise ValueError(f"{request.actor.name!r} acts but is not one of the users")
        if self.cell is not None:
            self._check_steered_follow_ups(self.cell)

    def _check_steered_follow_ups(self, cell: Cell) -> None:
        if cell.operation is Operation.SUBMIT:
            if self.follow_ups:
                raise ValueError(f"a {cell} scenario asks nothing after the submit")
            return
        if not self.follow_ups:
            raise ValueError(f"a {cell} scenario asks its cell's follow-up")
        *readers, aimed = self.follow_ups
        for reader in readers:
            if reader.operation != aimed.operation or aimed.operation not in READ_OPERATIONS:
                raise ValueError(
                    f"a {cell} scenario asks {reader.operation!r} before its cell's "
                    f"{aimed.operation!r}: only readers of the same status or results may"
                )

    @classmethod
    def everyone_asks(
        cls,
        sql: str,
        kind: str,
        submitter: UserSpec,
        others: Sequence[UserSpec] = (),
        context: Mapping[str, Any] | None = None,
    ) -> Scenario:
        """``submitter`` submits ``sql``; every other user and then the submitter asks for the
        status; the same order cancels until one cancel succeeds. Each with its own credentials,
        nothing steered; follow-ups are labelled ``(other)`` or ``(submitter)``."""
        askers = [*others, submitter]

        def everyone(operation: str) -> tuple[Request, ...]:
            return tuple(
                Request(
                    operation,
                    user,
                    credentials(user),
                    who="submitter" if user.name == submitter.name else "other",
                )
                for user in askers
            )

        return cls(
            sql=sql,
            kind=kind,
            users=(submitter, *others),
            submit=Request("submit", submitter, credentials(submitter)),
            follow_ups=everyone("status") + everyone("cancel"),
            context=dict(context or {}),
        )

    @property
    def requests(self) -> tuple[Request, ...]:
        """The submit, then the follow-ups, in the order they are asked."""
        return (self.submit, *self.follow_ups)

    @property
    def submitter(self) -> UserSpec:
        """Who submits (the submit's actor, whatever its ``login``)."""
        return self.submit.actor

    @property
    def others(self) -> tuple[UserSpec, ...]:
        """Every user but the submitter, in ``users`` order."""
        return tuple(u for u in self.users if u.name != self.submitter.name)

    @property
    def aimed(self) -> Request:
        """The request ``cell`` is about: the submit for a submit cell, else the follow-up.
        Raises ``ValueError`` for a scenario nothing steered (no ``cell``)."""
        if self.cell is None:
            raise ValueError("no cell: this scenario was not steered")
        return self.follow_ups[-1] if self.follow_ups else self.submit

    def asking(self, operation: str) -> Scenario:
        """The same scenario, its aimed request (and its readers') asking ``operation`` instead
        (the statements API's ``results`` is steered like ``status``). The steering judged
        another question, so that request carries no steered case any more; ``cell`` stays the
        one aimed at.

        Raises ``ValueError`` for a scenario nothing steered, for a submit scenario asked
        anything but ``submit`` (it asks nothing after the submit), and for a scenario with
        readers asked anything but status or results."""
        aimed = self.aimed
        if operation == aimed.operation:
            return self
        if not self.follow_ups:
            raise ValueError(f"a {self.cell} scenario asks nothing after the submit")
        if len(self.follow_ups) > 1 and operation not in READ_OPERATIONS:
            raise ValueError(f"readers ask only status or results, not {operation!r}")
        asked = tuple(replace(r, operation=operation, steered=None) for r in self.follow_ups)
        return replace(self, follow_ups=asked)

    def with_readers(self, readers: Sequence[UserSpec]) -> Scenario:
        """The same scenario, each of ``readers`` asking the aimed question too, with its own
        credentials and in order, before the aimed request: more checks of who may read a
        query for one query run (on the statements API, ``results`` waits for the query to
        end, two task JVMs on a cluster that has few). A reader not yet among ``users`` (the
        submitter may read too) joins them; the readers' requests are not steered (the
        runner's judge decides them).

        Each reader's check carries the trait ``reader``. Raises ``ValueError`` for a scenario
        nothing steered, when the aimed request is not one of :data:`READ_OPERATIONS`, and for
        a reader who is the aimed actor or is given twice."""
        aimed = self.aimed
        if aimed.operation not in READ_OPERATIONS or not self.follow_ups:
            raise ValueError(f"a {self.cell} scenario has no question readers could ask")
        names = [r.name for r in readers]
        if aimed.actor.name in names or len(set(names)) != len(names):
            raise ValueError(f"readers must be other than the aimed actor and each once: {names}")
        read = aimed.operation
        asks = tuple(Request(read, r, credentials(r), traits=("reader",)) for r in readers)
        users = tuple(dict.fromkeys([*self.users, *readers]))
        return replace(self, users=users, follow_ups=(*asks, *self.follow_ups))

    def roles(self) -> tuple[RoleSpec, ...]:
        """Every role to create, once."""
        return tuple(dict.fromkeys(role for user in self.users for role in user.roles))

    def names(self) -> list[str]:
        """Every user and role name this scenario creates."""
        return [u.name for u in self.users] + [r.name for r in self.roles()]
