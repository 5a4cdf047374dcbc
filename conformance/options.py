"""Checks of option values, shared by ``pytest conformance`` and the ``druid-conformance`` commands.

A bad value stops the run with one line naming the option and exit 15 (``BadInputError``), before
anything is built, started or contacted. Each check returns the value it accepted, converted; the
``argument`` helper makes one an argparse ``type`` (argparse would turn a ValueError into a usage
error, exit 2, with the usage printed: a ``BadInputError`` passes through to ``cli.main``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from conformance.errors import BadInputError

T = TypeVar("T")

# distribution/reference's grammar (what `docker pull` accepts), without IPv6 registry hosts
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*"
_IMAGE = re.compile(
    rf"(?:{_DOMAIN}(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def argument(check: Callable[[str, str], T], option: str) -> Callable[[str], T]:
    """``check`` as an argparse ``type`` for ``option``."""

    def convert(value: str) -> T:
        return check(option, value)

    convert.__name__ = check.__name__
    return convert


def not_empty(option: str, value: str) -> str:
    if not value.strip():
        raise BadInputError(f"{option} is empty")
    return value


def http_url(option: str, value: str) -> str:
    """An http(s) URL with a host (and a numeric port, if any)."""
    not_empty(option, value)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise BadInputError(f"{option} {value!r} is not a URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise BadInputError(f"{option} must be an http(s) URL, not {value!r}")
    if not parts.hostname or any(c.isspace() for c in value):
        raise BadInputError(f"{option} {value!r} is not a URL: no host (e.g. http://host:8888)")
    return value


def seconds(option: str, value: str | float) -> float:
    """A number of seconds above 0."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise BadInputError(f"{option} must be a number of seconds above 0, not {value!r}")
    return number


def count(option: str, value: str | int, minimum: int = 1, why: str = "") -> int:
    """A whole number of at least ``minimum``."""
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        because = f" ({why})" if why else ""
        raise BadInputError(
            f"{option} must be a whole number of at least {minimum}{because}, not {value!r}"
        )
    return number


def task_slots(option: str, value: str | int) -> int:
    return count(option, value, 2, "an MSQ query takes two task slots")


def positive(option: str, value: str | int) -> int:
    return count(option, value, 1)


def druid_version(option: str, value: str) -> str:
    """A release this suite can assemble (see fixtures/druid/releases.toml)."""
    from fixtures.releases import release

    not_empty(option, value)
    try:
        release(value)
    except BadInputError as error:
        raise BadInputError(f"{option}: {error}") from None
    return value


def docker_image(option: str, value: str) -> str:
    """An image reference ``docker pull`` accepts, e.g. apache/druid:30.0.0."""
    not_empty(option, value)
    if not _IMAGE.fullmatch(value):
        raise BadInputError(
            f"{option} {value!r} is not an image reference (e.g. apache/druid:30.0.0)"
        )
    return value


def name(option: str, value: str) -> str:
    """A name that is safe as a file name and a container label: letters, digits, ``_.-``."""
    if not _NAME.fullmatch(value):
        raise BadInputError(
            f"{option} {value!r}: use 1 to 64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def writable_dir(option: str, value: str | Path) -> Path:
    """A directory this process can write to, made (with its parents) if absent."""
    if not str(value).strip():
        raise BadInputError(f"{option} is empty")
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{option} {path}: not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInputError(f"{option} {path}: cannot create it ({error.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise BadInputError(f"{option} {path}: not writable")
    return path


def writable_file(option: str, value: str | Path) -> Path:
    """A file path this process can write: not a directory, in a writable directory."""
    if not str(value).strip():
        raise BadInputError(f"{option} is empty")
    path = Path(value)
    if path.is_dir():
        raise BadInputError(f"{option} {path}: is a directory")
    writable_dir(option, path.parent)
    return path
