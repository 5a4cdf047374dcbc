"""Metamorphic relations: Druid's answers compared with Druid's own, no documentation needed.

SQLancer's idea applied to authorization: two questions whose answers must be related (the same
statement written two equivalent ways, the same statement by an actor holding one grant more)
are both asked, and the relation between the answers is checked. A broken relation is a bug of
Druid whatever its documentation says. The relations are rows of :data:`RELATIONS`, each a name,
what it says and a function of the two statuses; :class:`Comparison` is one such comparison, as
``Check`` is one oracle verdict, and is recorded apart from the checks (``Run.record_relation``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fixtures.client import Exchange
from fixtures.provision import Grant


class RelationOutcome(StrEnum):
    """How a comparison came out: the relation holds, is broken (the test fails), or says
    nothing here because its premise is not met (``vacuous``: e.g. the original was refused,
    so adding a grant may change anything)."""

    HOLDS = "holds"
    BROKEN = "broken"
    VACUOUS = "vacuous"


def answer_class(status: int) -> str:
    """``2xx`` for any success (Druid says 200 or 202 alike), else the status itself: 401,
    403 and 400 are different answers."""
    return "2xx" if status // 100 == 2 else str(status)


Judgement = Callable[[int | None, int], RelationOutcome]
"""(the source's status or None for a relation of one answer, the follow-up's status)."""


def _same_answer(source: int | None, follow: int) -> RelationOutcome:
    if source is None:
        raise ValueError("an equivalence compares two answers")
    same = answer_class(source) == answer_class(follow)
    return RelationOutcome.HOLDS if same else RelationOutcome.BROKEN


def _not_2xx_to_403(source: int | None, follow: int) -> RelationOutcome:
    if source is None:
        raise ValueError("a superset compares two answers")
    if answer_class(source) != "2xx":
        return RelationOutcome.VACUOUS
    return RelationOutcome.BROKEN if follow == 403 else RelationOutcome.HOLDS


def _allowed(source: int | None, follow: int) -> RelationOutcome:
    return RelationOutcome.HOLDS if answer_class(follow) == "2xx" else RelationOutcome.BROKEN


def _denied(source: int | None, follow: int) -> RelationOutcome:
    return RelationOutcome.HOLDS if follow == 403 else RelationOutcome.BROKEN


@dataclass(frozen=True)
class Relation:
    """A metamorphic relation: its name, what it says, and how two answers are judged."""

    name: str
    says: str
    judge: Judgement


RELATIONS: tuple[Relation, ...] = (
    Relation(
        "equivalent-statement",
        "an equivalent statement, by the same actor with the same grants, gets the same answer "
        "(any 2xx alike, the rest exactly)",
        _same_answer,
    ),
    Relation(
        "grant-added",
        "one grant more never turns an allowed request (2xx) into a refusal (403)",
        _not_2xx_to_403,
    ),
    Relation(
        "required-set-allows",
        "an actor holding exactly the required set is allowed (2xx)",
        _allowed,
    ),
    Relation(
        "required-minus-one-denies",
        "an actor holding the required set but one of its elements is refused (403)",
        _denied,
    ),
)
RELATION: dict[str, Relation] = {r.name: r for r in RELATIONS}


@dataclass(frozen=True)
class Observation:
    """One question and Druid's answer: the statement, its context, what the actor held and
    the exchange (its number in the history, its status)."""

    sql: str
    grants: tuple[Grant, ...]
    exchange: Exchange
    context: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The history's form: sql, context, grants (basic-security's JSON), status and
        exchange_seq."""
        return {
            "sql": self.sql,
            "context": dict(self.context),
            "grants": [grant.to_json() for grant in self.grants],
            "status": self.exchange.status,
            "exchange_seq": self.exchange.seq,
        }

    def lines(self, title: str) -> list[str]:
        """What a reader needs: the request, the answer (400 characters of its body), the
        statement and the grants."""
        body = self.exchange.body
        shown = body[:400] if isinstance(body, str) else json.dumps(body)[:400]
        held = ", ".join(f"{g.action} {g.type} {g.name!r}" for g in self.grants) or "nothing"
        return [
            f"  {title}: {self.exchange.method} {self.exchange.path} as "
            f"{self.exchange.user or 'nobody'} (history #{self.exchange.seq})",
            f"    statement: {self.sql}",
            f"    held:      {held}",
            f"    answered:  {self.exchange.status} {shown}",
        ]


@dataclass(frozen=True)
class Comparison:
    """``relation`` judged on two answers: ``source`` (None for a relation of one answer) and
    ``follow``, which ``variant`` names (a rewrite, ``+ READ DATASOURCE 'x'``...). ``label`` is
    the question, ``submit x SELECT_JOIN``."""

    relation: Relation
    variant: str
    follow: Observation
    source: Observation | None = None
    label: str = ""

    @property
    def server_error(self) -> bool:
        """Druid answered either question with a 5xx: a finding whatever the relation says
        (the statements are valid), so the comparison is broken even where both sides agree."""
        observed = [self.follow] if self.source is None else [self.source, self.follow]
        return any(o.exchange.status >= 500 for o in observed)

    @property
    def outcome(self) -> RelationOutcome:
        """The relation's judgement of the source's and the follow-up's statuses; broken on
        a server error (:attr:`server_error`)."""
        if self.server_error:
            return RelationOutcome.BROKEN
        source = self.source.exchange.status if self.source is not None else None
        return self.relation.judge(source, self.follow.exchange.status)

    def to_json(self) -> dict[str, Any]:
        """The history's relation line: relation, variant, label, outcome, and both
        observations (``Observation.to_json``; ``source`` null for one answer)."""
        return {
            "relation": self.relation.name,
            "variant": self.variant,
            "label": self.label,
            "outcome": self.outcome.value,
            "source": self.source.to_json() if self.source is not None else None,
            "follow": self.follow.to_json(),
        }

    def explain(self) -> str:
        """One block: the relation broken, then both questions and answers."""
        lines = [
            f"BROKEN RELATION {self.relation.name} ({self.variant}) on {self.label or 'a request'}:"
            f" {self.relation.says}",
        ]
        if self.server_error:
            lines.append("  Druid answered a valid request with a server error (5xx)")
        if self.source is not None:
            lines += self.source.lines("original")
        lines += self.follow.lines("variant" if self.source is not None else "asked")
        return "\n".join(lines)


class BrokenRelation(AssertionError):
    """Druid's answers break a metamorphic relation: a finding about Druid itself."""


def assert_relations_hold(comparisons: Sequence[Comparison], reproduce: str = "") -> None:
    """Fail with every broken comparison, one block each, then ``reproduce`` (a command).

    Raises BrokenRelation (an AssertionError: pytest shows a failure) when any is broken.
    """
    broken = [c for c in comparisons if c.outcome is RelationOutcome.BROKEN]
    if not broken:
        return
    text = "\n\n".join(c.explain() for c in broken)
    if reproduce:
        text += f"\n\nreproduce:\n{reproduce}"
    raise BrokenRelation(text)
