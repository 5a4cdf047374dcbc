"""report.html as a real browser shows it: headless Chromium loads it, the permission grid and
the matrix are read back from the DOM it built and compared with the run's history, and a
screenshot of the page's top is taken and checked for what it must show."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from reports import html, records
from tests import browser
from tests.recorded_runs import RUN_ID, make_run
from tests.test_reports import (
    expected_grid,
    expected_matrix,
    make_wide_run,
    read_matrix,
    read_report,
    shown_grid,
)

WINDOW = (1400, 1000)
# the report's colours (reports/html.py STYLE): the failed banner, a new and a known deviation
FAILED_BANNER = bytes((0xFD, 0xE8, 0xE8))
NEW = bytes((0xFB, 0xD0, 0xD0))
KNOWN = bytes((0xFF, 0xEE, 0xC2))


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


def test_chromium_reads_the_grid_back_as_the_history_says(chromium: str, tmp_path: Path) -> None:
    """Every (operation, kind) of the history is a cell with the worst outcome of its checks as
    its class, and its link leads to a list of exactly its checks; the others are empty."""
    run_dir = make_wide_run(tmp_path)
    page = html.write(run_dir / "report.html", records.load(run_dir), [])
    reader = read_report(browser.dump_dom(chromium, page))
    assert shown_grid(reader) == expected_grid(run_dir)  # classes checked there too
    assert Counter(cell["outcome"] for cell in reader.grid) == Counter(
        {"": 8, "agrees": 1, "new-deviation": 3, "known-deviation": 1, "undecided": 1}
    )
    linked = [cell["href"][1:] for cell in reader.grid if "href" in cell]
    assert len(linked) == len(set(linked)) == 6 and set(linked) <= reader.ids
    # the findings link to the detailed sections of their smallest examples
    assert all(href[1:] in reader.ids for links in reader.finding_links for href in links)


def test_a_screenshot_shows_the_banner_and_the_coloured_grid(chromium: str, tmp_path: Path) -> None:
    run_dir = make_wide_run(tmp_path)
    page = html.write(run_dir / "report.html", records.load(run_dir), [])
    shot = browser.screenshot(chromium, page, run_dir / "report.png", WINDOW)
    assert shot.stat().st_size > 20_000  # a blank 1400x1000 page is a few kB
    width, height, rows = browser.png_pixels(shot)
    assert (width, height) == WINDOW
    colours = Counter(row[i : i + 3] for row in rows for i in range(0, len(row), 3))
    assert len(colours) > 200  # text, not a blank or single-colour page
    # the red banner, and findings and grid cells coloured new and known, on the first screen
    assert colours[FAILED_BANNER] > 10_000
    assert colours[NEW] > 1_000 and colours[KNOWN] > 1_000
