"""The seed datasources' native ingestion specs write exactly their rows."""

from __future__ import annotations

import json

import pytest

from fixtures.seed import SEEDS, SeedDatasource


@pytest.mark.parametrize("seed", SEEDS, ids=lambda seed: seed.name)
def test_a_seeds_spec_holds_exactly_its_rows(seed: SeedDatasource) -> None:
    spec = seed.ingestion_spec()["spec"]
    rows = [json.loads(line) for line in spec["ioConfig"]["inputSource"]["data"].splitlines()]
    assert [(r["t"], r["page"], r["added"]) for r in rows] == list(seed.rows)
    assert spec["dataSchema"]["dataSource"] == seed.name
    assert spec["ioConfig"]["appendToExisting"] is False  # replaces, as the seeding promises
    assert spec["dataSchema"]["granularitySpec"]["rollup"] is False  # one row per seed row


def test_a_quote_in_a_row_stays_data() -> None:
    seed = SeedDatasource("q", (("2024-01-01T00:00:00Z", 'it\'s "x"\n', 1),))
    data = seed.ingestion_spec()["spec"]["ioConfig"]["inputSource"]["data"]
    assert json.loads(data)["page"] == 'it\'s "x"\n'
