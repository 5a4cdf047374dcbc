"""Hypothesis settings profiles, chosen with ``--hypothesis-profile`` (default ``ci``).

Druid is a slow external system: every example provisions users, waits for propagation and sends
real requests, so deadlines are off and the health checks that assume fast examples are relaxed.
The example counts are per property test.

- ``ci``: derandomised (the same examples every run, so ten runs give the same verdicts), small.
- ``nightly``: a random seed, printed and recorded in the run's summary, larger.
- ``certification``: large; the certification run also refuses skipped checks.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

SLOW_SYSTEM = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
PROFILES = ("ci", "nightly", "certification")
DEFAULT = "ci"


def register() -> None:
    slow = settings(
        deadline=None,
        suppress_health_check=SLOW_SYSTEM,
        print_blob=True,
        report_multiple_bugs=False,
    )
    settings.register_profile(
        "ci",
        slow,
        max_examples=6,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    settings.register_profile("nightly", slow, max_examples=60)
    settings.register_profile("certification", slow, max_examples=200)


# Examples per coverage cell (test_properties.py runs one test per cell, so that every cell is
# hit whatever Hypothesis's draws favour); the free-form tests use the profile's max_examples.
EXAMPLES_PER_CELL = {"ci": 1, "nightly": 2, "certification": 5}


def examples_per_cell(profile: str) -> int:
    return EXAMPLES_PER_CELL.get(profile, 1)
