"""report.html as a real browser shows it: headless Chromium loads it and the matrix is read back
from the DOM it built, then compared with the recorded checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports import html, records
from tests import browser
from tests.recorded_runs import RUN_ID, make_run
from tests.test_reports import expected_matrix, read_matrix


@pytest.fixture(scope="module")
def chromium() -> str:
    found = browser.find()
    if found is None:
        pytest.skip(browser.NOT_FOUND)
    return found


def test_chromium_reads_the_matrix_back(chromium: str, tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    page = html.write(run_dir / "report.html", records.load(run_dir), [])
    dom = browser.dump_dom(chromium, page)
    assert read_matrix(dom) == expected_matrix(run_dir)
    assert len(read_matrix(dom)) == 4
    assert f'data-case="{RUN_ID}-4"' in dom
    assert 'id="coverage-summary"' in dom
