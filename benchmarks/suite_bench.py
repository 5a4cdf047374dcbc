"""The suite's figures in one run: ``druid-conformance benchmark`` as a script.

    python benchmarks/suite_bench.py [--druid-url URL] [--cold-caches] [--skip-build]

See ``druid-conformance benchmark --help`` (conformance/cli/benchmark.py) for what each figure is.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.cli import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]]))
