"""The oracle as a package of its own: what it imports, its public API, the version mapping.

``conformance.oracle`` must run where only sqlglot is installed (issue 17): importing it may load
the standard library, sqlglot and the package itself, nothing else. The import-linter contract
in ``pyproject.toml`` checks the import statements; this test checks what an interpreter really
loads, which also catches an import hidden in a dependency or a ``conformance/__init__.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import conformance.oracle as oracle
from conformance.oracle import profile_for_version

ROOT = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter: this process has pytest, hypothesis and the rest loaded already.
# sqlglot is imported first: what it loads of its own accord (``mypy_extensions`` when present)
# is its business, not the oracle's.
PROBE = """
import json, sys
import sqlglot, sqlglot.dialects.druid, sqlglot.parser, sqlglot.tokens
before = set(sys.modules)
from conformance.oracle import Action, Case, Permission, decide
verdict = decide(Case(id="c1", operation="submit", sql="SELECT page FROM wikipedia",
                      permissions=(Permission("wikipedia", "DATASOURCE", Action.READ),)))
loaded = set(sys.modules) - before
print(json.dumps({
    "verdict": verdict.to_json(),
    "top_level": sorted({name.split(".")[0] for name in loaded}),
    "all_top_level": sorted({name.split(".")[0] for name in sys.modules}),
    "conformance": sorted(name for name in loaded if name.startswith("conformance.")),
    "stdlib": sorted(sys.stdlib_module_names),
}))
"""

FORBIDDEN = {"requests", "testcontainers", "docker", "pytest", "_pytest", "hypothesis"}
FORBIDDEN |= {"fixtures", "strategies", "reports", "tests", "urllib3"}


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_importing_the_oracle_loads_only_the_standard_library_and_sqlglot(
    probe: dict[str, Any],
) -> None:
    assert set(probe["all_top_level"]) & FORBIDDEN == set()
    top_level = set(probe["top_level"])
    assert top_level - set(probe["stdlib"]) <= {"conformance", "sqlglot"}
    outside = [m for m in probe["conformance"] if not m.startswith("conformance.oracle")]
    assert outside == []


def test_the_fresh_interpreter_answers_a_case(probe: dict[str, Any]) -> None:
    verdict = probe["verdict"]
    assert (verdict["verdict"], verdict["status"]) == ("allowed", 200)
    assert verdict["required"] == [{"type": "DATASOURCE", "name": "wikipedia", "action": "READ"}]


def test_public_api_is_exported_and_documented() -> None:
    documented = (ROOT / "docs" / "oracle.md").read_text()
    for name in oracle.__all__:
        assert hasattr(oracle, name), name
        assert f"`{name}`" in documented, f"{name} is not in docs/oracle.md"
    assert len(oracle.__all__) == len(set(oracle.__all__))


@pytest.mark.parametrize(
    ("version", "profile"),
    [
        ("24.0.0", "druid-24"),
        ("26.0.1", "druid-26"),
        ("27.0.0", "druid-27"),
        ("28.0.1", "druid-28"),
        ("29.0.0", "druid-29"),
        ("31.0.0-SNAPSHOT", "druid-31"),
        ("99.0.0", "druid-latest"),
        ("unknown", oracle.DEFAULT_PROFILE),
        ("", oracle.DEFAULT_PROFILE),
    ],
)
def test_profile_for_version(version: str, profile: str) -> None:
    assert profile_for_version(version) == profile
    assert profile in oracle.PROFILES
