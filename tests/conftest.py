"""Shared set-up of the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.secrets import SECRETS


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """The secret registry is process-wide: no test's secrets mask another test's text."""
    yield
    SECRETS.clear()
