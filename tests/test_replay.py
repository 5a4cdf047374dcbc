"""replay's choice of checks, its FIXED / KNOWN / FAILED / UNDECIDED / ERROR words and exit
codes (no Druid)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.cli import replay
from conformance.runner import deviations
from conformance.runner.checks import Check
from reports import records
from tests.recorded_runs import RUN_ID, make_run


def _now(run: records.RecordedRun, case_id: str, observed: int) -> Check:
    """The recorded check judged again as if Druid had now answered ``observed``."""
    recorded = run.find(case_id)
    judged = records.rejudge(run, recorded)
    exchange = replace(judged.exchange, status=observed)
    check = Check(judged.label, judged.case, judged.verdict, exchange, judged.druid_version)
    return replace(check, deviation_id=deviations.explain(check))


def test_replays_every_disagreement_by_default(tmp_path: Path) -> None:
    run = records.load(make_run(tmp_path))
    chosen = [c["case"]["id"] for c in replay.disagreements(run, [])]
    assert chosen == [f"{RUN_ID}-3", f"{RUN_ID}-4"]
    assert [c["case"]["id"] for c in replay.disagreements(run, [f"{RUN_ID}-1"])] == [f"{RUN_ID}-1"]


def test_a_new_deviation_answered_as_documented_is_fixed(tmp_path: Path) -> None:
    run = records.load(make_run(tmp_path))
    result = replay.classify(run.find(f"{RUN_ID}-4"), _now(run, f"{RUN_ID}-4", 403))
    assert result.word == "FIXED" and "agrees" in result.detail


def test_a_deviation_that_persists_fails(tmp_path: Path) -> None:
    run = records.load(make_run(tmp_path))
    result = replay.classify(run.find(f"{RUN_ID}-4"), _now(run, f"{RUN_ID}-4", 200))
    assert result.word == "FAILED" and "new deviation" in result.detail


def test_a_new_deviation_the_registry_now_explains_is_known_not_fixed(tmp_path: Path) -> None:
    """Only the registry changed: Druid still answers otherwise than documented."""
    run = records.load(make_run(tmp_path))
    recorded = {**run.find(f"{RUN_ID}-3"), "outcome": "new-deviation", "deviation": None}
    now = records.rejudge(run, recorded)  # the registry explains it today
    result = replay.classify(recorded, now)
    assert result.word == "KNOWN", result
    assert "known deviation DRUID-CANCEL-NEEDS-WRITE (recorded as a new deviation)" in str(result)
    assert "[major, over-restrictive]" in result.detail


def test_a_known_deviation_that_persists_is_known(tmp_path: Path) -> None:
    run = records.load(make_run(tmp_path))
    result = replay.classify(run.find(f"{RUN_ID}-3"), _now(run, f"{RUN_ID}-3", 403))
    assert result.word == "KNOWN" and "recorded as" not in result.detail
    fixed = replay.classify(run.find(f"{RUN_ID}-3"), _now(run, f"{RUN_ID}-3", 200))
    assert fixed.word == "FIXED"


def test_exit_codes() -> None:
    fixed = replay.Result("FIXED", "a", "c", "")
    failed = replay.Result("FAILED", "b", "c", "")
    error = replay.Result("ERROR", "c", "c", "")
    known = replay.Result("KNOWN", "d", "c", "")
    undecided = replay.Result("UNDECIDED", "e", "c", "")
    assert replay.exit_code([fixed]) == 0
    assert replay.exit_code([fixed, known, undecided]) == 0
    assert replay.exit_code([fixed, failed]) == 1
    assert replay.exit_code([failed, error]) == 1, "a finding is never hidden by an error"
    assert replay.exit_code([known, error]) == 16


def test_a_cluster_started_for_a_replay_gets_the_recorded_settings() -> None:
    from conformance.cli.replay import recorded_properties

    checks: list[dict[str, Any]] = [
        {"case": {"settings": {"authorizeQueryContextParams": True}}},
        {"case": {}},
    ]
    assert recorded_properties(checks) == {"druid.auth.authorizeQueryContextParams": "true"}


def test_a_recorded_logins_traits_are_judged_again_with_it(tmp_path: Path) -> None:
    """``analyze`` reads a check's credentials traits back: the registry entry about them
    explains the recorded 401, and the same 401 without them stays new."""
    from conformance.oracle import Case
    from conformance.runner.checks import case_to_json

    run = records.load(make_run(tmp_path))
    case = Case(id=f"{RUN_ID}-99", operation="submit", sql="SELECT 1", permissions=())
    recorded: dict[str, Any] = {
        **run.find(f"{RUN_ID}-1"),
        "label": "submit (a password from a public report)",
        "case": case_to_json(case),
        "observed_status": 401,
        "exchange_seq": None,
        "login": ["password-with-colon"],
    }
    colon = records.rejudge(run, recorded)
    assert colon.login == ("password-with-colon",)
    assert colon.deviation_id == "DRUID-BASIC-COLON-PASSWORD"
    plain = records.rejudge(run, {k: v for k, v in recorded.items() if k != "login"})
    assert plain.deviation_id is None and plain.outcome.value == "new-deviation"


def test_a_replay_plan_keeps_the_recorded_login_and_refuses_an_unknown_trait(
    tmp_path: Path,
) -> None:
    import pytest

    from conformance.oracle import CaseError
    from conformance.runner.replay_plan import plan

    run = records.load(make_run(tmp_path))
    recorded = dict(run.find(f"{RUN_ID}-1"))
    assert plan(recorded).login == ()
    assert plan({**recorded, "login": ["password-with-colon"]}).login == ("password-with-colon",)
    with pytest.raises(CaseError, match="unknown login trait"):
        plan({**recorded, "login": ["password-of-the-future"]})


def test_the_replayed_actor_logs_in_with_the_recorded_shape() -> None:
    """The replayer's actor has the recorded traits (so the registry entry about them can
    explain the answer again); its submitter, and an actor of a plain login, have none."""

    class Secrets:
        def __init__(self) -> None:
            self.kept: list[str] = []

        def secret(self, value: str, user: str | None = None) -> None:
            self.kept.append(value)

    replayer = replay.Replayer.__new__(replay.Replayer)
    replayer.history = Secrets()  # type: ignore[assignment]
    replayer.tag, replayer._numbers = "abc", iter(range(1, 10))
    traits = ("non-ascii-user", "password-with-colon")
    actor = replayer._credentials("actor", traits)
    assert actor.traits() == traits
    assert replayer._credentials("submitter").traits() == ()
    assert actor.password in replayer.history.kept  # type: ignore[attr-defined]
