"""Keeps the run's secrets out of what pytest prints and writes (``fixtures/secrets.py``).

Three layers, each for a way a secret could leave the process:

- every test report's failure text and captured sections are scrubbed as the report is made, so
  the terminal, ``junit.xml`` and any other reporting plugin see the masked text only;
- the terminal writer's file masks whatever else is printed (warnings, INTERNALERROR, progress);
- when the run ends, every file of its directory (and a ``--junitxml`` elsewhere) is swept. A
  sweep that finds something names the file: that is a bug of the suite, already contained.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any, TextIO

import pytest

from fixtures.secrets import SECRETS, SecretRegistry, scrub_tree

PLUGIN_NAME = "druid-conformance-scrubbing"


class ScrubbingFile:
    """A text file that masks secrets in everything written to it."""

    def __init__(self, inner: TextIO, registry: SecretRegistry = SECRETS) -> None:
        self._inner = inner
        self._registry = registry

    def write(self, text: str) -> int:
        self._inner.write(self._registry.scrub(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def scrub_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Mask secrets in a report's failure text and captured output, in place."""
    if report.longrepr is not None:
        text = str(report.longrepr)
        if SECRETS.count(text):
            report.longrepr = SECRETS.scrub(text)
    report.sections = [(title, SECRETS.scrub(body)) for title, body in report.sections]


class Scrubbing:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        wrap_terminal(config)

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        scrub_report(report)
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        scrub_report(report)
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """The sweep, after junit.xml and the reports are written."""
        targets = [self.run_dir]
        junit = getattr(config.option, "xmlpath", None)
        if junit and not Path(junit).resolve().is_relative_to(self.run_dir.resolve()):
            targets.append(Path(junit))
        for target in targets:
            for path, count in scrub_tree(target).items():
                say_to_terminal(config, f"druid-conformance: masked {count} secret(s) in {path}")


def wrap_terminal(config: pytest.Config) -> None:
    """Make the terminal reporter's writer mask secrets (idempotent)."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(terminal, "_tw", None)
    inner = getattr(writer, "_file", None)
    if writer is not None and inner is not None and not isinstance(inner, ScrubbingFile):
        writer._file = ScrubbingFile(inner)


def say_to_terminal(config: pytest.Config, line: str) -> None:
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_line(line, red=True)


def install(config: pytest.Config, run_dir: Path) -> None:
    """Register the plugin for a run writing into ``run_dir``."""
    if config.pluginmanager.get_plugin(PLUGIN_NAME) is None:
        plugin = Scrubbing(run_dir)
        config.pluginmanager.register(plugin, PLUGIN_NAME)
        wrap_terminal(config)  # registered inside pytest_configure: its own hook may not run
