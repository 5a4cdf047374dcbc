"""``druid-conformance replay RUN_DIR [--case ID]``: ask Druid a recorded disagreement again.

For each recorded disagreement (new deviations and known ones, or the cases named) it makes
fresh users holding the recorded permissions, submits the recorded statement (as a submitter
granted what submitting requires, when the actor did not submit), performs the operation as the
actor, and judges the answer with the current oracle and deviation registry. It prints

- FIXED: Druid now answers as documented (only that: a registry change fixes nothing),
- KNOWN: Druid still disagrees, and a known deviation explains it (also when the run recorded
  a new deviation that a registry entry added since explains),
- FAILED: Druid disagrees and nothing explains it,
- UNDECIDED: the current oracle does not decide the question (documented SQL it does not model),
- ERROR: the question could not be asked (infrastructure); never a verdict.

It exits 1 when any is FAILED (also if another is an ERROR: a finding is never hidden), else 16
when any is an ERROR, else 0.

The exchanges go to ``RUN_DIR/replay-<time>.jsonl``, passwords redacted.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from conformance.cli.target import add_options, cluster_for
from conformance.exit_codes import ExitCode
from conformance.oracle import CaseError, decide
from conformance.oracle.profiles import runtime_properties
from conformance.runner import deviations
from conformance.runner.checks import Check, Outcome
from conformance.runner.replay_plan import NEEDS_FINISHED, ReplayPlan, plan
from fixtures.client import Credentials, DruidClient, Exchange
from fixtures.cluster import Cluster
from fixtures.errors import SetupError
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin
from fixtures.seed import create_seeds, wait_for_task
from reports import records
from reports.history import History

FINISH_TIMEOUT = 180.0
WORDS = ("FIXED", "KNOWN", "FAILED", "UNDECIDED", "ERROR")


@dataclass(frozen=True)
class Result:
    word: str  # one of WORDS
    case_id: str
    cell: str
    detail: str

    def __str__(self) -> str:
        return f"{self.word} {self.case_id} ({self.cell}): {self.detail}"


def disagreements(run: records.RecordedRun, case_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The named cases, or every recorded check that disagreed with the documentation."""
    if case_ids:
        return [run.find(case_id) for case_id in case_ids]
    return [c for c in run.checks if c["outcome"] != Outcome.AGREES.value]


def classify(recorded: Mapping[str, Any], now: Check) -> Result:
    """The word for a replayed check: by what Druid answers now, never by the registry alone."""
    case_id, cell = str(recorded["case"]["id"]), str(recorded["cell"])
    answer = f"documented {now.verdict.status}, Druid answered {now.exchange.status}"
    if now.outcome is Outcome.UNDECIDED:
        return Result(
            "UNDECIDED", case_id, cell, f"the oracle does not decide: {now.verdict.reason}"
        )
    if now.outcome is Outcome.AGREES:
        return Result("FIXED", case_id, cell, f"{answer}: agrees with the documentation")
    ranked = f" [{now.severity.value}, {now.direction}]" if now.severity else ""
    if now.outcome is Outcome.KNOWN_DEVIATION:
        was = " (recorded as a new deviation)" if recorded["outcome"] == "new-deviation" else ""
        detail = f"{answer}: known deviation {now.deviation_id}{was}{ranked}"
        return Result("KNOWN", case_id, cell, detail)
    return Result("FAILED", case_id, cell, f"{answer}: a new deviation{ranked}")


def recorded_properties(checks: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The runtime properties of the settings the recorded cases were judged with, so that a
    cluster started for the replay is configured as the run said its cluster was."""
    properties: dict[str, str] = {}
    for check in checks:
        properties.update(runtime_properties(check["case"].get("settings") or {}))
    return properties


class Replayer:
    """Asks one cluster the recorded questions again, each with users made for it."""

    def __init__(self, cluster: Cluster, history: History) -> None:
        self.cluster = cluster
        self.history = history
        history.secret(cluster.admin.password)
        recorder = history.record
        self.router = DruidClient(cluster.router_url, None, recorder=recorder)
        self.admin = self.router.as_user(cluster.admin)
        self.security = SecurityAdmin(
            DruidClient(cluster.coordinator_url, cluster.admin, recorder=recorder)
        )
        self.tag = secrets.token_hex(3)
        create_seeds(self.admin)  # the recorded statements read the seed datasources
        self.barrier = PropagationBarrier(self.security, self.router, f"replay{self.tag}")
        self._numbers = iter(range(1, 10**9))

    def _credentials(self, role: str, login: tuple[str, ...] = ()) -> Credentials:
        name = f"replay_{self.tag}_{next(self._numbers)}_{role}"
        shaped = Credentials(name, secrets.token_urlsafe(12)).with_traits(login)
        self.history.secret(shaped.password, shaped.user)
        return shaped

    @contextmanager
    def users(
        self, grants: Mapping[str, tuple[Grant, ...]], login: tuple[str, ...] = ()
    ) -> Iterator[dict[str, Credentials]]:
        """Users made for one question (``actor``, maybe ``submitter``), each with a role of its
        grants; the actor's login shaped as ``login`` says. Removed afterwards."""
        made: dict[str, Credentials] = {}
        try:
            for role, held in grants.items():
                credentials = self._credentials(role, login if role == "actor" else ())
                self.security.create_user(credentials)
                made[role] = credentials
                self.security.create_role(f"{credentials.user}_role", held)
                self.security.assign(credentials.user, f"{credentials.user}_role")
            self.barrier.wait()
            yield made
        finally:
            for credentials in made.values():
                self.security.delete_role(f"{credentials.user}_role")
                self.security.delete_user(credentials.user)

    def ask(self, the_plan: ReplayPlan, run_id: str) -> Check:
        """Provision, submit, perform; the answer judged by the current oracle and registry."""
        grants = {"actor": the_plan.actor_grants}
        if the_plan.submitter_grants is not None:
            grants["submitter"] = the_plan.submitter_grants
        with self.users(grants, the_plan.login) as made:
            sent = self._login(the_plan, made["actor"])
            exchange = self._perform(the_plan, made, sent)
        case = the_plan.replayed_case(f"replay-{run_id}-{self.tag}-{next(self._numbers)}")
        label = f"replay {the_plan.operation}"
        login = sent.traits() if sent is not None else ()
        check = Check(label, case, decide(case), exchange, self.cluster.druid_version, None, login)
        return replace(check, deviation_id=deviations.explain(check))

    def _login(self, the_plan: ReplayPlan, actor: Credentials) -> Credentials | None:
        if the_plan.anonymous:
            return None
        if not the_plan.case.authenticated:
            return Credentials(actor.user, "not-" + actor.password)
        return actor

    def _perform(
        self, the_plan: ReplayPlan, made: Mapping[str, Credentials], sent: Credentials | None
    ) -> Exchange:
        actor = self.router.as_user(sent)
        if the_plan.per_datasource and not the_plan.case.task_exists:
            # no task of the datasource runs: submit nothing, ask about the datasource alone
            return actor.request(the_plan.endpoint.method, the_plan.path(""))
        submitter = self.router.as_user(made.get("submitter", made["actor"]))
        body = the_plan.submit_body()
        sender = actor if the_plan.submits_only else submitter
        answer = sender.request(the_plan.submit.method, the_plan.submit.path, body)
        query_id = _query_id(answer, the_plan.id_key)
        try:
            if the_plan.submits_only:
                return answer
            if query_id is None:
                raise SetupError(f"the submitter's submit answered {answer.status}: {answer.body}")
            if the_plan.operation in NEEDS_FINISHED:
                wait_for_task(self.admin, query_id, FINISH_TIMEOUT)
            target = query_id if the_plan.case.task_exists else f"replay-no-such-task-{self.tag}"
            return actor.request(the_plan.endpoint.method, the_plan.path(quote(target, safe="")))
        finally:
            if query_id is not None:  # never leave a task holding slots
                self.admin.cancel_task(query_id)


def _query_id(answer: Exchange, key: str) -> str | None:
    if answer.status // 100 != 2 or not isinstance(answer.body, dict):
        return None
    value = answer.body.get(key)
    return str(value) if value else None


def replay_one(replayer: Replayer, run: records.RecordedRun, check: dict[str, Any]) -> Result:
    case_id, cell = str(check["case"]["id"]), str(check["cell"])
    try:
        the_plan = plan(check, run.exchange_of(check))
        return classify(check, replayer.ask(the_plan, run.id))
    except CaseError as error:
        return Result("ERROR", case_id, cell, f"cannot replay: {error}")
    except SetupError as error:
        return Result("ERROR", case_id, cell, str(error))


def exit_code(results: Sequence[Result]) -> int:
    """1 when any is FAILED (a finding outranks an error), else 16 for an ERROR, else 0."""
    words = {r.word for r in results}
    if "FAILED" in words:
        return int(ExitCode.NEW_DEVIATIONS)
    return int(ExitCode.INFRASTRUCTURE) if "ERROR" in words else 0


def handle(args: argparse.Namespace) -> int:
    run = records.load(Path(args.run_dir))
    targets = disagreements(run, args.case or [])
    if not targets:
        print(f"{run.id}: nothing to replay (no recorded disagreement)")
        return 0
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    history = History(run.dir / f"replay-{stamp}.jsonl")
    results: list[Result] = []
    try:
        logs = run.dir / f"replay-{stamp}-druid-logs"
        with cluster_for(args, f"replay-{run.id}", logs, recorded_properties(targets)) as c:
            replayer = Replayer(c, history)
            for check in targets:
                result = replay_one(replayer, run, check)
                results.append(result)
                print(result, flush=True)
    finally:
        history.close()
    print(f"{run.id}: replayed {len(results)}: " + _tally(results) + f" ({history.path})")
    return exit_code(results)


def _tally(results: Sequence[Result]) -> str:
    return ", ".join(f"{sum(r.word == w for r in results)} {w}" for w in WORDS)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="ask Druid a run's recorded disagreements again: FIXED, KNOWN, FAILED, UNDECIDED "
        "or ERROR each",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a reports/<run-id> directory")
    parser.add_argument(
        "--case",
        action="append",
        metavar="ID",
        help="replay this case id (repeatable); default: every recorded disagreement",
    )
    add_options(parser)
    parser.set_defaults(handler=handle)
