"""``druid-conformance mutate``: run the suite against deliberately broken authorizers.

Builds (once) the image ``druid-conformance/druid:<version>-mutants``, the release's image with
the suite's mutants extension (``mutants/``, see ``fixtures/mutants.py``), starts a cluster
from it, and runs ``pytest conformance -x`` against it once with no mutant (the baseline: it
must pass) and once per mutant, switching the active mutant between runs without a restart. A
mutant that needs a setting (``context-key-unchecked``: ``authorizeQueryContextParams=true``)
runs in a cluster of its own with it, after the others, which run with Druid's defaults: a
setting changes what Druid answers everywhere and would hide other mutants.
Prints the kill matrix, mutant x the test and minimal example that caught it, and the
survivors, and writes it to ``<reports-dir>/mutation-<id>/mutation.{json,txt}`` next to each
run's own reports (``runs/<mutant>/<run-id>/``) and pytest's output (``runs/<mutant>.log``);
with several clusters, one such directory per cluster (``defaults/``,
``authorizeQueryContextParams=true/``).
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
from fixtures.image import BuiltImage
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


def setting_groups(
    items: list[str], chosen: tuple[mutants.Mutant, ...]
) -> list[tuple[list[str], tuple[mutants.Mutant, ...]]]:
    """The chosen mutants by the cluster settings their runs need, each group with its
    ``--druid-setting`` items: the given ones for the mutants that need none (first), then one
    group per setting a mutant needs, the given ones plus it. A setting changes what Druid
    answers everywhere (with context authorization on, Druid 27 refuses every submit without
    WRITE on queryId), so a mutant that does not need it is not judged under it: that would hide
    it. BadInputError as ``required_settings``."""
    by_need: dict[str | None, list[mutants.Mutant]] = {}
    for mutant in chosen:
        by_need.setdefault(mutant.requires, []).append(mutant)
    ordered = sorted(by_need, key=lambda need: (need is not None, need or ""))
    groups: dict[tuple[str, ...], list[mutants.Mutant]] = {}  # one cluster per settings
    for need in ordered:
        settings = tuple(required_settings(items, tuple(by_need[need])))
        groups.setdefault(settings, []).extend(by_need[need])
    return [(list(settings), tuple(members)) for settings, members in groups.items()]


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
    chosen = mutants.select(args.mutant)
    groups = setting_groups(args.druid_setting, chosen)
    pytest_args = list(args.pytest_args or [])
    check_pytest_args(pytest_args)
    reports_root = options.writable_dir("--reports-dir", args.reports_dir)
    check_state_dir()
    check_docker_host()
    version = args.druid_version or default_version()
    ensure_engine()
    image = mutants.build_mutant_image(version)
    campaign = reports_root / f"mutation-{_campaign_id()}"
    say(
        f"mutation testing: {len(chosen)} mutants in {len(groups)} cluster(s) by the settings "
        f"they need, reports in {campaign}"
    )
    wheres = [campaign / _group_name(s) if len(groups) > 1 else campaign for s, _ in groups]
    matrices = [
        _run_group(args, image, settings, members, pytest_args, where)
        for (settings, members), where in zip(groups, wheres, strict=True)
    ]
    for matrix, where in zip(matrices, wheres, strict=True):
        print("\n".join(mutation.text_lines(matrix)))
        print(f"kill matrix: {where / mutation.JSON_FILE} and {where / mutation.TEXT_FILE}\n")
    code = _worst(matrices)
    if len(matrices) > 1:
        results = [r for m in matrices for r in m.results]
        print(f"all groups: {mutation.summary_line(results)}")
    print(f"exit {code}: {mutation.EXIT_MEANINGS[code]}")
    return code


def _group_name(settings: list[str]) -> str:
    """``defaults``, or the group's settings (``authorizeQueryContextParams=true``)."""
    return "+".join(settings) or "defaults"


def _worst(matrices: list[mutation.Matrix]) -> int:
    """1 when a mutant survived anywhere, else 16 when one ended in error, else 0."""
    codes = {m.exit_status for m in matrices}
    return 1 if 1 in codes else (16 if 16 in codes else 0)


def _run_group(
    args: argparse.Namespace,
    image: BuiltImage,
    settings: list[str],
    members: tuple[mutants.Mutant, ...],
    pytest_args: list[str],
    where: Path,
) -> mutation.Matrix:
    """One cluster with ``settings``: seeds, the baseline (which must pass), then each of
    ``members``; the cluster is removed after. Writes the group's matrix to ``where``."""
    from conformance.cluster_settings import from_items
    from fixtures.cluster import start_container_cluster
    from fixtures.seed import create_seeds

    properties = {**runtime_properties(from_items(settings)), **mutants.CLUSTER_PROPERTIES}
    runs = where / "runs"
    shown = ", ".join(settings) or "Druid's defaults"
    say(f"{len(members)} mutant(s) with {shown}: {', '.join(m.name for m in members)}")
    cluster = start_container_cluster(
        image.tag,
        image.version,
        where.name,
        where / "druid-logs",
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
        for number, mutant in enumerate(members, 1):
            result = run_one(cluster, mutant, pytest_args, settings, runs)
            matrix = matrix.with_result(result)
            caught = result.outcome.failure.test if result.outcome.failure else ""
            say(
                f"mutant {number}/{len(members)} {mutant.name}: {result.status.upper()} "
                f"{caught} in {result.seconds:.0f} s ({mutation.summary_line(matrix.results)})"
            )
            cluster.check_alive()  # a dead cluster would make every later mutant an error
    finally:
        if matrix is not None and matrix.results:  # what was measured, also when interrupted
            mutation.write(where, matrix)
        cluster.save_logs(where / "druid-logs")
        cluster.stop()
    assert matrix is not None  # the baseline passed, or an error was raised
    mutation.write(where, matrix)
    return matrix


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
        help="a cluster setting for every cluster and run (repeatable); a mutant that needs "
        "one (context-key-unchecked: authorizeQueryContextParams=true) runs in a cluster of "
        "its own with it",
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
