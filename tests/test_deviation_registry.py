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
    # the command names the entry, or the test that re-checks it (rechecked_by)
    assert entry.id in entry.reproduce or (entry.rechecked_by or entry.id) in entry.reproduce
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
        ("QUERY_CONTEXT", "queryId", "WRITE"),
        ("QUERY_CONTEXT", "executionMode", "WRITE"),
    ]
    assert deviations.submitter_workarounds("27.0.0", {}) == ()
    assert deviations.submitter_workarounds("26.0.0", secured) == ()  # before its range
    assert deviations.submitter_workarounds("99.0.0", secured) == ()  # never seen there


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


def _entry_with(tmp_path: Path, range_line: str) -> deviations.Deviation:
    source = (deviations.REGISTRY_DIR / "druid.toml").read_text()
    first = source.split("[[deviation]]")[1]
    lines = [line for line in first.splitlines() if not line.startswith("range =")]
    text = "[[deviation]]\n" + "\n".join(lines).replace(
        'druid_versions = ["27.0.0"]', f'druid_versions = ["27.0.0"]\n{range_line}', 1
    )
    path = tmp_path / "one.toml"
    path.write_text(text)
    (entry,) = deviations.load([path])
    return entry


def test_an_entry_without_a_range_covers_the_releases_it_was_observed_on(tmp_path: Path) -> None:
    entry = _entry_with(tmp_path, "")
    assert entry.range is None
    assert entry.applies_to("27.0.0")
    assert not entry.applies_to("28.0.0") and not entry.applies_to("26.0.0")


@pytest.mark.parametrize(
    ("version", "covered"),
    [
        ("26.0.0", False),
        ("27.0.0", True),
        ("27.0.1", True),
        ("29.0.0-SNAPSHOT", True),
        ("30.0.0", False),  # fixed there
        ("31.0.0", False),
        ("2022.06", False),  # a vendor's number before 27: not in the range
        ("unknown", False),
    ],
)
def test_an_entry_covers_its_range_up_to_the_release_that_fixed_it(
    tmp_path: Path, version: str, covered: bool
) -> None:
    line = 'range = { first_observed = "27.0.0", last_confirmed = "28.0.0", fixed_in = "30.0.0" }'
    entry = _entry_with(tmp_path, line)
    assert entry.applies_to(version) is covered
    assert entry.range is not None and entry.range.confirmed("28.0.0")
    assert not entry.range.confirmed("29.0.0")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('range = { first_observed = "27.0.0" }', "missing 'last_confirmed'"),
        ('range = { first_observed = "28.0.0", last_confirmed = "27.0.0" }', "first_observed <="),
        (
            'range = { first_observed = "27.0.0", last_confirmed = "28.0.0", fixed_in = "28.0.0" }',
            "< fixed_in",
        ),
        ('range = { first_observed = "27.0.0", last_confirmed = "27.0.0", until = "x" }', "until"),
        ('range = { first_observed = "latest", last_confirmed = "27.0.0" }', "not a release"),
    ],
)
def test_a_bad_range_is_one_clear_error(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        _entry_with(tmp_path, line)


def test_without_a_fix_an_entry_covers_up_to_the_last_release_that_confirmed_it(
    tmp_path: Path,
) -> None:
    """A later release is not assumed to share a deviation: no observation says so."""
    entry = _entry_with(
        tmp_path, 'range = { first_observed = "27.0.0", last_confirmed = "29.0.0" }'
    )
    assert entry.applies_to("28.0.0") and entry.applies_to("29.0.0")
    assert not entry.applies_to("29.0.1") and not entry.applies_to("30.0.0")


def test_the_registry_covers_only_what_was_observed() -> None:
    for entry in ENTRIES:
        assert entry.range is not None, entry.id
        assert entry.range.last_confirmed in entry.druid_versions, entry.id
        assert not entry.applies_to("26.0.0"), "nothing was observed before 27.0.0"
        assert not entry.applies_to("28.0.0"), "nothing was observed after 27.0.0"


def _colon_check(password: str, status: int) -> object:
    from conformance.oracle import Case, decide
    from conformance.runner.checks import Check
    from fixtures.client import Credentials, Exchange

    case = Case(id="c1", operation="submit", sql="SELECT 1", permissions=())
    login = Credentials("someone", password).traits()
    exchange = Exchange("POST", "/druid/v2/sql/task", "someone", None, status, "", 0.0, 0.0, 1)
    return Check("submit (a password)", case, decide(case), exchange, "27.0.0", login=login)


def test_a_login_condition_explains_only_checks_whose_credentials_had_that_shape() -> None:
    from conformance.runner.checks import Check

    (entry,) = [e for e in ENTRIES if e.id == "DRUID-BASIC-COLON-PASSWORD"]
    colon = _colon_check("pa:ss", 401)
    plain = _colon_check("plain-password", 401)
    assert isinstance(colon, Check) and isinstance(plain, Check)
    assert colon.login == ("password-with-colon",) and plain.login == ()
    assert entry.matches(colon)
    assert deviations.explain(colon) == entry.id
    # the same 401 for a password without a colon is no known deviation: it is new
    assert not entry.matches(plain) and deviations.explain(plain) is None
    assert entry.example.submitter_password is not None
    assert ":" in entry.example.submitter_password
    assert colon.to_json()["login"] == ["password-with-colon"]
    assert "login" not in plain.to_json()  # histories without such logins do not change


@pytest.mark.parametrize(
    ("user", "password", "traits"),
    [
        ("alice", "secret", ()),
        ("alice", "pa:ss", ("password-with-colon",)),
        ("üser", "pässwörd", ("non-ascii-password", "non-ascii-user")),
        ("alice", ":", ("password-with-colon",)),
    ],
)
def test_credentials_traits_name_the_shape_never_the_content(
    user: str, password: str, traits: tuple[str, ...]
) -> None:
    from fixtures.client import Credentials

    found = Credentials(user, password).traits()
    assert found == traits
    assert not any(password in trait or user in trait for trait in found)


def test_a_request_condition_explains_only_checks_built_with_that_trait() -> None:
    """DRUID-SQLQUERYID-IN-USE-500 explains a 500 only for a submit whose sqlQueryId another
    user's running query has (``Check.traits``); the same 500 otherwise is new."""
    import dataclasses

    from conformance.oracle import Case, decide
    from conformance.runner.checks import Check
    from fixtures.client import Exchange

    (entry,) = [e for e in ENTRIES if e.id == "DRUID-SQLQUERYID-IN-USE-500"]
    case = Case(
        id="c1", operation="submit", sql="SELECT 1", permissions=(), context={"sqlQueryId": "x"}
    )
    exchange = Exchange("POST", "/druid/v2/sql/task", "u", None, 500, {}, 0.0, 0.0, 1)
    plain = Check("submit", case, decide(case), exchange, "27.0.0")
    in_use = dataclasses.replace(plain, traits=("sqlQueryId-in-use",))
    assert deviations.explain(in_use) == entry.id
    assert deviations.explain(plain) is None
    assert in_use.to_json()["traits"] == ["sqlQueryId-in-use"]
    assert "traits" not in plain.to_json()


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.rechecked_by], ids=lambda e: e.id)
def test_an_entry_rechecked_elsewhere_names_a_test_that_exists(
    entry: deviations.Deviation,
) -> None:
    assert entry.rechecked_by is not None
    path, _, name = entry.rechecked_by.partition("::")
    source = (Path(__file__).resolve().parents[1] / path).read_text(encoding="utf-8")
    assert f"def {name}(" in source


def test_workarounds_for_one_api_are_that_apis_only() -> None:
    secured = {"authorizeQueryContextParams": True}

    def names(operation: str) -> list[str]:
        held = deviations.submitter_workarounds("27.0.0", secured, operation=operation)
        return [w.resource.name for w in held]

    assert names("submit") == ["queryId"]
    assert sorted(names("statements.submit")) == ["executionMode", "queryId"]
