"""``druid-conformance certify --product FILE``: run the suite for certification, write a bundle.

Runs ``pytest conformance --hypothesis-profile certification`` (in a subprocess, so the run is
exactly what a user would run) against the cluster given with --druid-url or one started here,
then writes a tar.gz holding PRODUCT.yaml (vendor, product, the Druid version tested), every
file of the run, the effective configuration and a manifest of SHA-256 sums. ``verify BUNDLE``
checks it. Arguments after ``--`` go to pytest; a bundle made with them is marked partial and
``verify`` rejects it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from hypothesis import settings

import conformance
from conformance import hypothesis_profiles
from conformance.cli.child import INTERRUPT_GRACE, run_interruptibly
from conformance.cli.target import add_distribution_option
from conformance.exit_codes import ExitCode
from conformance.runner.deviations import REGISTRY_DIR
from fixtures import options
from fixtures.errors import BadInputError, InfrastructureError
from fixtures.source import check_source
from reports import bundle, certification, product, records
from reports.summary import suite_version

SUITE_DIR = Path(conformance.__file__).parent


def _names_a_path(pytest_args: list[str]) -> bool:
    return any(Path(arg.split("::")[0]).exists() for arg in pytest_args if not arg.startswith("-"))


def pytest_command(args: argparse.Namespace, reports_dir: Path) -> list[str]:
    """pytest on the suite (or on the paths named after ``--``), certification profile."""
    extra = list(args.pytest_args or [])
    paths = [] if _names_a_path(extra) else [str(SUITE_DIR)]
    command = [sys.executable, "-m", "pytest", *paths, *extra]
    command += ["--hypothesis-profile", certification.PROFILE, "--reports-dir", str(reports_dir)]
    options_with_values = (
        "druid_url",
        "druid_coordinator_url",
        "druid_version",
        "druid_image",
        "druid_distribution",
    )
    for option in options_with_values:
        value = getattr(args, option)
        if value:
            command += [f"--{option.replace('_', '-')}", str(value)]
    for item in args.druid_setting:
        command += ["--druid-setting", item]
    return command


def _digests(pattern: str) -> dict[str, str]:
    """SHA-256 of each file matching ``pattern`` under the suite; a pattern that names nothing
    is a bug of the suite (a moved table), not an empty record."""
    found = {
        str(path.relative_to(SUITE_DIR.parent)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(SUITE_DIR.glob(pattern))
    }
    if not found:
        raise RuntimeError(f"certify: no file matches {SUITE_DIR / pattern}")
    return found


def effective_configuration(args: argparse.Namespace, command: list[str], rc: int) -> Any:
    hypothesis_profiles.register()  # the profiles live in the suite's conftest process
    profile = settings.get_profile(certification.PROFILE)
    return {
        "suite_version": suite_version(),
        "command": ["pytest", *command[3:]],
        "partial": bool(args.pytest_args),
        "selection": list(args.pytest_args or []),
        "pytest_exit_status": rc,
        "hypothesis_profile": {
            "name": certification.PROFILE,
            "max_examples": profile.max_examples,
            "examples_per_cell": hypothesis_profiles.examples_per_cell(certification.PROFILE),
        },
        "druid_settings": list(args.druid_setting),
        "druid_admin_user": os.environ.get("DRUID_ADMIN_USER", "admin"),
        "rules_sha256": _digests("oracle/rules/*.toml"),
        "deviations_sha256": _digests(f"{REGISTRY_DIR.relative_to(SUITE_DIR)}/*.toml"),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _new_run(reports_dir: Path, before: set[str]) -> Path | None:
    made = sorted(p for p in reports_dir.glob("*/") if p.name not in before)
    return made[-1] if made else None


# pytest's usage error and the suite's set-up errors: pytest said why, in one line
_SETUP_EXITS = frozenset({4, *(int(code) for code in ExitCode if 10 <= code < 16)})


def check_options(args: argparse.Namespace) -> None:
    """What the run would refuse, refused before it starts (a certification run takes hours,
    and its bundle is written at the end)."""
    from conformance.cluster_settings import from_items

    if args.druid_url is not None:
        if any(
            value is not None
            for value in (args.druid_version, args.druid_image, args.druid_distribution)
        ):
            raise BadInputError(
                "--druid-url checks a running cluster: it takes no --druid-image, "
                "--druid-version or --druid-distribution"
            )
    elif args.druid_coordinator_url is not None:
        raise BadInputError("--druid-coordinator-url goes with --druid-url")
    else:
        check_source(args.druid_version, args.druid_image, args.druid_distribution)
    from_items(args.druid_setting)
    options.writable_dir("--reports-dir", args.reports_dir)
    if args.output is not None:
        options.writable_file("--output", args.output)


def run_files(run_dir: Path) -> dict[str, bytes]:
    return {
        certification.RUN_PREFIX + str(path.relative_to(run_dir)): path.read_bytes()
        for path in sorted(run_dir.rglob("*"))
        if path.is_file()
    }


def run_pytest(command: list[str], grace: float = INTERRUPT_GRACE) -> int:
    """Run pytest and return its exit status; on Ctrl-C or SIGTERM wait for it to tear down
    and write its reports (``child.run_interruptibly``), then raise KeyboardInterrupt."""
    return run_interruptibly(command, grace, interrupted="interrupted, no bundle")


def handle(args: argparse.Namespace) -> int:
    described = product.read(Path(args.product))
    check_options(args)
    reports_dir = Path(args.reports_dir)
    before = {p.name for p in reports_dir.iterdir()}
    command = pytest_command(args, reports_dir)
    print("certify: " + " ".join(["pytest", *command[3:]]), flush=True)
    rc = run_pytest(command)
    run_dir = _new_run(reports_dir, before)
    if run_dir is None or not (run_dir / records.HISTORY).is_file():
        # ended before its first exchange: nothing to bundle; its summary.json says how
        if run_dir is not None and (run_dir / records.SUMMARY).is_file():
            end = records.load(run_dir, require_history=False).end
            print(f"certify: no bundle: {end.describe()}", flush=True)
        if rc in _SETUP_EXITS:  # e.g. --druid-url unreachable (13): no bundle, pytest's code
            return rc
        what = "wrote no run directory" if run_dir is None else f"recorded nothing in {run_dir}"
        raise InfrastructureError(f"the certification run {what}")
    summary = records.load(run_dir).summary
    declared = described.get("druid_version")
    described["druid_version"] = str(summary.get("druid_version"))
    if declared and declared != described["druid_version"]:
        described["declared_druid_version"] = declared
    files = {
        certification.PRODUCT: product.to_yaml(described).encode(),
        certification.CONFIG: json.dumps(
            effective_configuration(args, command, rc), indent=2
        ).encode(),
        **run_files(run_dir),
    }
    out = Path(args.output or f"certification-{run_dir.name}.tar.gz")
    bundle.write(out, files)
    written = bundle.read(out)  # judged as verify will judge it: the file, manifest included
    _, problems = certification.check(written)
    print(f"certify: bundle {out} ({len(written)} files)")
    for problem in problems:
        print(f"certify: does not certify: {problem}")
    return int(ExitCode.NEW_DEVIATIONS) if problems else 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "certify",
        help="run the certification profile and write a verifiable bundle (tar.gz)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument(
        "--product", required=True, help="YAML or TOML: vendor, product, product_version, ..."
    )
    parser.add_argument(
        "--druid-url",
        type=options.argument(options.http_url, "--druid-url"),
        help="the cluster to certify (admin from DRUID_ADMIN_*)",
    )
    parser.add_argument(
        "--druid-coordinator-url",
        type=options.argument(options.http_url, "--druid-coordinator-url"),
        help="only with --druid-url: the security API",
    )
    parser.add_argument(
        "--druid-version",
        type=options.argument(options.druid_version, "--druid-version"),
        help="without --druid-url: the release to start",
    )
    parser.add_argument(
        "--druid-image",
        type=options.argument(options.docker_image, "--druid-image"),
        help="without --druid-url: the image to start",
    )
    add_distribution_option(
        parser,
        "without --druid-url: the build to start (apache-druid-*-bin.tar.gz or its directory)",
    )
    parser.add_argument(
        "--druid-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting of the cluster that changes the rules (repeatable); recorded in the bundle",
    )
    parser.add_argument("--reports-dir", default="reports", help="default: ./reports")
    parser.add_argument("--output", "-o", help="the bundle (default certification-<run>.tar.gz)")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest (partial)")
    parser.set_defaults(handler=handle)
