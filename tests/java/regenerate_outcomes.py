"""Regenerate tests/data/java_regex_outcomes.tsv from the JVM on PATH.

The table records what java.util.regex (Pattern.compile, matcher(name).matches()) answers for
tests/test_java_regex.py's hand-picked patterns, so that test_recorded_java_outcomes_agree checks
the oracle against Java where no JVM is installed. Needs javac and java (the JDK Druid runs on,
17 for now):

    .venv/bin/python tests/java/regenerate_outcomes.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.test_java_regex import (
    OUTCOMES,
    JavaRegex,
    compile_probe,
    recorded_outcomes,
    write_outcomes,
)


def main() -> int:
    """Ask the JVM, write the table, say how many rows; 1 where there is no JDK."""
    with tempfile.TemporaryDirectory() as scratch:
        classes = compile_probe(Path(scratch))
        if classes is None:
            print("needs javac and java on PATH", file=sys.stderr)
            return 1
        java = JavaRegex(classes)
        try:
            rows = write_outcomes(recorded_outcomes(java), java.version)
        finally:
            java.close()
    print(f"{OUTCOMES}: {rows} rows from Java {java.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
