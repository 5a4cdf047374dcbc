"""Direction and severity of a disagreement, and the registry's severities."""

from __future__ import annotations

import pytest

from conformance.oracle import Action, Case, Permission, decide
from conformance.runner import deviations
from conformance.runner.checks import Check, NewDeviation, assert_conforms
from conformance.runner.findings import SEVERITY, Direction, Severity, direction_of, group
from fixtures.client import Exchange


@pytest.mark.parametrize(
    ("documented", "observed", "direction"),
    [
        (403, 200, Direction.OVER_PERMISSIVE),
        (401, 202, Direction.OVER_PERMISSIVE),
        (404, 200, Direction.OVER_PERMISSIVE),
        (400, 200, Direction.OVER_PERMISSIVE),
        (200, 403, Direction.OVER_RESTRICTIVE),
        (202, 404, Direction.OVER_RESTRICTIVE),
        (200, 500, Direction.SERVER_ERROR),
        (403, 503, Direction.SERVER_ERROR),
        (400, 403, Direction.WRONG_STATUS),
        (403, 401, Direction.WRONG_STATUS),
    ],
)
def test_direction_of_a_disagreement(documented: int, observed: int, direction: Direction) -> None:
    assert direction_of(documented, observed) is direction


@pytest.mark.parametrize(("documented", "observed"), [(200, 202), (403, 403), (202, 200)])
def test_agreement_has_no_direction(documented: int, observed: int) -> None:
    with pytest.raises(ValueError, match="agree"):
        direction_of(documented, observed)


def test_allowing_what_is_forbidden_ranks_first() -> None:
    ranked = sorted(Direction, key=lambda d: SEVERITY[d].rank)
    assert ranked[0] is Direction.OVER_PERMISSIVE
    assert SEVERITY[Direction.OVER_PERMISSIVE] is Severity.CRITICAL
    assert SEVERITY[Direction.WRONG_STATUS] is Severity.MINOR
    assert set(SEVERITY) == set(Direction)


@pytest.mark.parametrize("entry", deviations.registry(), ids=lambda e: e.id)
def test_a_registry_entry_carries_the_severity_of_its_direction(
    entry: deviations.Deviation,
) -> None:
    direction = direction_of(entry.documented_status, entry.observed_status)
    assert entry.severity is SEVERITY[direction], (entry.id, direction)


def test_cancel_by_write_alone_is_critical() -> None:
    (entry,) = [e for e in deviations.registry() if e.id == "DRUID-CANCEL-WRITE-SUFFICES"]
    assert entry.severity is Severity.CRITICAL


def _check(sql: str, held: tuple[str, ...], observed: int, operation: str = "submit") -> Check:
    case = Case(
        id=f"{operation}:{sql}:{len(held)}",
        operation=operation,
        sql=sql,
        permissions=tuple(Permission(name, "DATASOURCE", Action.READ) for name in held),
    )
    exchange = Exchange("POST", "/x", "u", {}, observed, {}, 0.01, 0.0)
    return Check(f"{operation} x SELECT", case, decide(case), exchange, "27.0.0")


def test_a_check_says_how_bad_its_disagreement_is() -> None:
    allowed_what_is_forbidden = _check('SELECT page FROM "wikipedia"', (), 200)
    assert allowed_what_is_forbidden.direction is Direction.OVER_PERMISSIVE
    assert allowed_what_is_forbidden.severity is Severity.CRITICAL
    assert "NEW-DEVIATION [critical, over-permissive]" in allowed_what_is_forbidden.explain()
    line = allowed_what_is_forbidden.to_json()
    assert (line["direction"], line["severity"]) == ("over-permissive", "critical")
    agreeing = _check('SELECT page FROM "wikipedia"', (), 403)
    assert agreeing.direction is None and agreeing.severity is None


def test_disagreements_of_one_rule_direction_and_status_are_one_finding() -> None:
    checks = [
        _check("SELECT page FROM \"wikipedia\" WHERE page = 'x'", (), 200),
        _check('SELECT page FROM "wikipedia"', (), 200),  # the smallest
        _check('SELECT page FROM "wikipedia" LIMIT 1', ("koalas",), 200),
        _check('SELECT page FROM "wikipedia"', ("wikipedia",), 403),  # over-restrictive
        _check('SELECT page FROM "wikipedia"', ("wikipedia",), 500),  # a server error
    ]
    found = group(c.to_json() for c in checks)
    assert [(g.direction, len(g.checks)) for g in found] == [
        ("over-permissive", 3),
        ("over-restrictive", 1),
        ("server-error", 1),
    ]
    assert found[0].example["case"]["sql"] == 'SELECT page FROM "wikipedia"'
    assert found[0].to_json()["count"] == 3
    assert found[0].headline().startswith("CRITICAL over-permissive, new: rule ")
    with pytest.raises(NewDeviation) as raised:
        assert_conforms(checks)
    message = str(raised.value)
    assert message.count("NEW-DEVIATION") == 3
    assert "... and 2 more check(s) of this finding" in message
    assert message.index("[critical") < message.index("[major")
