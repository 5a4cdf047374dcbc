"""Regenerate the Java Unicode name tables in conformance/oracle/java_regex.py.

Whether ``\\p{IsLatin}``, ``\\p{InGreek}`` or ``\\N{NAME}`` compiles depends on the names the
JVM knows; the oracle keeps a copy of Java 17's. This runs tests/java/UnicodeNames.java (which
needs Python's own character names on stdin, to say which of them the JVM lacks) and writes its
output between the "java-unicode-names" markers of the module. Needs javac and java 17:

    .venv/bin/python tests/java/regenerate_unicode_names.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "conformance" / "oracle" / "java_regex.py"
RULE = "# " + "-" * 75  # as the module's other section rules
BEGIN, END = f"{RULE} java-unicode-names", f"{RULE} end java-unicode-names"


def python_names() -> str:
    """Every character Python's unicodedata names, as ``HEX<tab>NAME`` lines."""
    lines = []
    for cp in range(0x110000):
        name = unicodedata.name(chr(cp), "")
        if name:
            lines.append(f"{cp:X}\t{name}\n")
    return "".join(lines)


def java_tables() -> str:
    """UnicodeNames' output: a ``# java VERSION`` line, then the tables as Python source."""
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            ["javac", "-d", scratch, str(Path(__file__).parent / "UnicodeNames.java")],
            check=True,
        )
        return subprocess.run(
            [
                "java",
                "--add-opens",
                "java.base/java.lang=ALL-UNNAMED",
                "-cp",
                scratch,
                "UnicodeNames",
            ],
            input=python_names(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def main() -> int:
    """Rewrite the marked block; say which Java and Python it came from."""
    printed = java_tables()
    version, _, tables = printed.partition("\n")
    text = MODULE.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN + "\n")
    _, _, tail = rest.partition(END)
    comment = [
        f"# Java {version.removeprefix('# java ')}'s names, and which of Python's "
        f"(Unicode {unicodedata.unidata_version}) it lacks.",
        "# Written by tests/java/regenerate_unicode_names.py from tests/java/UnicodeNames.java,",
        "# which says the format; tests/test_java_regex.py compares them with the JVM at hand.",
    ]
    MODULE.write_text(head + BEGIN + "\n" + "\n".join(comment) + "\n" + tables + END + tail)
    print(f"{MODULE}: tables from Java {version.removeprefix('# java ')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
