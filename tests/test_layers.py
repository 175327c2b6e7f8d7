"""Dependencies point down: every janus1 module's imports against the floor table of
docs/ARCHITECTURE.md; no private module across packages; no ``except ImportError`` around
janus1's own modules; sections share helpers through one study module; the one
definition of the precision names and of the byte formulas is what the call sites use."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "janus1"
DOC = ROOT / "docs" / "ARCHITECTURE.md"


def _floors() -> dict[str, int]:
    """``{package: floor}`` from the table under "## Dependency floors"."""
    text = DOC.read_text(encoding="utf-8").split("## Dependency floors", 1)[1]
    text = text.split("\n## ", 1)[0]  # that section only (other tables have number columns)
    floors: dict[str, int] = {}
    for m in re.finditer(r"^\|\s*(\d+)\s*\|([^|]*)\|", text, re.M):
        for name in re.findall(r"`([\w.]+)`", m.group(2)):
            floors[name] = int(m.group(1))
    return floors


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(mod: str) -> bool:
    return (SRC.parent / mod.replace(".", "/") / "__init__.py").exists()


def _exists(mod: str) -> bool:
    p = SRC.parent / mod.replace(".", "/")
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def _imports(path: Path) -> list[tuple[str, ast.stmt]]:
    """Absolute janus1 module names imported by ``path`` (``from x import y`` counts as
    importing ``x.y`` when that is a module), with their nodes."""
    mod = _module_name(path)
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: list[tuple[str, ast.stmt]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node) for a in node.names if a.name.split(".")[0] == "janus1"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "janus1":
                continue
            subs = [f"{target}.{a.name}" for a in node.names if _exists(f"{target}.{a.name}")]
            out += [(t, node) for t in subs] or [(target, node)]
    return out


def _row(mod: str, floors: dict[str, int]) -> str | None:
    """The table row of a module: the longest listed dotted prefix (after ``janus1.``)."""
    if mod == "janus1":
        return "janus1"
    parts = mod.split(".")[1:]
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in floors:
            return key
    return None


MODULES = sorted(SRC.rglob("*.py"))


def test_every_package_has_a_floor() -> None:
    floors = _floors()
    assert {"hw", "rtl", "sweep", "sim.dram", "design", "study", "cli"} <= set(floors)
    missing = {_module_name(p) for p in MODULES if _row(_module_name(p), floors) is None}
    assert not missing, f"add these to the floor table of docs/ARCHITECTURE.md: {missing}"


def test_imports_point_down() -> None:
    floors = _floors()
    bad = []
    for path in MODULES:
        src = _module_name(path)
        src_row = _row(src, floors)
        for target, node in _imports(path):
            row = _row(target, floors)
            if src_row is None or row is None:
                continue
            if floors[row] > floors[src_row]:
                bad.append(f"{src}:{node.lineno} imports {target} "
                           f"(floor {floors[row]} > {floors[src_row]})")
    assert not bad, "\n".join(bad)


def _private(mod: str) -> bool:
    return any(p.startswith("_") and not p.startswith("__") for p in mod.split(".")[1:])


def _package(mod: str) -> str:
    return ".".join(mod.split(".")[:2])


def test_no_private_module_across_packages() -> None:
    bad = [f"{_module_name(p)}:{n.lineno} imports {t}"
           for p in MODULES for t, n in _imports(p)
           if _private(t) and _package(t) != _package(_module_name(p))]
    assert not bad, "\n".join(bad)


def test_no_import_error_guard_around_own_modules() -> None:
    bad = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            catches = any(isinstance(h.type, ast.Name) and h.type.id in ("ImportError",
                                                                         "ModuleNotFoundError")
                          for h in node.handlers)
            own = any(isinstance(n, ast.ImportFrom) and (n.level or (n.module or "")
                                                         .startswith("janus1"))
                      for stmt in node.body for n in ast.walk(stmt))
            if catches and own:
                bad.append(f"{_module_name(path)}:{node.lineno}")
    assert not bad, "except ImportError around janus1's own modules: " + ", ".join(bad)


def test_sections_do_not_import_each_other() -> None:
    bad = [f"{_module_name(p)} imports {t}"
           for p in (SRC / "study" / "sections").glob("*.py") for t, _ in _imports(p)
           if t.startswith("janus1.study.sections.")]
    assert not bad, "\n".join(bad)


def test_relative_imports_stay_inside_janus1() -> None:
    # a function-level ``from ...x import y`` one dot too many fails only when it runs
    bad = []
    for path in MODULES:
        mod = _module_name(path)
        depth = len((mod if path.name == "__init__.py" else mod.rpartition(".")[0]).split("."))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > depth:
                bad.append(f"{mod}:{node.lineno}")
    assert not bad, "relative import above janus1: " + ", ".join(bad)


def test_the_layer_check_can_fail() -> None:
    # the checker itself: a workload module importing design is caught
    floors = _floors()
    assert floors["design"] > floors["workload"]
    assert _row("janus1.design.spec", floors) == "design"
    assert _row("janus1.workload.x", floors) == "workload"
    assert _row("janus1.sim.dram.channel", floors) == "sim.dram"
    assert _private("janus1.decoder._blas") and not _private("janus1.decoder.quant")


# ---- one definition of the precision names and the byte formulas ----

PRECISION_NAMES = {"fp32", "fp16", "bf16", "int8", "int4"}


def _string_collections(path: Path) -> list[tuple[int, set[str]]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            vals = {e.value for e in node.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        elif isinstance(node, ast.Dict):
            vals = {k.value for k in node.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        else:
            continue
        out.append((node.lineno, vals))
    return out


def test_precision_names_are_defined_once() -> None:
    # a list of three or more precision names anywhere but janus1.precision is a second
    # definition (per-precision data keyed by name, as tech.tile's, is checked below)
    allowed = {SRC / "precision.py", SRC / "tech" / "tile.py"}
    bad = [f"{_module_name(p)}:{line}" for p in MODULES if p not in allowed
           for line, vals in _string_collections(p) if len(vals & PRECISION_NAMES) >= 3]
    assert not bad, "precision names listed outside janus1.precision: " + ", ".join(bad)


@pytest.mark.parametrize("module", [
    "cli/commands/analyze.py", "cli/commands/ppa.py", "cli/commands/simulate.py",
    "cli/commands/tile.py", "workload/device.py", "workload/precision.py",
    "tech/tile.py", "decoder/quant.py", "study/sections/kvcache.py",
])
def test_precision_call_sites_import_the_definition(module: str) -> None:
    targets = {t for t, _ in _imports(SRC / module)}
    assert targets & {"janus1.precision", "janus1.tech.tile"}, \
        f"{module} does not import janus1.precision"


def _option_choices(path: Path) -> dict[str, ast.Call]:
    """``--precision``-like click options of a command module and their calls."""
    out = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "option"
                and node.args and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).endswith("precision")):
            out[f"{path.stem} {node.args[0].value!s}"] = node
    return out


def test_every_precision_option_is_a_choice() -> None:
    opts = {}
    for p in (SRC / "cli" / "commands").glob("*.py"):
        opts.update(_option_choices(p))
    assert len(opts) >= 5
    for name, call in opts.items():
        kw = {k.arg: k.value for k in call.keywords}
        t = kw.get("type")
        assert isinstance(t, ast.Call) and getattr(t.func, "attr", "") == "Choice", name
        src = ast.unparse(t.args[0])
        assert src in ("PRECISION_NAMES", "TILE_PRECISIONS", "list(PRECISION_NAMES)",
                       "list(TILE_PRECISIONS)"), f"{name}: Choice over {src}"


@pytest.mark.parametrize("module,names", [
    ("decoder/quant.py", {"kv_bytes_per_token", "stored_weight_bytes"}),
    ("decoder/kvstudy.py", {"roofline_point", "analyze"}),
])
def test_formula_call_sites_import_workload(module: str, names: set[str]) -> None:
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                and n.level and (n.module or "").startswith("workload") or
                isinstance(n, ast.ImportFrom) and (n.module or "").startswith("janus1.workload")
                for a in n.names}
    assert names <= imported, f"{module} imports {imported}"
    # and defines no formula of its own for them: 2 x n_layers x kv_dim appears nowhere
    text = (SRC / module).read_text(encoding="utf-8")
    assert "2 * spec.n_layers * spec.kv_dim" not in text
