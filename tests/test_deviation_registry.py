"""The known-deviation registry is well formed: every entry can be matched and re-checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.oracle.dialect import parse
from conformance.oracle.profiles import PROFILES
from conformance.oracle.rules import OPERATIONS
from conformance.runner import deviations
from fixtures.errors import BadInputError

RULE_IDS = {rule.id for profile in PROFILES.values() for rule in profile.rules()}
ENTRIES = deviations.registry()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_entry_is_complete(entry: deviations.Deviation) -> None:
    assert entry.operation in OPERATIONS
    assert entry.example.operation == entry.operation
    assert set(entry.rules) <= RULE_IDS, set(entry.rules) - RULE_IDS
    assert entry.druid_versions and all(v.count(".") == 2 for v in entry.druid_versions)
    assert entry.observed.startswith("20"), "an entry says when it was observed"
    assert entry.reproduce.startswith("pytest conformance"), entry.reproduce
    assert entry.id in entry.reproduce
    assert entry.passage.strip()
    parse(entry.example.sql.replace("{out}", "some_output"))


def test_unknown_field_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[deviation]]\nid = "X"\ncolour = "red"\n')
    with pytest.raises(BadInputError, match="colour"):
        deviations.load([bad])


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    source = (deviations.REGISTRY_DIR / "druid.toml").read_text()
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(source)
    second.write_text(source)
    with pytest.raises(BadInputError, match="duplicate"):
        deviations.load([first, second])


def test_recorded_case_reads_back() -> None:
    """The history records whole cases: the oracle reads them back to the same verdict."""
    from conformance.oracle import Case, decide
    from conformance.oracle.permissions import Permission
    from conformance.runner.checks import case_to_json

    case = Case(
        id="c1",
        operation="cancel",
        sql='INSERT INTO "out" SELECT __time, page FROM "wikipedia" PARTITIONED BY DAY',
        context={"maxNumTasks": 2},
        permissions=(
            Permission.from_json({"type": "DATASOURCE", "name": "out", "action": "READ"}),
        ),
        actor_is_submitter=False,
        existing_datasources=frozenset({"wikipedia"}),
    )
    again = Case.from_json(case_to_json(case))
    assert again == case
    assert decide(again).to_json() == decide(case).to_json()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_an_entry_needing_settings_names_them_in_its_reproduction(
    entry: deviations.Deviation,
) -> None:
    for key, value in entry.settings.items():
        assert f"--druid-setting {key}={str(value).lower()}" in entry.reproduce


def test_an_entry_explains_only_checks_made_under_the_settings_it_needs() -> None:
    (entry,) = [e for e in ENTRIES if e.id == "DRUID-CONTEXT-AUTH-QUERYID"]
    assert entry.applies_under({"authorizeQueryContextParams": True})
    assert not entry.applies_under({})
    assert not entry.applies_under({"authorizeQueryContextParams": False})


def test_submitter_workarounds_follow_version_and_settings() -> None:
    secured = {"authorizeQueryContextParams": True}
    held = deviations.submitter_workarounds("27.0.0", secured)
    assert [(w.resource.type, w.resource.name, w.action.value) for w in held] == [
        ("QUERY_CONTEXT", "queryId", "WRITE")
    ]
    assert deviations.submitter_workarounds("27.0.0", {}) == ()
    assert deviations.submitter_workarounds("99.0.0", secured) == ()


def test_a_bad_submitter_workaround_is_rejected(tmp_path: Path) -> None:
    source = (deviations.REGISTRY_DIR / "druid.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        source.replace(
            'action = "WRITE" }]\n\n[deviation.when]', 'action = "SHOUT" }]\n\n[deviation.when]'
        )
    )
    assert bad.read_text() != source
    with pytest.raises(BadInputError, match="submitter_workaround"):
        deviations.load([bad])
