"""Which profile judges a Druid release, by the version it reports (``/status``).

``druid-24`` before 27, ``druid-27`` for 27 and 28 (the first releases with both the SQL-based
ingestion security page and the statements API), ``druid-latest`` from 29. A version whose
major part is not a number (``unknown``, a vendor's own scheme) gets the default profile.
``imply-2022.06`` is never chosen from a version: it is only used when asked for by name.
"""

from __future__ import annotations

from conformance.oracle.profiles import DEFAULT_PROFILE

__all__ = ["profile_for_version"]


def profile_for_version(druid_version: str) -> str:
    """The profile (documentation edition) that judges ``druid_version``, e.g. ``"27.0.0"``."""
    try:
        major = int(druid_version.split(".")[0])
    except ValueError:
        return DEFAULT_PROFILE
    if major < 27:
        return "druid-24"
    return "druid-27" if major < 29 else "druid-latest"
