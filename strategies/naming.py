"""Fresh, unique names for everything an example creates on the shared cluster.

Druid keeps users, roles and datasources across examples (and across runs on a development
cluster), so no two examples may reuse a name: state from one would leak into the verdict of
another. Names therefore never come from Hypothesis draws (which repeat across runs and while
shrinking) but from a ``Namer``: a callable that returns a new prefix on every call, built from a
run tag the caller chooses (e.g. ``strat_<random>``) and a counter.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable

__all__ = ["Namer", "make_namer", "run_tag"]

Namer = Callable[[str], str]
"""``namer(hint) -> fresh name``; ``hint`` says what the name is for (``"user"``, ``"ds"``)."""

_HINT = re.compile(r"[a-z]+")


def run_tag(prefix: str = "strat") -> str:
    """A tag unique to this run: names of earlier runs on the same cluster cannot collide."""
    return f"{prefix}_{secrets.token_hex(3)}"


def make_namer(tag: str) -> Namer:
    """A namer giving ``<tag>_<hint><n>`` with one counter per namer (n never repeats)."""
    counter = itertools.count(1)

    def namer(hint: str) -> str:
        if not _HINT.fullmatch(hint):
            raise ValueError(f"a name hint is lower-case letters, got {hint!r}")
        return f"{tag}_{hint}{next(counter)}"

    return namer
