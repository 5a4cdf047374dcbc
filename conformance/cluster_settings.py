"""The run's cluster settings (``--druid-setting KEY=VALUE``): Druid's configuration that
changes the documented rules, e.g. ``authorizeQueryContextParams``.

One value serves three readers, so they cannot drift apart: the cluster the suite starts gets
them as runtime properties, the generators steer at the cells that exist under them, and the
oracle judges every check with them (each recorded case carries them, so ``analyze`` and
``replay`` judge with them too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from conformance.oracle.profiles import (
    DEFAULT_PROFILE,
    ProfileError,
    canonical_settings,
    get_profile,
    parse_settings,
)
from fixtures.errors import BadInputError

SETTINGS_KEY = pytest.StashKey[dict[str, Any]]()


def from_items(items: Sequence[str], profile: str | None = None) -> dict[str, Any]:
    """``--druid-setting`` items checked against ``profile`` (default: the default profile), by
    short name; bad ones raise ``BadInputError`` naming the option."""
    try:
        return canonical_settings(get_profile(profile or DEFAULT_PROFILE), parse_settings(items))
    except ProfileError as error:
        raise BadInputError(f"--druid-setting: {error}") from None


def declare(config: pytest.Config) -> dict[str, Any]:
    """Check the run's ``--druid-setting`` items against its oracle profile (or the default
    one), remember them for the run and return them by short name."""
    settings = from_items(config.getoption("--druid-setting"), config.getoption("--oracle-profile"))
    config.stash[SETTINGS_KEY] = settings
    return settings


def of(config: pytest.Config) -> dict[str, Any]:
    """The run's cluster settings by short name (empty: Druid's defaults)."""
    return config.stash.get(SETTINGS_KEY, {})
