"""The strategies build what they claim, without Druid: valid SQL whose resources the oracle's
analysis agrees with, grants that reach the verdict they aim at, unique names, real near misses,
and every feasible (operation x kind x verdict) cell reachable."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from conformance.oracle import VerdictKind
from conformance.oracle.dialect import parse, render
from conformance.oracle.permissions import RESOURCE_TYPES, Action, Grants, Resource, ResourceAction
from conformance.oracle.resources import StatementKind, analyze_sql
from fixtures.client import Credentials
from fixtures.provision import Grant
from strategies.grants import (
    QUERY_SELECT_STUB,
    RoleSpec,
    UserSpec,
    grants,
    matching_patterns,
    near_miss_patterns,
    users,
)
from strategies.identities import (
    NO_CREDENTIALS,
    NoCredentials,
    credentials_for,
    passwords,
    user_names,
    wrong_passwords,
)
from strategies.naming import make_namer
from strategies.queries import (
    ALL_KINDS,
    DRUID_27_KINDS,
    INGEST_KINDS,
    NOT_ON_DRUID_27,
    SEED_DATASOURCES,
    TARGET_SUFFIXES,
    GeneratedQuery,
    QueryKind,
    queries,
    query_of_kind,
)
from strategies.scenario import Steered
from strategies.steering import (
    Cell,
    Operation,
    Scenario,
    feasible_cells,
    required_permissions,
    scenarios,
)

NAMER = make_namer("strat_test")
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- queries


@QUICK
@given(st.sampled_from(ALL_KINDS).flatmap(lambda k: query_of_kind(k, NAMER)))
def test_every_statement_parses_back_and_renders_the_same(query: GeneratedQuery) -> None:
    [tree] = parse(query.sql)
    assert render(tree) == query.sql


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_KINDS).flatmap(lambda k: query_of_kind(k, NAMER, SEED_DATASOURCES)))
def test_resources_match_what_the_builder_meant(query: GeneratedQuery) -> None:
    resources = analyze_sql(query.sql)
    assert resources.problems == ()
    assert resources.datasources_read == query.reads
    assert resources.datasource_written == query.writes
    assert resources.reads_external == query.uses_external
    assert query.reads <= set(SEED_DATASOURCES)
    expected_kind = (
        StatementKind.SELECT
        if not query.kind.is_ingest
        else StatementKind.REPLACE
        if query.kind.name.startswith("REPLACE")
        else StatementKind.INSERT
    )
    assert resources.kind is expected_kind


@QUICK
@given(query_of_kind(QueryKind.SELECT_JOIN, NAMER, datasources=("koalas",)))
def test_only_the_given_datasources_are_read(query: GeneratedQuery) -> None:
    assert query.reads == {"koalas"}


@QUICK
@given(st.sampled_from(sorted(INGEST_KINDS)).flatmap(lambda k: query_of_kind(k, NAMER)))
def test_ingest_selects_time_and_writes_a_fresh_datasource(query: GeneratedQuery) -> None:
    tree = parse(query.sql)[0]
    projected = [e.alias_or_name for e in tree.expression.expressions]
    assert projected[0] == "__time"
    assert query.writes is not None and query.writes.startswith("strat_test_ds")
    assert "PARTITIONED BY" in query.sql


@pytest.mark.parametrize("suffix", [s for s in TARGET_SUFFIXES if s])
def test_fresh_targets_are_drawn_with_regex_metacharacters_spaces_and_non_ascii(
    suffix: str,
) -> None:
    query = find(
        query_of_kind(QueryKind.INSERT_FROM_LITERAL, NAMER),
        lambda q: q.writes is not None and q.writes.endswith(suffix),
        settings=FIND,
    )
    assert query.writes is not None and query.writes.startswith("strat_test_ds")
    assert f'"{query.writes}"' in query.sql  # quoted: the name is not a bare identifier


@QUICK
@given(query_of_kind(QueryKind.INSERT_FROM_DATASOURCE, NAMER, existing_targets=("wiki",)))
def test_existing_targets_keep_the_seeds_granularity(query: GeneratedQuery) -> None:
    if query.writes == "wiki":
        assert query.sql.endswith(("PARTITIONED BY DAY", "CLUSTERED BY page", "page, added"))
        assert "PARTITIONED BY DAY" in query.sql


_ALIGNED = re.compile(
    r"OVERWRITE WHERE __time >= TIMESTAMP '(?P<start>[^']+)' AND __time < "
    r"TIMESTAMP '(?P<end>[^']+)'.* PARTITIONED BY (?P<unit>\w+)"
)


@settings(max_examples=100, deadline=None)
@given(query_of_kind(QueryKind.REPLACE_WHERE, NAMER))
def test_replace_where_interval_is_aligned_with_the_partitioning(query: GeneratedQuery) -> None:
    match = _ALIGNED.search(query.sql)
    assert match, query.sql
    unit = match["unit"]
    for end in (match["start"], match["end"]):
        date, clock = end.split(" ")
        assert clock.endswith(":00:00")
        if unit in ("DAY", "MONTH", "YEAR"):
            assert clock == "00:00:00"
        if unit in ("MONTH", "YEAR"):
            assert date.endswith("-01")
        if unit == "YEAR":
            assert date[5:] == "01-01"


@settings(max_examples=100, deadline=None)
@given(query_of_kind(QueryKind.REPLACE_WHERE, NAMER))
def test_replace_where_rows_all_fall_at_the_intervals_start(query: GeneratedQuery) -> None:
    """Every row is moved into the interval, so the REPLACE is never empty (a source filtered
    to the interval often was: InsertCannotBeEmpty) and none falls outside it."""
    match = _ALIGNED.search(query.sql)
    assert match, query.sql
    [tree] = parse(query.sql)
    outer = tree.expression
    assert isinstance(outer, exp.Select), query.sql
    first = outer.expressions[0]
    assert first.alias == "__time" and render(first.this) == f"TIMESTAMP '{match['start']}'"
    assert outer.args.get("where") is None  # not filtered: the source's rows all stay


@QUICK
@given(queries(NAMER))
def test_default_kinds_are_those_druid_27_runs(query: GeneratedQuery) -> None:
    assert query.kind in DRUID_27_KINDS
    assert query.kind not in NOT_ON_DRUID_27
    assert query.context["maxNumTasks"] == 2
    assert "sqlQueryId" not in query.context


# --------------------------------------------------------------------------- patterns


NAMES = [
    *SEED_DATASOURCES,
    QUERY_SELECT_STUB,
    "EXTERNAL",
    "strat_x_ds1",
    *(f"strat_x_ds2{suffix}" for suffix in TARGET_SUFFIXES if suffix),
]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES).flatmap(lambda n: st.tuples(st.just(n), matching_patterns(n))))
def test_matching_patterns_match(pair: tuple[str, str]) -> None:
    name, pattern = pair
    assert re.fullmatch(pattern, name), (pattern, name)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES).flatmap(lambda n: st.tuples(st.just(n), near_miss_patterns(n))))
def test_near_misses_do_not_match(pair: tuple[str, str]) -> None:
    name, pattern = pair
    assert not re.fullmatch(pattern, name), (pattern, name)


# find() searches at random: derandomised with a large budget it draws the same examples every
# run, so "this pattern can be drawn" cannot pass on one run and fail on the next.
FIND = settings(max_examples=5000, derandomize=True, database=None)


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("wikipedia", "wiki"),
        ("wiki", "Wiki"),
        ("wikipedia", "w.ki"),
        ("wikipedia", "^wiki"),
        ("sales+eu", "sales+eu"),  # the bare name: a regex that misses the name it spells
        ("ds(1)", "ds(1)"),
    ],
)
def test_the_documented_near_misses_are_drawn(name: str, pattern: str) -> None:
    assert find(near_miss_patterns(name), lambda p: p == pattern, settings=FIND) == pattern


@pytest.mark.parametrize("pattern", [".*", "wiki.*", "^wikipedia$", "w.kipedia"])
def test_the_documented_matches_are_drawn(pattern: str) -> None:
    assert find(matching_patterns("wikipedia"), lambda p: p == pattern, settings=FIND) == pattern


@QUICK
@given(grants())
def test_grants_are_legal(grant: Grant) -> None:
    assert grant.type in RESOURCE_TYPES
    assert grant.action in ("READ", "WRITE")


@pytest.mark.parametrize("rtype", sorted(RESOURCE_TYPES))
@pytest.mark.parametrize("action", ["READ", "WRITE"])
def test_every_resource_type_and_action_is_drawn(rtype: str, action: str) -> None:
    def wanted(grant: Grant) -> bool:
        return grant.type == rtype and grant.action == action

    assert wanted(find(grants(), wanted, settings=FIND))


# --------------------------------------------------------------------------- identities


@QUICK
@given(user_names(NAMER), passwords())
def test_names_and_passwords_avoid_what_basic_auth_cannot_carry(name: str, pw: str) -> None:
    assert ":" not in name and ":" not in pw
    assert name.startswith("strat_test_user")
    assert all(ord(c) >= 32 and c != "\x7f" for c in name + pw)


@QUICK
@given(passwords().flatmap(lambda p: st.tuples(st.just(p), wrong_passwords(p))))
def test_wrong_passwords_differ(pair: tuple[str, str]) -> None:
    assert pair[0] != pair[1]


@QUICK
@given(credentials_for("u", "secret"))
def test_failed_logins_never_carry_the_password(login: Credentials | NoCredentials) -> None:
    assert login is NO_CREDENTIALS or (
        isinstance(login, Credentials) and login.password != "secret"
    )


@QUICK
@given(users(NAMER))
def test_user_permissions_are_the_union_of_its_roles(user: UserSpec) -> None:
    union = {p for role in user.roles for p in role.permissions()}
    assert set(user.permissions()) == union
    assert "password" not in repr(user)


def test_role_permissions_use_the_oracle_form() -> None:
    role = RoleSpec("r", (Grant("DATASOURCE", "wiki.*", "READ"),))
    [permission] = role.permissions()
    assert (permission.pattern, permission.type, permission.action.value) == (
        "wiki.*",
        "DATASOURCE",
        "READ",
    )


# --------------------------------------------------------------------------- steering


def _cell(scenario: Scenario) -> Cell:
    assert scenario.cell is not None, "a generated scenario is steered at a cell"
    return scenario.cell


def _steered(scenario: Scenario) -> Steered:
    """What the steering judged for the request its cell is about."""
    steered = scenario.aimed.steered
    assert steered is not None, "the aimed request carries the steering's case"
    return steered


def _submit_steered(scenario: Scenario) -> Steered:
    steered = scenario.submit.steered
    assert steered is not None, "the submit of a steered scenario carries the steering's case"
    return steered


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(NAMER))
def test_steering_reaches_the_aimed_verdict(scenario: Scenario) -> None:
    cell, aimed, steered = _cell(scenario), scenario.aimed, _steered(scenario)
    assert steered.verdict.verdict is cell.verdict
    assert aimed.operation == cell.operation.value == steered.case.operation
    assert scenario.kind == cell.kind.value
    if cell.operation is not Operation.SUBMIT:
        assert _submit_steered(scenario).verdict.allowed
        assert scenario.submit.authenticated
    if cell.verdict is VerdictKind.FORBIDDEN:
        assert steered.verdict.missing
    if cell.verdict is VerdictKind.UNAUTHENTICATED:
        assert not aimed.authenticated
        assert not isinstance(aimed.login, Credentials) or (
            aimed.login.password != aimed.actor.password
        )
    else:
        assert aimed.login == Credentials(aimed.actor.name, aimed.actor.password)
    assert steered.case.permissions == aimed.actor.permissions()
    assert steered.case.actor_is_submitter is (aimed.actor.name == scenario.submitter.name)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(NAMER))
def test_names_are_unique_within_an_example(scenario: Scenario) -> None:
    names = scenario.names()
    assert len(names) == len(set(names))
    users_by_name = Counter(u.name for u in scenario.users)
    assert max(users_by_name.values()) == 1


_NAMES_SEEN: set[str] = set()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(NAMER))
def test_names_are_never_reused_across_examples(scenario: Scenario) -> None:
    fresh = set(scenario.names())
    writes = analyze_sql(scenario.sql).datasource_written
    if writes and writes not in SEED_DATASOURCES:
        fresh.add(writes)
    assert not fresh & _NAMES_SEEN
    _NAMES_SEEN.update(fresh)


@QUICK
@given(query_of_kind(QueryKind.SELECT_LITERAL, NAMER))
def test_select_literal_cannot_be_forbidden_at_submit(query: GeneratedQuery) -> None:
    # why feasible_cells leaves that cell out
    assert required_permissions(query, Operation.SUBMIT) == ()


def test_feasible_cells_include_context_authorization() -> None:
    cell = Cell(Operation.SUBMIT, QueryKind.SELECT_LITERAL, VerdictKind.FORBIDDEN)
    assert cell not in feasible_cells()
    assert cell in feasible_cells(settings={"authorizeQueryContextParams": True})
    assert len(feasible_cells()) == 3 * len(DRUID_27_KINDS) * 3 - 1


@pytest.mark.parametrize("cell", feasible_cells(), ids=str)
@settings(max_examples=3, deadline=None, database=None)
@given(data=st.data())
def test_every_feasible_cell_is_reached(cell: Cell, data: st.DataObject) -> None:
    scenario = data.draw(scenarios(NAMER, cells=[cell]))
    assert scenario.cell == cell
    assert _steered(scenario).verdict.verdict is cell.verdict
    assert scenario.aimed.operation == cell.operation.value


@settings(max_examples=3, deadline=None, database=None)
@given(data=st.data())
def test_context_authorization_makes_select_literal_forbiddable(data: st.DataObject) -> None:
    cell = Cell(Operation.SUBMIT, QueryKind.SELECT_LITERAL, VerdictKind.FORBIDDEN)
    secured = {"authorizeQueryContextParams": True}
    found = data.draw(scenarios(NAMER, cells=[cell], settings=secured))
    assert any(m.resource.type == "QUERY_CONTEXT" for m in _steered(found).verdict.missing)


QUERY_ID_WRITE = ResourceAction(Resource("QUERY_CONTEXT", "queryId"), Action.WRITE)


SECURED = {"authorizeQueryContextParams": True}


def _holds_query_id_write(user: UserSpec) -> bool:
    return Grants(user.permissions()).allows(QUERY_ID_WRITE.resource, QUERY_ID_WRITE.action)


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    scenarios(
        NAMER,
        operations=[Operation.STATUS, Operation.CANCEL],
        settings=SECURED,
        submitter_extras=[QUERY_ID_WRITE],
    )
)
def test_submitter_extras_go_to_submitters_of_status_and_cancel(scenario: Scenario) -> None:
    assert _holds_query_id_write(scenario.submitter)
    assert _submit_steered(scenario).verdict.allowed
    assert _steered(scenario).verdict.verdict is _cell(scenario).verdict


def test_submitter_extras_do_not_steer_submit_scenarios() -> None:
    """A submission is the question itself: a submitter without the extra must still be drawn."""
    found = find(
        scenarios(
            NAMER,
            operations=[Operation.SUBMIT],
            settings=SECURED,
            submitter_extras=[QUERY_ID_WRITE],
        ),
        lambda s: not _holds_query_id_write(s.submitter),
        settings=FIND,
    )
    assert _cell(found).operation is Operation.SUBMIT


def test_a_few_hundred_random_scenarios_spread_over_the_cells() -> None:
    seen: Counter[Cell | None] = Counter()  # None would be a scenario steered at no cell

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(scenarios(NAMER))
    def collect(scenario: Scenario) -> None:
        seen[scenario.cell] += 1

    collect()
    # Hypothesis's draws are skewed; the per-cell test above guarantees every cell, this one
    # that an unsteered run still spreads over many of them (300 draws reach 39 to 48 of the 98
    # cells with random seeds, 37 derandomised, measured 2026-11-30).
    assert len(seen) >= len(feasible_cells()) // 3
    assert set(seen) <= set(feasible_cells())


@settings(max_examples=500, derandomize=True, database=None, deadline=None)
@given(st.data())
def test_a_near_miss_never_grants_another_missed_requirement(data: st.DataObject) -> None:
    """Regression: missing READ a and WRITE b, the wrong-action miss of one ('WRITE .*' for
    READ a) granted the other, so a 'forbidden' scenario was allowed."""
    from conformance.oracle.permissions import Action, Resource, ResourceAction
    from strategies.steering import _covers, grants_for_verdict

    required = [
        ResourceAction(Resource("DATASOURCE", "wikipedia"), Action.READ),
        ResourceAction(Resource("DATASOURCE", "out_ds"), Action.WRITE),
    ]
    granted = data.draw(grants_for_verdict(required, VerdictKind.FORBIDDEN))
    assert not all(any(_covers(g, r) for g in granted) for r in required), granted


def test_a_forbidden_submit_actor_holds_the_submitter_extras() -> None:
    """A forbidden submit must be refused for the requirement it misses, not for what a known
    deviation demands besides: its actor holds the extras (and is still forbidden)."""

    @settings(max_examples=40, deadline=None, database=None, derandomize=True)
    @given(
        scenarios(
            NAMER,
            operations=[Operation.SUBMIT],
            verdicts=[VerdictKind.FORBIDDEN],
            settings=SECURED,
            submitter_extras=[QUERY_ID_WRITE],
        )
    )
    def check(scenario: Scenario) -> None:
        assert _holds_query_id_write(scenario.submitter)
        assert _steered(scenario).verdict.verdict is VerdictKind.FORBIDDEN

    check()


def test_a_user_with_no_role_at_all_is_drawn() -> None:
    """An actor holding nothing may have no role (not only empty roles)."""
    found = find(
        scenarios(NAMER, verdicts=[VerdictKind.FORBIDDEN]),
        lambda s: not s.aimed.actor.roles,
        settings=FIND,
    )
    assert _cell(found).verdict is VerdictKind.FORBIDDEN
