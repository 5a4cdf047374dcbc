"""Which profile judges a Druid release, by the version it reports (``/status``).

The release table (``releases.toml``, see ``releases.py``) has one row per major release from
24.0 on, each with its profile: ``26.0.1`` is judged by ``druid-26``, ``31.0.0-SNAPSHOT`` by
``druid-31``. A release newer than the table's last row gets ``druid-latest`` (the current
documentation); one older than its first (no MSQ documentation exists before 24.0) gets the first
row's profile. A version that does not start with a number (``unknown``, ``v30``) gets the
default profile. ``imply-2022.06`` is never chosen from a version: it is only used when asked
for by name.
"""

from __future__ import annotations

import re

from conformance.oracle.profiles import DEFAULT_PROFILE
from conformance.oracle.releases import druid_releases

__all__ = ["LATEST_PROFILE", "major_of", "profile_for_version"]

LATEST_PROFILE = "druid-latest"

# The major version: leading digits, then a dot, a dash (27-SNAPSHOT) or the end.
_MAJOR = re.compile(r"\s*(\d+)(?=[.\-]|\s*$)")


def major_of(druid_version: str) -> int | None:
    """``"30.0.1"`` -> 30, ``"31.0.0-SNAPSHOT"`` -> 31; None when the version does not start
    with a number."""
    match = _MAJOR.match(druid_version)
    return int(match.group(1)) if match else None


def profile_for_version(druid_version: str) -> str:
    """The profile (documentation edition) that judges ``druid_version``, e.g. ``"27.0.0"``."""
    major = major_of(druid_version)
    if major is None:
        return DEFAULT_PROFILE
    rows = druid_releases()
    if major > rows[-1].major:
        return LATEST_PROFILE
    return next((row.profile for row in rows if row.major == major), rows[0].profile)
