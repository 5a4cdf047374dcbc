"""The tree imports in one direction: no project module takes part in an import cycle.

The layers themselves are import-linter contracts (``pyproject.toml``, ``lint-imports`` in
``./dev test``); a cycle inside one layer is what they cannot see, so it is checked here on the
same import graph (grimp, import-linter's own).
"""

from __future__ import annotations

import grimp

PACKAGES = ("conformance", "fixtures", "strategies", "reports")


def test_no_module_is_in_an_import_cycle() -> None:
    graph = grimp.build_graph(*PACKAGES)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append(" -> ".join((importer, *back)))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
