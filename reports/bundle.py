"""Certification bundles: a tar.gz of named files and a manifest of their SHA-256 sums.

The manifest (``MANIFEST.sha256``, in ``sha256sum`` format, so ``sha256sum -c`` also checks an
unpacked bundle) is what makes a bundle tamper-evident: :func:`problems` names every file that
differs from its sum, is missing, or is not listed.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Mapping
from pathlib import Path

from fixtures.errors import BadInputError

MANIFEST = "MANIFEST.sha256"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(files: Mapping[str, bytes]) -> bytes:
    return "".join(f"{sha256(files[name])}  {name}\n" for name in sorted(files)).encode()


def write(path: Path, files: Mapping[str, bytes]) -> Path:
    """A gzip'd tar of ``files`` (name -> content) plus their manifest, deterministic order."""
    everything = {**files, MANIFEST: manifest(files)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name in sorted(everything):
            info = tarfile.TarInfo(name)
            info.size = len(everything[name])
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(everything[name]))
    return path


def read(path: Path) -> dict[str, bytes]:
    """The files of a bundle, name -> content; judging them is :func:`problems`' job."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            files: dict[str, bytes] = {}
            for member in tar.getmembers():
                if not member.isfile() or member.name.startswith("/") or ".." in member.name:
                    raise BadInputError(f"{path}: unexpected member {member.name!r}")
                handle = tar.extractfile(member)
                files[member.name] = handle.read() if handle is not None else b""
            return files
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BadInputError(f"{path}: not a readable tar.gz bundle ({error})") from None


def problems(files: Mapping[str, bytes]) -> list[str]:
    """What is wrong with a bundle's files against its manifest (empty: intact)."""
    if MANIFEST not in files:
        return [f"no {MANIFEST}"]
    listed: dict[str, str] = {}
    for line in files[MANIFEST].decode(errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    found = [f"{name}: not in the manifest" for name in files if name not in (*listed, MANIFEST)]
    for name, digest in listed.items():
        if name not in files:
            found.append(f"{name}: listed but missing")
        elif sha256(files[name]) != digest:
            found.append(f"{name}: SHA-256 differs from the manifest")
    return found
