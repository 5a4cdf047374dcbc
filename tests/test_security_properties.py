"""The table of security properties beyond the documentation and its known breaks
(``conformance/runner/properties.py``): loading it strictly, and what ``expect`` decides."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from conformance import plugin
from conformance.runner import properties
from conformance.runner.run import Run
from fixtures.errors import BadInputError
from reports.history import History

TABLE = """
[[property]]
id = "P"
title = "t"
source = "CWE-204"
severity = "minor"
test = "x"

[[break]]
property = "P"
druid_versions = ["27.0.0"]
observed = "o"
reproduce = "r"
scopes = ["status"]
"""


class _History:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def record_event(self, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))


def _run() -> tuple[Run, _History]:
    history = _History()
    return cast(Run, SimpleNamespace(history=history)), history


def _table(tmp_path: Path, text: str = TABLE) -> properties.Table:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return properties.load(path)


def test_the_packaged_table_loads_and_names_the_tests_that_assert_it() -> None:
    table = properties.load()
    assert {"NO-USER-ENUMERATION", "NO-ECHO-IN-401"} <= set(table.properties)
    root = Path(__file__).resolve().parents[1]
    for prop in table.properties.values():
        path, _, name = prop.test.partition("::")
        assert f"def {name}(" in (root / path).read_text(encoding="utf-8"), prop.test


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (TABLE.replace('test = "x"', 'test = "x"\ncolour = "red"'), "unknown field(s) colour"),
        (TABLE.replace('test = "x"\n', ""), "missing field(s) test"),
        (TABLE.replace('property = "P"', 'property = "Q"'), "unknown property Q"),
        (TABLE.replace('"minor"', '"grave"'), "severity 'grave'"),
        ("[[property", "p.toml"),
    ],
)
def test_a_bad_table_is_one_clear_error(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(BadInputError, match=r".*" + says.replace("(", r"\(").replace(")", r"\)")):
        _table(tmp_path, text)


def test_a_property_that_holds_passes_and_is_recorded(tmp_path: Path) -> None:
    run, history = _run()
    properties.expect(run, "P", True, "e", "30.0.0", scope="status", known=_table(tmp_path))
    assert history.events == [
        (
            "property",
            {"property": "P", "scope": "status", "outcome": "holds", "druid_version": "30.0.0"},
        )
    ]


def test_a_registered_break_passes_only_on_its_versions_and_scopes(tmp_path: Path) -> None:
    table = _table(tmp_path)
    run, history = _run()
    properties.expect(run, "P", False, "e", "27.0.0", scope="status", known=table)
    assert history.events[-1][1]["outcome"] == "known break"
    for version, scope in (("28.0.0", "status"), ("27.0.0", "statements.cancel")):
        with pytest.raises(properties.PropertyBroken, match="MINOR security property P broken"):
            properties.expect(run, "P", False, "the evidence", version, scope=scope, known=table)
        assert history.events[-1][1]["outcome"] == "new break"


def test_a_registered_break_that_no_longer_happens_is_said(tmp_path: Path) -> None:
    run, history = _run()
    properties.expect(run, "P", True, "e", "27.0.0", scope="status", known=_table(tmp_path))
    assert history.events[-1][1]["outcome"] == properties.PropertyOutcome.FIXED
    assert "fixed?" in history.events[-1][1]["outcome"]


def test_a_fixed_break_reaches_the_runs_summary_and_closing_lines(tmp_path: Path) -> None:
    """``expect``'s events go through history.jsonl to summary.json as the plugin writes it."""
    table = _table(tmp_path)
    run = Run.create(tmp_path / "reports", History)
    properties.expect(run, "P", True, "e", "27.0.0", scope="status", known=table)  # fixed?
    properties.expect(run, "P", True, "e", "27.0.0", scope="status", known=table)
    properties.expect(run, "P", True, "e", "27.0.0", scope="cancel", known=table)  # holds
    run.facts["druid_version"] = "27.0.0"
    config = SimpleNamespace(
        stash={}, invocation_params=SimpleNamespace(args=()), option=SimpleNamespace(xmlpath=None)
    )
    plugin.write_reports(run, {}, 0, cast(pytest.Config, config))
    document = json.loads((run.dir / "summary.json").read_text(encoding="utf-8"))
    assert document["properties"]["fixed"] == [{"property": "P", "scope": "status"}]
    assert document["properties"]["outcomes"][properties.PropertyOutcome.FIXED] == 2
    assert document["properties"]["outcomes"]["holds"] == 1
    assert run.closing[0].endswith(
        "3 security property checks: 1 hold, 0 known breaks, 0 new breaks, 2 fixed?"
    )
    assert any(
        line.startswith("FIXED?: known break of security property P ") for line in run.closing
    )
