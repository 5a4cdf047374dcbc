"""The metamorphic relations (``conformance/runner/relations.py``) and the grant sets they
compare (``strategies/grant_relations.py``), without Druid: each relation's judgement of two
statuses, how a broken one fails, the history's ``relation`` line, and ``ScenarioRunner.answers``
on a fake Druid (fakes show the logic here, never conformance)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.oracle.permissions import Action, Resource, ResourceAction
from conformance.runner.relations import (
    RELATION,
    RELATIONS,
    BrokenRelation,
    Comparison,
    Observation,
    RelationOutcome,
    answer_class,
    assert_relations_hold,
)
from conformance.runner.run import Run
from fixtures.client import Exchange
from fixtures.provision import Grant
from reports.history import History
from reports.records import parse_history
from strategies.grant_relations import minus_one, with_grant
from strategies.grants import RoleSpec, UserSpec, matches
from strategies.rewrites import REWRITE, Variant, rewrite
from strategies.scenario import Request, Scenario, credentials
from tests.test_scenario import fake

HOLDS, BROKEN, VACUOUS = RelationOutcome.HOLDS, RelationOutcome.BROKEN, RelationOutcome.VACUOUS

# (relation, the source's status or None, the follow-up's status, outcome)
JUDGEMENTS = [
    ("equivalent-statement", 200, 202, HOLDS),  # any 2xx alike
    ("equivalent-statement", 403, 403, HOLDS),
    ("equivalent-statement", 202, 403, BROKEN),
    ("equivalent-statement", 403, 400, BROKEN),  # two refusals, not the same answer
    ("equivalent-statement", 401, 403, BROKEN),
    ("grant-added", 202, 202, HOLDS),
    ("grant-added", 202, 403, BROKEN),
    ("grant-added", 202, 400, HOLDS),  # only 2xx -> 403 is this relation's business
    ("grant-added", 403, 202, VACUOUS),  # a refused original says nothing of its superset
    ("grant-added", 403, 403, VACUOUS),
    ("required-set-allows", None, 202, HOLDS),
    ("required-set-allows", None, 403, BROKEN),
    ("required-minus-one-denies", 202, 403, HOLDS),
    ("required-minus-one-denies", 202, 202, BROKEN),
    ("required-minus-one-denies", 202, 401, BROKEN),
]


@pytest.mark.parametrize(("name", "source", "follow", "outcome"), JUDGEMENTS)
def test_each_relation_judges_two_answers(
    name: str, source: int | None, follow: int, outcome: RelationOutcome
) -> None:
    assert RELATION[name].judge(source, follow) is outcome


def test_every_relation_is_listed_once_and_judged() -> None:
    names = [r.name for r in RELATIONS]
    assert len(set(names)) == len(names)
    assert {j[0] for j in JUDGEMENTS} == set(names)


@pytest.mark.parametrize("name", ["equivalent-statement", "grant-added"])
def test_a_relation_of_two_answers_needs_both(name: str) -> None:
    with pytest.raises(ValueError, match="two answers"):
        RELATION[name].judge(None, 202)


def test_answer_class() -> None:
    assert [answer_class(s) for s in (200, 202, 204, 400, 403)] == ["2xx"] * 3 + ["400", "403"]


# --------------------------------------------------------------------------- comparisons


def _exchange(status: int, seq: int, body: Any = None) -> Exchange:
    return Exchange("POST", "/druid/v2/sql/task", f"user{seq}", {}, status, body, 0.0, 0.0, seq)


READ_WIKI = Grant("DATASOURCE", "wiki", "READ")


def _comparison(source: int, follow: int) -> Comparison:
    return Comparison(
        RELATION["equivalent-statement"],
        "qualify-druid-schema",
        Observation("SELECT page FROM druid.wiki", (READ_WIKI,), _exchange(follow, 8, "no")),
        Observation("SELECT page FROM wiki", (READ_WIKI,), _exchange(source, 7, {"taskId": "t"})),
        "submit x SELECT_DATASOURCE",
    )


def test_a_comparison_line_holds_both_observations() -> None:
    line = _comparison(202, 403).to_json()
    assert line["relation"] == "equivalent-statement"
    assert line["variant"] == "qualify-druid-schema"
    assert line["outcome"] == "broken"
    assert line["label"] == "submit x SELECT_DATASOURCE"
    assert line["source"]["sql"] == "SELECT page FROM wiki"
    assert (line["source"]["status"], line["source"]["exchange_seq"]) == (202, 7)
    assert (line["follow"]["status"], line["follow"]["exchange_seq"]) == (403, 8)
    assert line["follow"]["grants"] == [READ_WIKI.to_json()]
    json.dumps(line)  # a JSON line as it is


def test_only_broken_comparisons_fail_each_with_both_answers_and_the_command() -> None:
    assert_relations_hold([_comparison(202, 200), _comparison(403, 403)], "pytest x")
    with pytest.raises(BrokenRelation) as raised:
        assert_relations_hold([_comparison(202, 200), _comparison(202, 403)], "pytest x")
    text = str(raised.value)
    assert text.count("BROKEN RELATION") == 1
    assert "equivalent-statement (qualify-druid-schema) on submit x SELECT_DATASOURCE" in text
    assert "statement: SELECT page FROM wiki" in text
    assert "statement: SELECT page FROM druid.wiki" in text
    assert "answered:  202" in text and "answered:  403" in text
    assert "held:      READ DATASOURCE 'wiki'" in text
    assert "(history #8)" in text
    assert text.endswith("reproduce:\npytest x")


@pytest.mark.parametrize(("source", "follow"), [(500, 500), (202, 503), (503, 202)])
def test_a_server_error_breaks_any_comparison_even_when_both_sides_agree(
    source: int, follow: int
) -> None:
    """A 5xx from a live Druid to a valid statement is a finding, never a relation that holds."""
    comparison = _comparison(source, follow)
    assert comparison.server_error
    assert comparison.outcome is RelationOutcome.BROKEN
    assert "server error (5xx)" in comparison.explain()
    assert not _comparison(403, 403).server_error


def test_a_relation_of_one_answer_is_broken_by_a_server_error() -> None:
    asked = Observation("SELECT 1", (), _exchange(500, 3))
    comparison = Comparison(RELATION["required-set-allows"], "exactly the required set", asked)
    assert comparison.outcome is RelationOutcome.BROKEN


def test_a_comparison_is_recorded_as_a_relation_line_apart_from_the_checks(
    tmp_path: Path,
) -> None:
    run = Run.create(tmp_path, History)
    run.record_relation(_comparison(202, 403))
    run.history.close()
    lines = [json.loads(line) for line in run.history.path.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["relation"]
    assert lines[0]["outcome"] == "broken"
    assert run.relations and not run.checks
    _, checks = parse_history(run.history.path.read_text(), "history")
    assert checks == []  # analyze and replay see oracle checks only


# --------------------------------------------------------------------------- grant sets

WIKI_READ = ResourceAction(Resource("DATASOURCE", "wiki.x"), Action.READ)
OUT_WRITE = ResourceAction(Resource("DATASOURCE", "out"), Action.WRITE)


def test_an_exact_grant_matches_its_name_and_no_other() -> None:
    grant = Grant.exactly(WIKI_READ)
    assert (grant.type, grant.action) == ("DATASOURCE", "READ")
    assert matches(grant.name, "wiki.x")
    assert not matches(grant.name, "wikiyx")  # the dot is quoted
    assert not matches(grant.name, "wiki.xs")


def test_minus_one_is_the_exact_set_then_each_element_left_out_once() -> None:
    family = minus_one([WIKI_READ, OUT_WRITE, WIKI_READ])
    exact = (Grant.exactly(WIKI_READ), Grant.exactly(OUT_WRITE))
    assert [v.name for v in family] == [
        "exactly the required set",
        "- READ DATASOURCE 'wiki\\\\.x'",
        "- WRITE DATASOURCE 'out'",
    ]
    assert [v.grants for v in family] == [exact, exact[1:], exact[:1]]
    assert [v.name for v in minus_one([])] == ["exactly the required set"]
    assert minus_one([])[0].grants == ()


def test_a_grant_added_keeps_everything_else() -> None:
    extra = Grant("STATE", "STATE", "READ")
    first, last = RoleSpec("r1", (READ_WIKI,)), RoleSpec("r2", ())
    user = UserSpec("u", "pw", (first, last))
    more = with_grant(user, extra)
    assert more.roles == (first, RoleSpec("r2", (extra,)))
    assert set(more.grants()) == {READ_WIKI, extra}
    assert (more.name, more.password) == ("u", "pw")
    alone = with_grant(UserSpec("v", "pw", ()), extra)
    assert [r.grants for r in alone.roles] == [(extra,)]


# --------------------------------------------------------------------------- the runner


def _submit(user: UserSpec, sql: str) -> Scenario:
    return Scenario(
        sql=sql,
        kind="SELECT_DATASOURCE",
        users=(user,),
        submit=Request("submit", user, credentials(user)),
    )


def test_answers_asks_without_judging_and_cancels_what_it_started(tmp_path: Path) -> None:
    """Druid's answers, one list per scenario; no oracle check recorded; every accepted query
    is cancelled by the admin (hygiene)."""
    user = UserSpec("u", "pw", (RoleSpec("r", (READ_WIKI,)),))
    variant = rewrite("SELECT page FROM wiki", REWRITE["qualify-druid-schema"])
    assert isinstance(variant, Variant)

    druid = fake(tmp_path)
    first, second = druid.runner.answers(
        [_submit(user, "SELECT page FROM wiki"), _submit(user, variant.sql)]
    )
    assert [e.status for e in first + second] == [202, 202]
    assert druid.run.checks == []
    assert [e.user for e in druid.log if e.path.endswith("/shutdown")] == ["admin", "admin"]
    sent = sorted(e.request_body["query"] for e in druid.log if e.path == "/druid/v2/sql/task")
    assert sent == ["SELECT page FROM druid.wiki", "SELECT page FROM wiki"]


def test_answers_refuses_one_name_for_two_roles_without_a_pool(tmp_path: Path) -> None:
    user = UserSpec("u", "pw", (RoleSpec("r", ()),))
    other = with_grant(user, READ_WIKI)  # same user and role names, other grants
    with pytest.raises(ValueError, match="a name stands for two"):
        fake(tmp_path).runner.answers([_submit(user, "SELECT 1"), _submit(other, "SELECT 1")])


def test_a_druid_answering_a_variant_otherwise_breaks_the_equivalence(tmp_path: Path) -> None:
    """A fake Druid refusing the variant's actor, who holds the original's grants: the answers
    come back in the batch's order (asked concurrently) and the relation is broken."""
    grants = (RoleSpec("r", (READ_WIKI,)),)
    asker, other = UserSpec("asker", "pw", grants), UserSpec("other", "pw", grants)
    original = "SELECT page FROM wiki"
    variant = rewrite(original, REWRITE["qualify-druid-schema"])
    assert isinstance(variant, Variant)

    def refuses_other(method: str, path: str, who: str | None) -> tuple[int, Any]:
        return (403, "Unauthorized") if who == "other" else (202, {"taskId": "query-1"})

    druid = fake(tmp_path, refuses_other)
    first, second = druid.runner.answers([_submit(asker, original), _submit(other, variant.sql)])
    comparison = Comparison(
        RELATION["equivalent-statement"],
        variant.rewrite,
        Observation(variant.sql, other.grants(), second[0]),
        Observation(original, asker.grants(), first[0]),
    )
    assert (first[0].status, second[0].status) == (202, 403)
    assert comparison.outcome is BROKEN
    with pytest.raises(BrokenRelation, match=r"SELECT page FROM druid\.wiki"):
        assert_relations_hold([comparison])
