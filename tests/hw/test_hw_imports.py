"""The import-direction rule for ``hw``: above numerics and decoder, below design and study."""

from __future__ import annotations

import ast
from pathlib import Path

import janus1

SRC = Path(janus1.__file__).parent


def _imports(folder: Path) -> set[str]:
    """janus1 sub-packages imported by any module under ``folder`` (relative or absolute)."""
    out: set[str] = set()
    for f in folder.rglob("*.py"):
        pkg = f.relative_to(SRC).parts[:-1]
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = list(pkg[:len(pkg) - node.level + 1])
                    parts = base + (node.module.split(".") if node.module else [])
                    if not node.module:
                        parts = base + [a.name for a in node.names][:1]
                elif node.module and node.module.startswith("janus1."):
                    parts = node.module.split(".")[1:]
                else:
                    continue
                if parts:
                    out.add(parts[0])
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("janus1."):
                        out.add(a.name.split(".")[1])
    return out


def test_hw_imports_only_below() -> None:
    used = _imports(SRC / "hw")
    assert not used & {"design", "study", "cli", "sim", "report"}, used
    assert {"models", "config", "errors"} <= used       # the scan does see imports
    assert "hw" in _imports(SRC / "study" / "sections") | _imports(SRC / "cli")


def test_lower_layers_do_not_import_hw() -> None:
    for pkg in ("numerics", "decoder", "models", "sim", "tech", "workload", "trace"):
        assert "hw" not in _imports(SRC / pkg), pkg
