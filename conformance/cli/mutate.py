"""``druid-conformance mutate``: run the suite against deliberately broken authorizers.

Builds (once) the image ``druid-conformance/druid:<version>-mutants``, the release's image with
the suite's mutants extension (``mutants/``, see ``fixtures/mutants.py``), starts one cluster
from it, and runs ``pytest conformance -x`` against it once with no mutant (the baseline: it
must pass) and once per mutant, switching the active mutant between runs without a restart.
Prints the kill matrix, mutant x the test and minimal example that caught it, and the
survivors, and writes it to ``<reports-dir>/mutation-<id>/mutation.{json,txt}`` next to each
run's own reports (``runs/<mutant>/<run-id>/``) and pytest's output (``runs/<mutant>.log``).
Arguments after ``--`` go to every pytest run (e.g. ``-- -k test_cell``).

Exit 0 when every mutant was killed, 1 when one survived, 16 when a mutant's run ended in an
error (and none survived) or the baseline did not pass, 15 for bad input, 10-12 when Docker,
the image or the cluster fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import conformance
from conformance.cli.child import run_interruptibly
from conformance.exit_codes import ExitCode
from conformance.oracle.profiles import runtime_properties
from fixtures import mutants, options
from fixtures.cluster import ContainerCluster
from fixtures.engine import check_docker_host, check_state_dir, ensure_engine
from fixtures.errors import BadInputError, InfrastructureError
from fixtures.progress import say
from fixtures.releases import default_version
from reports import mutation

SUITE_DIR = Path(conformance.__file__).parent
# Options mutate gives every pytest run itself; given after -- they would contradict it.
OWN_OPTIONS = (
    "--druid-url",
    "--druid-coordinator-url",
    "--druid-version",
    "--druid-image",
    "--druid-distribution",
    "--druid-setting",
    "--reports-dir",
    "--junitxml",
)
# After Ctrl-C, how long a pytest run may take to remove its users and roles.
BASELINE = mutants.Mutant(mutants.NONE, "baseline", "-", None, "none: druid-basic-security itself")


def required_settings(items: list[str], chosen: tuple[mutants.Mutant, ...]) -> list[str]:
    """The ``--druid-setting`` items of every run: the ones given, then each setting a chosen
    mutant needs to be reachable that was not given. BadInputError when a given item says
    otherwise than a mutant needs."""
    from conformance.cluster_settings import from_items

    given = from_items(items)
    result = list(items)
    for mutant in chosen:
        if mutant.requires is None:
            continue
        needed = from_items([mutant.requires])
        for key, value in needed.items():
            if key not in given:
                given[key] = value
                result.append(mutant.requires)
            elif given[key] != value:
                raise BadInputError(
                    f"mutant {mutant.name} needs --druid-setting {mutant.requires}, but "
                    f"{key}={given[key]} was given (leave out the mutant or the setting)"
                )
    return result


def check_pytest_args(pytest_args: list[str]) -> None:
    """Refuse an option after ``--`` that mutate sets itself (BadInputError)."""
    for arg in pytest_args:
        for own in OWN_OPTIONS:
            if arg == own or arg.startswith(own + "="):
                raise BadInputError(
                    f"{own} after -- : mutate gives every pytest run its own "
                    "(use mutate's --druid-version, --druid-setting, --reports-dir)"
                )


def _names_a_path(pytest_args: list[str]) -> bool:
    return any(Path(arg.split("::")[0]).exists() for arg in pytest_args if not arg.startswith("-"))


def pytest_command(
    pytest_args: list[str], settings: list[str], url: str, reports_dir: Path
) -> list[str]:
    """``pytest conformance -x`` (or the paths named after ``--``) against ``url``."""
    paths = [] if _names_a_path(pytest_args) else [str(SUITE_DIR)]
    command = [sys.executable, "-m", "pytest", *paths, "-x", "-p", "no:cacheprovider"]
    command += ["--druid-url", url, "--reports-dir", str(reports_dir)]
    for item in settings:
        command += ["--druid-setting", item]
    return [*command, *pytest_args]


def run_pytest(command: list[str], env: dict[str, str], log: Path) -> int:
    """Run one pytest, its output to ``log``; its exit status. On Ctrl-C (which pytest gets as
    well) wait for it to remove what it made, then raise KeyboardInterrupt."""
    with log.open("wb") as out:
        return run_interruptibly(command, env=env, output=out)


def run_one(
    cluster: ContainerCluster,
    mutant: mutants.Mutant,
    pytest_args: list[str],
    settings: list[str],
    runs: Path,
) -> mutation.MutantResult:
    """Switch ``cluster`` to ``mutant`` (``none`` for the baseline), run the suite against it
    and read what the run came to."""
    mutants.switch(cluster, mutant.name)
    reports_dir = runs / mutant.name
    reports_dir.mkdir(parents=True, exist_ok=True)
    log = runs / f"{mutant.name}.log"
    env = {
        **os.environ,
        "DRUID_ADMIN_USER": cluster.admin.user,
        "DRUID_ADMIN_PASSWORD": cluster.admin.password,
    }
    command = pytest_command(pytest_args, settings, cluster.router_url, reports_dir)
    say(f"mutant {mutant.name}: running the suite (output: {log})")
    started = time.monotonic()
    code = run_pytest(command, env, log)
    seconds = time.monotonic() - started
    outcome = mutation.read_run(reports_dir, code)
    return mutation.MutantResult(mutant.name, mutant.kind, mutant.bug, seconds, outcome)


def _check_baseline(result: mutation.MutantResult, log: Path) -> None:
    outcome = result.outcome
    if outcome.exit_status == 0:
        return
    if outcome.exit_status == 5:
        raise BadInputError("the pytest arguments after -- select no test (pytest exit 5)")
    if outcome.exit_status == 4:
        raise BadInputError(f"pytest refused its arguments (exit 4; its output: {log})")
    if outcome.exit_status == int(ExitCode.NEW_DEVIATIONS):
        caught = outcome.failure.test if outcome.failure is not None else "a test"
        found = f": {outcome.example.describe()}" if outcome.example is not None else ""
        why = f"{caught} failed{found}"
    else:
        why = outcome.errors[0] if outcome.errors else outcome.meaning
    raise InfrastructureError(
        f"the baseline run without a mutant did not pass (exit {outcome.exit_status}): {why}; "
        f"a mutant is judged against a suite that passes on druid-basic-security itself "
        f"(run: {outcome.run_dir or log})"
    )


def handle(args: argparse.Namespace) -> int:
    from conformance.cluster_settings import from_items
    from fixtures.cluster import start_container_cluster
    from fixtures.seed import create_seeds

    chosen = mutants.select(args.mutant)
    settings = required_settings(args.druid_setting, chosen)
    properties = {**runtime_properties(from_items(settings)), **mutants.CLUSTER_PROPERTIES}
    pytest_args = list(args.pytest_args or [])
    check_pytest_args(pytest_args)
    reports_root = options.writable_dir("--reports-dir", args.reports_dir)
    check_state_dir()
    check_docker_host()
    version = args.druid_version or default_version()
    ensure_engine()
    image = mutants.build_mutant_image(version)
    campaign = reports_root / f"mutation-{_campaign_id()}"
    runs = campaign / "runs"
    say(f"mutation testing: {len(chosen)} mutants, reports in {campaign}")
    cluster = start_container_cluster(
        image.tag,
        version,
        campaign.name,
        campaign / "druid-logs",
        timeout=args.druid_startup_timeout,
        properties=properties,
    )
    matrix: mutation.Matrix | None = None
    try:
        # made once, before any run: a run uses seeds it finds as they are and removes only
        # what it made, so no run spends its first two minutes seeding and its last dropping
        create_seeds(cluster.client(cluster.admin))
        baseline = run_one(cluster, BASELINE, pytest_args, settings, runs)
        _check_baseline(baseline, runs / f"{BASELINE.name}.log")
        say(f"baseline passed ({baseline.outcome.checks} checks, {baseline.seconds:.0f} s)")
        matrix = mutation.Matrix(
            cluster.druid_version,
            image.tag,
            tuple(pytest_args),
            from_items(settings),
            baseline,
        )
        for number, mutant in enumerate(chosen, 1):
            result = run_one(cluster, mutant, pytest_args, settings, runs)
            matrix = matrix.with_result(result)
            caught = result.outcome.failure.test if result.outcome.failure else ""
            say(
                f"mutant {number}/{len(chosen)} {mutant.name}: {result.status.upper()} "
                f"{caught} in {result.seconds:.0f} s ({mutation.summary_line(matrix.results)})"
            )
            cluster.check_alive()  # a dead cluster would make every later mutant an error
    finally:
        if matrix is not None and matrix.results:  # what was measured, also when interrupted
            mutation.write(campaign, matrix)
        cluster.save_logs(campaign / "druid-logs")
        cluster.stop()
    assert matrix is not None  # the baseline passed, or an error was raised
    json_path, text_path = mutation.write(campaign, matrix)
    print("\n".join(mutation.text_lines(matrix)))
    print(f"kill matrix: {json_path} and {text_path}")
    print(f"exit {matrix.exit_status}: {mutation.EXIT_MEANINGS[matrix.exit_status]}")
    return matrix.exit_status


def _campaign_id() -> str:
    from conformance.runner.run import new_run_id

    return new_run_id()


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    names = ", ".join(m.name for m in _listed())
    parser = subparsers.add_parser(
        "mutate",
        help="mutation testing: run the suite against deliberately broken authorizers and "
        "print the kill matrix",
        description=(__doc__ or "").split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument(
        "--mutant",
        action="append",
        metavar="NAME",
        help=f"a mutant to run (repeatable; default: every one): {names}",
    )
    parser.add_argument(
        "--druid-version",
        type=options.argument(options.druid_version, "--druid-version"),
        help=f"the release to build the mutants against and start (default {default_version()})",
    )
    parser.add_argument(
        "--druid-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a cluster setting for the cluster and every run (repeatable); a mutant that needs "
        "one (context-key-unchecked: authorizeQueryContextParams=true) adds it",
    )
    parser.add_argument(
        "--druid-startup-timeout",
        type=options.argument(options.seconds, "--druid-startup-timeout"),
        default=600.0,
        help="seconds to wait for the cluster to become ready (default 600)",
    )
    parser.add_argument(
        "--reports-dir", default="reports", help="where mutation-<id>/ is written (./reports)"
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to every pytest run")
    parser.set_defaults(handler=handle)


def _listed() -> tuple[mutants.Mutant, ...]:
    """The mutants for --help; none when the list cannot be read (said when mutate runs)."""
    try:
        return mutants.mutants()
    except BadInputError:
        return ()
