"""Run the ``ci`` profile N times against one cluster and compare the verdicts.

The ``ci`` profile is derandomised, so every run must produce the same sequence of checks: the
same coverage cells, the same oracle verdicts, the same outcomes and the same observed status
classes. Names differ between runs (each run has its own tag), so checks are compared by what
they mean, not by name. Prints a line per run and the differences, if any; exit 1 when flaky.

    set -a; . ~/.cache/druid-conformance/dev-cluster.env; set +a
    python benchmarks/repeat_ci.py --runs 10 --druid-url "$DRUID_URL" [-- pytest args]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

Signature = tuple[str, str, str, str]


def signatures(run_dir: Path) -> list[Signature]:
    """(test, cell, outcome, observed status class) per check, in order."""
    out: list[Signature] = []
    with (run_dir / "history.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            if entry.get("type") == "check":
                status = f"{entry['observed_status'] // 100}xx"
                out.append((entry["label"], entry["cell"], entry["outcome"], status))
    return out


def one_run(reports: Path, url: str, extra: list[str]) -> tuple[int, Path, float]:
    before = set(reports.glob("2*"))
    started = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider"]
    cmd += ["--druid-url", url, "--hypothesis-profile", "ci", "--reports-dir", str(reports)]
    code = subprocess.run([*cmd, *extra], stdout=subprocess.DEVNULL).returncode
    (run_dir,) = set(reports.glob("2*")) - before
    return code, run_dir, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--druid-url", required=True)
    parser.add_argument("--reports-dir", default="reports/repeat")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    reports = Path(args.reports_dir)
    reports.mkdir(parents=True, exist_ok=True)
    baseline: list[Signature] | None = None
    flaky = False
    for number in range(1, args.runs + 1):
        code, run_dir, seconds = one_run(reports, args.druid_url, args.pytest_args)
        sigs = signatures(run_dir)
        outcomes = Counter(s[2] for s in sigs)
        same = baseline is None or sigs == baseline
        print(
            f"run {number}: exit {code}, {len(sigs)} checks {dict(outcomes)}, {seconds:.0f} s, "
            f"{'same verdicts' if same else 'DIFFERENT'} ({run_dir})",
            flush=True,
        )
        if baseline is None:
            baseline = sigs
        elif not same:
            flaky = True
            for a, b in zip(baseline, sigs, strict=False):
                if a != b:
                    print(f"  first difference: {a} != {b}")
                    break
            if len(sigs) != len(baseline):
                print(f"  {len(baseline)} checks in run 1, {len(sigs)} here")
    print("flaky" if flaky else f"{args.runs} runs, identical verdicts")
    return 1 if flaky else 0


if __name__ == "__main__":
    sys.exit(main())
