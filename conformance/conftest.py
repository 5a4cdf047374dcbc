"""The pytest side of the suite: options, the Druid under test, provisioning, the run's output.

``pytest conformance`` builds (or reuses) a Druid image, starts a security-enabled cluster,
seeds it, runs the checks and removes the container again, also after a failure or Ctrl-C.
With ``--druid-url`` it checks a cluster you run instead.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import cluster_settings, hypothesis_profiles
from conformance import plugin as report_plugin
from conformance.cli.target import admin_from_environment
from conformance.exit_codes import ExitCode, exit_code
from conformance.oracle import (
    PROFILES,
    ProfileError,
    get_profile,
    normalize_settings,
    profile_for_version,
    runtime_properties,
)
from conformance.runner.checks import Outcome
from conformance.runner.pool import IdentityPool
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner, SteeringDrift
from conformance.test_support import UserFactory
from fixtures import options
from fixtures.cleanup import INVENTORY_EVENT, Cleaned, clean, inventory, read_history
from fixtures.client import Credentials, DruidClient, Exchange, Recorder
from fixtures.cluster import (
    Cluster,
    connect_external_cluster,
    liveness_problem,
    start_container_cluster,
)
from fixtures.engine import check_docker_host, check_state_dir, ensure_engine
from fixtures.errors import BadInputError, SetupError, infrastructure_error_in
from fixtures.progress import say, set_sink, step
from fixtures.provision import Grant, PropagationBarrier, SecurityAdmin
from fixtures.releases import default_version
from fixtures.secrets import SECRETS
from fixtures.seed import create_seeds
from fixtures.source import check_source, druid_image
from reports import coverage
from reports.history import History

RUN_KEY = pytest.StashKey[Run]()
# The reports of the tests a SteeringDrift ended. Kept here rather than marked on the report by
# a field name: every short string literal in the suite's modules is one Hypothesis may draw (its
# "local constants"), and one more would change the examples a derandomised (ci) run draws.
STEERING_DRIFTS_KEY = pytest.StashKey[list[pytest.TestReport]]()
GIVEN_CLUSTER_KEY = pytest.StashKey[Cluster]()  # --druid-url, connected at configure time
hypothesis_profiles.register()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("druid-conformance", "Druid under test")
    group.addoption(
        "--druid-version",
        default=None,
        help=f"Druid release to build and start (default: {default_version()}, the newest "
        "that can be assembled here)",
    )
    group.addoption(
        "--druid-image",
        default=None,
        help="start this image instead of building one, e.g. apache/druid:30.0.0 "
        "(pulled if absent)",
    )
    group.addoption(
        "--druid-distribution",
        default=None,
        metavar="PATH",
        help="start the Druid a build made: an apache-druid-*-bin.tar.gz (what 'mvn -Pdist' "
        "writes) or the directory it unpacks to, made into an image here; its version is the "
        "one its jars carry",
    )
    group.addoption(
        "--druid-url",
        default=None,
        help="check a running cluster through its Router URL instead of starting one; admin "
        "credentials from DRUID_ADMIN_USER (default admin) and DRUID_ADMIN_PASSWORD",
    )
    group.addoption(
        "--druid-coordinator-url",
        default=None,
        help="only with --druid-url: where the basic-security API answers "
        "(default: the Router's /proxy/coordinator)",
    )
    # no argparse type for the numbers: _check_options refuses a bad one in one line (exit 15),
    # where argparse would print a usage error (exit 4)
    group.addoption(
        "--druid-startup-timeout",
        default=600.0,
        help="seconds (above 0) to wait for a started cluster to become ready (default 600)",
    )
    group.addoption(
        "--task-slots",
        default=6,
        help="task slots of the started cluster's MiddleManager, at least 2: an MSQ query "
        "takes two (default 6)",
    )
    group.addoption(
        "--oracle-profile",
        default=None,
        help="documentation edition that judges Druid (default: chosen from the Druid version; "
        "see 'druid-conformance explain --help')",
    )
    group.addoption(
        "--druid-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a cluster setting that changes the rules, e.g. authorizeQueryContextParams=true "
        "(repeatable; VALUE is JSON). A cluster the suite starts gets it as a runtime property; "
        "with --druid-url it declares how that cluster is configured. The oracle judges with it.",
    )
    group.addoption(
        "--reports-dir",
        default="reports",
        help="where each run writes reports/<run-id>/, made if absent (default: ./reports)",
    )


def _fail_setup(exc: SetupError, run: Run | None = None) -> None:
    """End the run with the error's exit code; with ``run``, its reports say why."""
    if run is not None:
        run.setup_error = SECRETS.scrub(str(exc))
    pytest.exit(SECRETS.scrub(f"druid-conformance: {exc}"), returncode=int(exit_code(exc)))


def _check_options(config: pytest.Config) -> None:
    """Every option and environment variable the run reads, checked before anything is built,
    started or contacted: a bad value raises BadInputError (one line, exit 15)."""
    given = config.option
    hypothesis_profile = config.getoption("hypothesis_profile", None)
    if hypothesis_profile is not None and hypothesis_profile not in hypothesis_profiles.PROFILES:
        # checked here, before Hypothesis' own plugin loads it with an INTERNALERROR
        raise BadInputError(
            f"unknown --hypothesis-profile {hypothesis_profile!r}; "
            f"known: {', '.join(hypothesis_profiles.PROFILES)}"
        )
    url = config.getoption("--druid-url")
    if url is not None:
        options.http_url("--druid-url", url)
        if any(
            config.getoption(option) is not None
            for option in ("--druid-image", "--druid-version", "--druid-distribution")
        ):
            raise BadInputError(
                "--druid-url checks a running cluster: it takes no --druid-image, "
                "--druid-version or --druid-distribution"
            )
        admin_from_environment()  # DRUID_ADMIN_PASSWORD and DRUID_ADMIN_USER
    elif config.getoption("--druid-coordinator-url") is not None:
        raise BadInputError("--druid-coordinator-url goes with --druid-url")
    if config.getoption("--druid-coordinator-url") is not None:
        options.http_url("--druid-coordinator-url", config.getoption("--druid-coordinator-url"))
    if given.druid_version is not None:
        options.druid_version("--druid-version", given.druid_version)
    if config.getoption("--druid-image") is not None:
        options.docker_image("--druid-image", config.getoption("--druid-image"))
    if config.getoption("--druid-distribution") is not None:
        options.not_empty("--druid-distribution", config.getoption("--druid-distribution"))
        check_source(
            given.druid_version,
            config.getoption("--druid-image"),
            Path(config.getoption("--druid-distribution")),
        )
    profile = config.getoption("--oracle-profile")
    if profile is not None and profile not in PROFILES:
        raise BadInputError(f"unknown --oracle-profile {profile!r}; known: {', '.join(PROFILES)}")
    given.druid_startup_timeout = options.seconds(
        "--druid-startup-timeout", given.druid_startup_timeout
    )
    given.task_slots = options.task_slots("--task-slots", given.task_slots)
    options.writable_dir("--reports-dir", given.reports_dir)
    if url is None:  # a cluster is started here
        check_state_dir()  # DRUID_CONFORMANCE_CACHE
        check_docker_host()
    cluster_settings.declare(config)


def _terminate_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _route_progress_to_terminal(config: pytest.Config) -> None:
    """Long waits report progress even while pytest captures output."""
    capture = config.pluginmanager.getplugin("capturemanager")
    terminal = config.pluginmanager.getplugin("terminalreporter")
    if capture is None or terminal is None:
        return

    def sink(line: str) -> None:
        with capture.global_and_fixture_disabled():
            terminal.write_line(line)
            # pytest flushes after each test; a CI log (not a terminal) would get a progress
            # line only when the test it reports on has ended
            terminal.flush()

    set_sink(sink)


def _choose_hypothesis_profile(config: pytest.Config, run: Run) -> None:
    """``ci`` unless told otherwise; a nightly run draws a seed and records it."""
    profile = config.getoption("hypothesis_profile", None) or hypothesis_profiles.DEFAULT
    config.option.hypothesis_profile = profile
    run.facts["hypothesis_profile"] = profile
    if profile != "ci":
        seed = config.getoption("hypothesis_seed", None)
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
            config.option.hypothesis_seed = str(seed)
        run.facts["hypothesis_seed"] = seed


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    try:
        if not config.getoption("help", False):  # pytest configures for --help too
            _check_options(config)
    except SetupError as exc:
        _fail_setup(exc)
    # SIGTERM (CI cancelling a job) tears down like Ctrl-C, so the container is removed.
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    run = Run.create(Path(config.getoption("--reports-dir")), History)
    _choose_hypothesis_profile(config, run)
    run.facts["settings"] = cluster_settings.of(config)
    config.stash[RUN_KEY] = run
    # conformance/plugin.py: junit.xml into the run's directory, summary.json, report.html
    report_plugin.install(config, run)
    if config.getoption("--druid-url") and not _only_listing(config):
        _connect_given_cluster(config, run)


def _only_listing(config: pytest.Config) -> bool:
    return bool(config.getoption("help", False) or config.getoption("collectonly", False))


def _connect_given_cluster(config: pytest.Config, run: Run) -> None:
    """A --druid-url that does not answer, or rejects the admin, stops the run before collection
    with one line (13 or 14), not inside the first test's set-up."""
    try:
        given = connect_external_cluster(
            config.getoption("--druid-url"),
            config.getoption("--druid-coordinator-url"),
            admin_from_environment(),
        )
    except SetupError as exc:
        run.setup_error = SECRETS.scrub(str(exc))
        # the session never starts: its reports are written here, quietly, so that the run's
        # directory still says how it ended
        report_plugin.write_reports(run, {}, int(exit_code(exc)), config)
        _fail_setup(exc, run)
    config.stash[GIVEN_CLUSTER_KEY] = given


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """An infrastructure problem inside a check is an ERROR of the run, never a verdict; so is
    a steering drift (the suite's generators and its judge disagree: a bug of the suite)."""
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, SteeringDrift):
        item.config.stash.setdefault(STEERING_DRIFTS_KEY, []).append(report)
    problem = infrastructure_error_in(call.excinfo.value) if call.excinfo is not None else None
    if problem is not None:
        report.infrastructure = True
        run = item.config.stash.get(RUN_KEY, None)
        if run is not None:
            run.infrastructure_errors.append(f"{item.nodeid}: {problem}")
    return report


def pytest_report_teststatus(
    report: pytest.TestReport, config: pytest.Config
) -> tuple[str, str, str] | None:
    if getattr(report, "infrastructure", False):
        return "error", "E", "ERROR (infrastructure)"
    if any(drifted is report for drifted in config.stash.get(STEERING_DRIFTS_KEY, [])):
        return "error", "E", "ERROR (steering drift)"
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    if any(check.outcome is Outcome.NEW_DEVIATION for check in run.checks):
        # a finding is never hidden behind an error: exit 1, and the summary lists the errors
        session.exitstatus = int(ExitCode.NEW_DEVIATIONS)
        return
    if run.infrastructure_errors:
        session.exitstatus = int(ExitCode.INFRASTRUCTURE)
        return
    if session.config.stash.get(STEERING_DRIFTS_KEY, []):  # a bug of the suite, not a verdict
        session.exitstatus = int(pytest.ExitCode.INTERNAL_ERROR)
        return
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(terminal.stats.get("skipped", [])) if terminal is not None else 0
    if run.facts.get("hypothesis_profile") == "certification" and skipped:
        run.facts["certification_refused"] = f"{skipped} check(s) skipped"
        session.exitstatus = int(pytest.ExitCode.TESTS_FAILED)


def pytest_sessionstart(session: pytest.Session) -> None:
    # Here, not in pytest_configure: the terminal reporter is registered by then.
    _route_progress_to_terminal(session.config)


def throughput_lines(figures: dict[str, Any]) -> list[str]:
    """Checked operations per second, each figure named by the time it divides by."""

    def rate(key: str) -> str:
        value = figures.get(key)
        return "n/a" if value is None else f"{value:.2f}/s"

    if not figures["checked_operations"]:
        return []
    lines = [
        f"throughput: {figures['checked_operations']} checked operations in "
        f"{figures['wall_seconds']:.1f} s of wall time (start-up to this summary) = "
        f"{rate('checked_operations_per_second_of_wall_time')}; in "
        f"{figures['test_call_seconds']:.1f} s of test calls = "
        f"{rate('checked_operations_per_second_of_test_calls')}"
    ]
    if figures["scenario_seconds"]:
        lines.append(
            f"throughput: {figures['scenario_checked_operations']} of them in "
            f"{figures['scenario_seconds']:.1f} s of scenario time (their requests and judging, "
            f"no provisioning) = {rate('checked_operations_per_second_of_scenario_time')}"
        )
    calls = figures["test_call_seconds"]
    if calls:

        def share(key: str) -> str:
            seconds = float(figures.get(key) or 0.0)
            return f"{seconds:.1f} s ({100 * seconds / calls:.0f}%)"

        lines.append(
            f"time in test calls: provisioning {share('provisioning_seconds')}, propagation "
            f"barrier {share('propagation_barrier_seconds')}, scenarios "
            f"{share('scenario_seconds')}; peak memory {figures.get('peak_memory_mib')} MiB"
        )
    return lines


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None or not run.did_anything:
        return
    run.history.close()
    summary = run.write_summary()
    terminalreporter.section("druid-conformance")
    for key, value in run.facts.items():
        terminalreporter.write_line(f"{key}: {value}")
    # the checks by outcome and each finding are the report plugin's closing lines
    if run.checks:
        feasible = report_plugin.feasible_cell_names(config)
        terminalreporter.write_line(coverage.write(run.dir / "coverage.txt", run.checks, feasible))
        statements = report_plugin.feasible_statement_cell_names(config, run)
        if statements:
            path = run.dir / "statements-coverage.txt"
            line = coverage.write(path, run.checks, statements, api="statements-API")
            terminalreporter.write_line(line.split("; missing")[0] + " (not all in every run)")
    for question, count in sorted(run.unjudged.items()):
        terminalreporter.write_line(f"not judged {count} time(s): {question}")
    for line in throughput_lines(run.throughput()):
        terminalreporter.write_line(line)
    if "certification_refused" in run.facts:
        terminalreporter.write_line(
            f"certification refused: {run.facts['certification_refused']}", red=True
        )
    if run.not_applicable_deviations:
        names = ", ".join(run.not_applicable_deviations)
        terminalreporter.write_line(
            f"not applicable to Druid {run.facts.get('druid_version')}: {names}"
        )
    for entry in run.reconfirmed_deviations:
        terminalreporter.write_line(
            f"known deviation {entry} seen past its last_confirmed release: raise it in "
            "conformance/runner/deviations/"
        )
    for fixed in run.fixed_deviations:
        terminalreporter.write_line(f"FIXED: known deviation {fixed} no longer occurs", green=True)
    for problem in run.infrastructure_errors:
        terminalreporter.write_line(f"infrastructure error (not a verdict): {problem}", red=True)
    for name, seconds in run.timings.items():
        terminalreporter.write_line(f"{name}: {seconds:.3f} s")
    if run.history.path.exists():
        history = f"{run.history.path} ({run.history.count} exchanges)"
    else:
        history = "none: no exchange with Druid was recorded"
    terminalreporter.write_line(f"history: {history}")
    terminalreporter.write_line(f"figures: {summary}")


@pytest.fixture(scope="session")
def run(pytestconfig: pytest.Config) -> Run:
    return pytestconfig.stash[RUN_KEY]


def _start_cluster(config: pytest.Config, run: Run) -> Cluster:
    given = config.stash.get(GIVEN_CLUSTER_KEY, None)
    if given is not None:
        return given
    url = config.getoption("--druid-url")
    if url:
        admin = admin_from_environment()
        return connect_external_cluster(url, config.getoption("--druid-coordinator-url"), admin)
    ensure_engine()
    distribution = config.getoption("--druid-distribution")
    image = druid_image(
        config.getoption("--druid-version"),
        config.getoption("--druid-image"),
        Path(distribution) if distribution else None,
    )
    if image.built_seconds is not None:
        run.time("image_build_built" if image.built else "image_build_reused", image.built_seconds)
    run.facts["substitutions"] = ", ".join(image.substitutions) or "none"
    run.facts["druid_source"] = image.source
    return start_container_cluster(
        image.tag,
        image.version,
        run.id,
        run.dir / "druid-logs",
        timeout=config.getoption("--druid-startup-timeout"),
        task_slots=config.getoption("--task-slots"),
        properties=runtime_properties(cluster_settings.of(config)),
    )


@pytest.fixture(scope="session")
def cluster(pytestconfig: pytest.Config, run: Run) -> Iterator[Cluster]:
    started = time.monotonic()
    try:
        the_cluster = _start_cluster(pytestconfig, run)
    except SetupError as exc:
        _fail_setup(exc, run)
        raise  # unreachable: pytest.exit raised
    run.history.secret(the_cluster.admin.password)
    if the_cluster.startup_seconds is not None:
        run.time("cluster_start_to_ready", the_cluster.startup_seconds)
    run.time("cluster_setup_total", time.monotonic() - started)
    run.facts.update(druid_version=the_cluster.druid_version, image=the_cluster.image or "external")
    if not the_cluster.started_by_suite:
        _take_inventory(the_cluster, run)
    try:
        yield the_cluster
    finally:
        if the_cluster.started_by_suite:
            the_cluster.save_logs(run.dir / "druid-logs")
            say("removing the Druid container")
        else:
            _leave_as_found(the_cluster, run)
        the_cluster.stop()


def _security_of(cluster: Cluster, run: Run) -> SecurityAdmin:
    coordinator = DruidClient(cluster.coordinator_url, cluster.admin, recorder=_recorder(run))
    return SecurityAdmin(coordinator)


def _take_inventory(cluster: Cluster, run: Run) -> None:
    """What a cluster the user runs holds before the run: the clean-up never touches it."""
    try:
        before = inventory(_security_of(cluster, run))
    except SetupError as exc:
        _fail_setup(exc, run)
        raise
    run.history.record_event(INVENTORY_EVENT, before.to_json())


def _leave_as_found(cluster: Cluster, run: Run) -> None:
    """Remove what the run made on a cluster the user runs (also after a failure or Ctrl-C),
    read from its history as ``druid-conformance cleanup --run`` reads a killed run's."""
    if not run.history.path.exists():
        return
    made, before = read_history(run.history.path)
    if made.empty():
        return
    admin = DruidClient(cluster.router_url, cluster.admin, recorder=_recorder(run))
    with step("removing the users, roles, tasks and datasources this run made"):
        try:
            cleaned = clean(made, before, _security_of(cluster, run), admin)
        except SetupError as exc:  # the cluster went away: a later cleanup can finish
            cleaned = Cleaned(failed=[str(exc)])
    run.facts["cleanup"] = cleaned.summary()
    say(f"clean-up: {cleaned.summary()}")
    if cleaned.failed:
        say(f"to finish it: druid-conformance cleanup --druid-url {cluster.router_url} "
            f"--run {run.dir}")  # fmt: skip


def _recorder(run: Run) -> Recorder:
    """Every exchange goes to the history, and the run's open queries learn of it."""

    def record(exchange: Exchange) -> int:
        run.queries.note(exchange)
        return run.history.record(exchange)

    return record


@pytest.fixture(scope="session")
def router(cluster: Cluster, run: Run) -> DruidClient:
    """An anonymous client of the Router; ``.as_user(...)`` gives any identity."""
    return DruidClient(cluster.router_url, None, recorder=_recorder(run))


@pytest.fixture(scope="session")
def admin_client(router: DruidClient, cluster: Cluster, run: Run) -> DruidClient:
    admin = router.as_user(cluster.admin)
    run.queries.stop = admin.cancel_task
    return admin


@pytest.fixture(autouse=True)
def no_query_outlives_its_test(run: Run) -> Iterator[None]:
    """Cancel, when a test ends, every query it submitted and left running (also one a
    session fixture submitted for it): left running, queries hold all the task slots
    (``fixtures/open_queries.py``)."""
    yield
    run.queries.stop_all()


@pytest.fixture(scope="session")
def security(cluster: Cluster, run: Run) -> SecurityAdmin:
    return _security_of(cluster, run)


@pytest.fixture(scope="session")
def barrier(security: SecurityAdmin, router: DruidClient, run: Run) -> PropagationBarrier:
    try:
        return PropagationBarrier(security, router, run.tag)
    except SetupError as exc:
        _fail_setup(exc, run)
        raise


@pytest.fixture(scope="session")
def seeds(admin_client: DruidClient, run: Run) -> list[str]:
    started = time.monotonic()
    try:
        names = create_seeds(admin_client)
    except SetupError as exc:
        _fail_setup(exc, run)
        raise
    run.time("seed_datasources", time.monotonic() - started)
    return names


@pytest.fixture
def make_user(
    security: SecurityAdmin, barrier: PropagationBarrier, router: DruidClient, run: Run
) -> Iterator[UserFactory]:
    """Fresh users with one role each holding the given grants; removed after the test."""
    made: list[str] = []

    def factory(grants: list[Grant]) -> DruidClient:
        number = len(made) + 1
        name = f"u{run.tag}_{os.getpid()}_{time.monotonic_ns() % 10**9}_{number}"
        credentials = Credentials(name, os.urandom(12).hex())
        run.history.secret(credentials.password)
        security.create_user(credentials)
        security.create_role(f"r_{name}", grants)
        security.assign(name, f"r_{name}")
        made.append(name)
        barrier.wait()
        return router.as_user(credentials)

    yield factory
    for name in made:
        security.delete_role(f"r_{name}")
        security.delete_user(name)


@pytest.fixture(scope="session")
def judge(pytestconfig: pytest.Config, cluster: Cluster, run: Run, seeds: list[str]) -> Judge:
    profile = pytestconfig.getoption("--oracle-profile") or profile_for_version(
        cluster.druid_version
    )
    run.facts["oracle_profile"] = profile
    settings = cluster_settings.of(pytestconfig)
    try:
        normalize_settings(get_profile(profile), settings)
    except ProfileError as error:
        _fail_setup(BadInputError(f"--druid-setting: {error}"), run)
    return Judge(run, cluster.druid_version, profile, frozenset(seeds), settings)


@pytest.fixture(scope="session")
def identity_pool(
    security: SecurityAdmin, barrier: PropagationBarrier, run: Run
) -> Iterator[IdentityPool]:
    """The run's pool of users and roles (``conformance/runner/pool.py``), removed at its end."""
    pool = IdentityPool(security, barrier, run, f"pool{run.tag}")
    try:
        yield pool
    finally:
        run.facts["identity_pool"] = {"users": len(pool.users), "writes": pool.writes}
        pool.close()


@pytest.fixture(scope="session")
def scenario_runner(
    security: SecurityAdmin,
    barrier: PropagationBarrier,
    router: DruidClient,
    admin_client: DruidClient,
    judge: Judge,
    cluster: Cluster,
    identity_pool: IdentityPool,
) -> ScenarioRunner:
    return ScenarioRunner(
        security,
        barrier,
        router,
        admin_client,
        judge,
        lambda: liveness_problem(cluster),
        pool=identity_pool,
    )
