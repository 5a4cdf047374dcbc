"""Scenarios steered so that every cell (operation x query kind x verdict) is reached.

Uniformly random grants almost never allow a join into a new datasource, and almost never
forbid ``SELECT 1``: a property test over them would sit in a few cells. So a scenario draws
its cell first, then a query of that kind, then asks the oracle which permissions the operation
requires (``decide`` with no permissions lists them in ``required``) and builds grants AIMED at
the cell's verdict:

- ALLOWED: every required permission, each as the exact name or a regex that matches it, spread
  over one to three roles, plus unrelated noise;
- FORBIDDEN: at least one required permission is dropped, or replaced by a near miss (a name
  that does not match, the other action, another resource type); noise never covers it;
- UNAUTHENTICATED: the grants of ALLOWED, but the actor sends a wrong password or nothing.

For ``status``/``cancel`` the submitter must be allowed to submit (the task must exist); the
actor is the submitter or another user. The result is the one ``strategies.scenario.Scenario``
type, its ``cell`` set: each request the steering aimed carries the oracle's case it judged and
that case's verdict (``Steered``), which must be the cell's (``SteeringError`` otherwise: a bug
here, not a finding); the runner's judge checks that its own verdict on what really happened is
the same (``SteeringDrift`` otherwise). Each scenario records
``hypothesis.event("cell: submit x SELECT_JOIN x forbidden")``, so
``--hypothesis-show-statistics`` shows the coverage.

A status (or results) scenario may be read by more users than its aimed actor
(:func:`with_drawn_readers`, :class:`ReaderKind`): more questions about one query, where
running the query is what costs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum
from typing import Any

from hypothesis import assume, event
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from conformance.oracle import Case, VerdictKind, decide
from conformance.oracle.permissions import Action, ResourceAction
from conformance.oracle.profiles import DEFAULT_PROFILE
from fixtures.client import Credentials
from strategies.grants import (
    TYPES,
    Grant,
    UserSpec,
    matches,
    matching_patterns,
    near_miss_patterns,
    noise_grants,
    split_into_roles,
    users,
)
from strategies.identities import NoCredentials, credentials_for, passwords, user_names
from strategies.naming import Namer
from strategies.queries import (
    DRUID_27_KINDS,
    SEED_DATASOURCES,
    GeneratedQuery,
    QueryKind,
    query_of_kind,
)
from strategies.scenario import Cell, Operation, Request, Scenario, Steered, credentials

__all__ = [
    "STEERED_VERDICTS",
    "Cell",
    "Operation",
    "ReaderKind",
    "Scenario",
    "SteeringError",
    "feasible_cells",
    "feasible_statement_cells",
    "grants_for_verdict",
    "required_permissions",
    "scenarios",
    "with_drawn_readers",
]

STEERED_VERDICTS: tuple[VerdictKind, ...] = (
    VerdictKind.ALLOWED,
    VerdictKind.FORBIDDEN,
    VerdictKind.UNAUTHENTICATED,
)


class SteeringError(AssertionError):
    """The grants built for a verdict do not give it: a bug in the steering."""


def feasible_cells(
    operations: Collection[Operation] = tuple(Operation),
    kinds: Collection[QueryKind] = DRUID_27_KINDS,
    verdicts: Collection[VerdictKind] = STEERED_VERDICTS,
    settings: Mapping[str, Any] | None = None,
) -> tuple[Cell, ...]:
    """The cells the oracle lets exist. Submitting ``SELECT 1`` requires no permission (unless
    context parameters are authorized: ``maxNumTasks`` is always sent), so it cannot be
    forbidden; every other kind reads, writes or is a task whose stub needs READ."""
    context_secured = bool((settings or {}).get("authorizeQueryContextParams"))
    return tuple(
        Cell(op, kind, verdict)
        for op in Operation
        if op in operations
        for kind in QueryKind
        if kind in kinds
        for verdict in STEERED_VERDICTS
        if verdict in verdicts
        and not (
            op is Operation.SUBMIT
            and kind is QueryKind.SELECT_LITERAL
            and verdict is VerdictKind.FORBIDDEN
            and not context_secured
        )
    )


def feasible_statement_cells(
    operations: Collection[str], settings: Mapping[str, Any] | None = None
) -> tuple[str, ...]:
    """The statements API's cells (``statements.status x INSERT x forbidden``) a run can hit
    on a profile with these ``operations``: ``statements.submit`` as the task API's submit;
    ``status``, ``results`` and ``cancel`` allowed (the submitter), forbidden (another user:
    the statements API answers only its submitter) or unauthenticated, for every kind."""
    cells: list[str] = []
    for cell in feasible_cells(operations=(Operation.SUBMIT,), settings=settings):
        if "statements.submit" in operations:
            cells.append(f"statements.{cell}")
    for name in ("status", "results", "cancel"):
        if f"statements.{name}" not in operations:
            continue
        cells += [
            f"statements.{name} x {kind.value} x {verdict.value}"
            for kind in DRUID_27_KINDS
            for verdict in STEERED_VERDICTS
        ]
    return tuple(cells)


def _case(
    query: GeneratedQuery,
    operation: Operation,
    user: UserSpec | None,
    *,
    profile: str,
    settings: Mapping[str, Any],
    existing: frozenset[str] | None,
    authenticated: bool = True,
    actor_is_submitter: bool = True,
) -> Case:
    return Case(
        id=f"{operation.value}:{query.kind.value}",
        operation=operation.value,
        sql=query.sql,
        profile=profile,
        settings=dict(settings),
        context=dict(query.context),
        permissions=user.permissions() if user else (),
        authenticated=authenticated,
        actor_is_submitter=actor_is_submitter,
        existing_datasources=existing,
    )


def required_permissions(
    query: GeneratedQuery,
    operation: Operation,
    *,
    profile: str = DEFAULT_PROFILE,
    settings: Mapping[str, Any] | None = None,
) -> tuple[ResourceAction, ...]:
    """What the oracle requires for ``operation`` on ``query`` (asked with no permissions)."""
    verdict = decide(
        _case(query, operation, None, profile=profile, settings=settings or {}, existing=None)
    )
    if verdict.verdict not in (VerdictKind.ALLOWED, VerdictKind.FORBIDDEN):
        raise SteeringError(f"{query.sql!r} is {verdict.verdict.value}: {verdict.reason}")
    return verdict.required


# --------------------------------------------------------------------------- grants


def _covers(grant: Grant, needed: ResourceAction) -> bool:
    return (
        grant.type == needed.resource.type
        and grant.action == needed.action.value
        and matches(grant.name, needed.resource.name)
    )


@st.composite
def _granting(draw: st.DrawFn, needed: ResourceAction, avoid: Sequence[ResourceAction]) -> Grant:
    """A grant that covers ``needed`` (exact or regex) and none of ``avoid``."""
    name = needed.resource.name
    pattern = draw(matching_patterns(name))
    grant = Grant(needed.resource.type, pattern, needed.action.value)
    if any(_covers(grant, a) for a in avoid):  # e.g. '.*' would also grant a missed one
        grant = Grant.exactly(needed)
    return grant


@st.composite
def _missing(draw: st.DrawFn, needed: ResourceAction) -> list[Grant]:
    """Nothing, or a near miss of ``needed``: another name, action or type."""
    name, rtype, action = needed.resource.name, needed.resource.type, needed.action.value
    how = draw(st.sampled_from(["drop", "name", "action", "type"]))
    if how == "name":
        return [Grant(rtype, draw(near_miss_patterns(name)), action)]
    if how == "action":  # WRITE does not imply READ, nor READ WRITE
        other = Action.WRITE if needed.action is Action.READ else Action.READ
        return [Grant(rtype, draw(st.sampled_from([name, ".*"])), other.value)]
    if how == "type":
        other_type = TYPES[(TYPES.index(rtype) + draw(st.integers(1, len(TYPES) - 1))) % len(TYPES)]
        return [Grant(other_type, draw(st.sampled_from([name, ".*"])), action)]
    return []


@st.composite
def grants_for_verdict(
    draw: st.DrawFn,
    required: Sequence[ResourceAction],
    verdict: VerdictKind,
    keep: Sequence[ResourceAction] = (),
) -> list[Grant]:
    """Grants aimed at ``verdict`` for ``required``; ``keep`` must stay granted whatever the
    verdict (the submitter's own needs when it is also the actor). FORBIDDEN misses at least
    one of ``required`` that is not in ``keep`` (the caller makes sure one exists)."""
    missed: list[ResourceAction] = []
    if verdict is VerdictKind.FORBIDDEN:
        candidates = [r for r in required if r not in keep]
        if not candidates:
            raise SteeringError("nothing can be missing: every requirement must be kept")
        missed = draw(st.lists(st.sampled_from(candidates), min_size=1, unique=True))
    wanted = list(dict.fromkeys([*keep, *(r for r in required if r not in missed)]))
    out = [draw(_granting(r, missed)) for r in wanted]
    for r in missed:
        # A near miss of one requirement may hit another missed one (READ '.*' as the wrong-action
        # miss of WRITE x covers a missed READ y): such a grant would not be a miss at all.
        out += [g for g in draw(_missing(r)) if not any(_covers(g, m) for m in missed)]
    avoid = [(r.resource.type, r.resource.name, r.action.value) for r in missed]
    out += draw(noise_grants(avoid=avoid, max_size=3))
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- scenarios


@st.composite
def _user_with(draw: st.DrawFn, namer: Namer, wanted: Sequence[Grant]) -> UserSpec:
    roles = draw(split_into_roles(namer, wanted))
    return UserSpec(draw(user_names(namer)), draw(passwords()), roles)


@st.composite
def scenarios(
    draw: st.DrawFn,
    namer: Namer,
    *,
    operations: Collection[Operation] = tuple(Operation),
    kinds: Collection[QueryKind] = DRUID_27_KINDS,
    verdicts: Collection[VerdictKind] = STEERED_VERDICTS,
    datasources: Sequence[str] = SEED_DATASOURCES,
    existing_targets: Sequence[str] = (),
    profile: str = DEFAULT_PROFILE,
    settings: Mapping[str, Any] | None = None,
    bystanders: int = 1,
    cells: Sequence[Cell] | None = None,
    submitter_extras: Sequence[ResourceAction] = (),
) -> Scenario:
    """A whole scenario for one feasible cell of the given operations, kinds and verdicts.

    Provision ``users`` (submitter, actor, bystanders), let the submitter submit the drawn
    statement (unless the cell's operation is the submit itself), then let the actor perform
    the cell's operation sending its login (its own credentials, a wrong password, or
    ``NoCredentials``). The aimed requests carry the oracle's case and verdict (``Steered``):
    the actor's request (``scenario.aimed``), and the submitter's submit of a status or cancel
    scenario, which the oracle must allow. Raises ``SteeringError`` when a verdict is not the
    aimed one, ``ValueError`` when no cell is feasible.

    ``cells`` picks the cells explicitly instead (e.g. one per pytest parameter, which
    guarantees coverage where Hypothesis's draws are skewed toward cells it has seen).
    ``submitter_extras`` are granted to the submitter of a status or cancel scenario on top of
    what the oracle requires: what a known deviation makes Druid want before a task exists
    (``deviations.submitter_workarounds``). An allowed submit never gets them (there the
    deviation shows); a forbidden submit's actor always does, so that its refusal must come
    from the documented requirement it misses, not from the deviation (with context
    authorization on, Druid 27 refuses every submit without WRITE on ``queryId``, which hid
    an authorizer that never checks ``maxNumTasks``)."""
    cfg: dict[str, Any] = dict(settings or {})
    if cells is None:
        cells = feasible_cells(operations, kinds, verdicts, cfg)
    if not cells:
        raise ValueError("no feasible cell for these operations, kinds and verdicts")
    cell = draw(st.sampled_from(cells))
    op, target = cell.operation, cell.verdict
    query = draw(query_of_kind(cell.kind, namer, datasources, existing_targets))

    def needs(operation: Operation) -> tuple[ResourceAction, ...]:
        return required_permissions(query, operation, profile=profile, settings=cfg)

    submit_needs = needs(Operation.SUBMIT)
    op_needs = submit_needs if op is Operation.SUBMIT else needs(op)
    # what the submitter of a status or cancel scenario holds whatever the verdict
    submitter_keeps = () if op is Operation.SUBMIT else (*submit_needs, *submitter_extras)
    aim = VerdictKind.ALLOWED if target is VerdictKind.UNAUTHENTICATED else target
    if aim is VerdictKind.FORBIDDEN:
        assume(bool(op_needs))  # feasible_cells rules out the known empty cases
    if op is Operation.SUBMIT:
        same = True
    else:
        forbidden_alone = aim is VerdictKind.FORBIDDEN and not set(op_needs) - set(submitter_keeps)
        same = not forbidden_alone and draw(st.booleans())
    if same:
        wanted = draw(grants_for_verdict(op_needs, aim, submitter_keeps))
        if op is Operation.SUBMIT and aim is VerdictKind.FORBIDDEN:
            wanted += [Grant.exactly(x) for x in submitter_extras if x not in op_needs]
        actor = draw(_user_with(namer, wanted))
        submitter = actor
    else:
        submit_grants = draw(grants_for_verdict(submitter_keeps, VerdictKind.ALLOWED))
        submitter = draw(_user_with(namer, submit_grants))
        actor = draw(_user_with(namer, draw(grants_for_verdict(op_needs, aim))))
    login: Credentials | NoCredentials = Credentials(actor.name, actor.password)
    if target is VerdictKind.UNAUTHENTICATED:
        login = draw(credentials_for(actor.name, actor.password))
    others = draw(st.lists(users(namer), max_size=bystanders))
    world = tuple(dict.fromkeys([submitter, actor, *others]))

    existing = frozenset(datasources) | frozenset(existing_targets)
    common: dict[str, Any] = {"profile": profile, "settings": cfg, "existing": existing}
    submit_case = _case(query, Operation.SUBMIT, submitter, **common)
    submit_expected = decide(submit_case)
    case = _case(
        query,
        op,
        actor,
        **common,
        authenticated=isinstance(login, Credentials) and login.password == actor.password,
        actor_is_submitter=same,
    )
    expected = decide(case)
    if expected.verdict is not target or (
        op is not Operation.SUBMIT and not submit_expected.allowed
    ):
        raise SteeringError(
            f"aimed at {cell}, the oracle says {expected.verdict.value} ({expected.reason}); "
            f"submitter: {submit_expected.verdict.value}"
        )
    event(f"cell: {cell}")
    event(f"actor: {'submitter' if same else 'another user'}")
    aimed = Request(op.value, actor, login, steered=Steered(case, expected))
    follow_ups: tuple[Request, ...]
    submit, follow_ups = aimed, ()  # a submit cell: the actor's submit is the question
    if op is not Operation.SUBMIT:  # the submitter submits (allowed), then the actor asks
        judged = Steered(submit_case, submit_expected)
        submit = Request(Operation.SUBMIT.value, submitter, credentials(submitter), steered=judged)
        follow_ups = (aimed,)
    return Scenario(
        sql=query.sql,
        kind=query.kind.value,
        context=query.context,
        users=world,
        submit=submit,
        follow_ups=follow_ups,
        cell=cell,
    )


# --------------------------------------------------------------------------- readers


class ReaderKind(StrEnum):
    """Who else asks a scenario's status or results (:func:`with_drawn_readers`).

    The documentation ties reading a query to who submitted it, not to what one holds (rules
    ``stmt.submitter-only.results`` and ``stmt.submitter-only.status``), so a reader other than
    the submitter is refused whatever it holds. ``OPERATOR`` holds READ on every ``STATE``
    besides the submitter's grants: Druid 28 lets such a user read every query (apache/druid
    PR #14944), which the pages found do not document, so on Druid 28 and later an operator
    reader's 200 is reported against those rules until the registry records it from a run
    there.
    """

    SUBMITTER = "submitter"  # the submitter itself, when the aimed actor is someone else
    SUBMITTERS_GRANTS = "submitter's grants"  # another user with exactly the submitter's grants
    OPERATOR = "operator"  # that, and READ on every STATE
    ANYONE = "anyone"  # a user drawn as bystanders are


@st.composite
def with_drawn_readers(
    draw: st.DrawFn, scenario: SearchStrategy[Scenario], namer: Namer, count: int
) -> Scenario:
    """A scenario of ``scenario`` (steered at a status cell) in which ``count`` readers, each of
    a drawn :class:`ReaderKind` (the submitter at most once, and never when it is the aimed
    actor), ask the aimed question too (``Scenario.with_readers``): ``count`` more checks for
    the one query the scenario runs."""
    drawn = draw(scenario)
    submitter, actor = drawn.submitter, drawn.aimed.actor
    readers: list[UserSpec] = []
    for _ in range(count):
        taken = submitter in (actor, *readers)
        kinds = [k for k in ReaderKind if k is not ReaderKind.SUBMITTER or not taken]
        kind = draw(st.sampled_from(kinds))
        event(f"reader: {kind.value}")
        if kind is ReaderKind.SUBMITTER:
            readers.append(submitter)
        elif kind is ReaderKind.ANYONE:
            readers.append(draw(users(namer)))
        else:
            held = list(submitter.grants())
            if kind is ReaderKind.OPERATOR:
                held.append(Grant("STATE", ".*", Action.READ.value))
            readers.append(draw(_user_with(namer, list(dict.fromkeys(held)))))
    return drawn.with_readers(readers)
