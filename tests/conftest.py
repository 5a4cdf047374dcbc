"""Shared set-up of the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from fixtures.secrets import SECRETS

# Unit tests judge results, not speed: on a loaded 2-core machine an example can take seconds,
# and Hypothesis' default 200 ms deadline made correct tests fail. Speed has benchmarks.
settings.register_profile("unit", deadline=None)
settings.load_profile("unit")


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """The secret registry is process-wide: no test's secrets mask another test's text."""
    yield
    SECRETS.clear()
