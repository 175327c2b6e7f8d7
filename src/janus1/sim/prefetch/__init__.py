"""Prefetchers: one module per policy, chosen by name through :data:`REGISTRY`.

**The contract.** A policy module defines:

- ``Config``, a frozen dataclass of its parameters (every knob sweepable);
- ``make_state(cfg)``, its state: one int64 array ``pf``, laid out by named offsets,
  module-level integers whose names start with ``PF_`` (``PF_CLOCK = 4``);
- ``on_access(pf, x, hit, pf_out) -> npf``, its hook. The simulator calls it on every
  demand access to a new first-level line (repeats of the line just accessed are not
  shown to it) with ``x`` the line and ``hit`` whether the first level held it; it may
  update ``pf`` and asks for lines by writing them to ``pf_out[0:npf]`` (at most 64).
  Prefetches fill the first level (and every level they missed).

The hook is ordinary numba-compilable Python, but the simulator does not call it: it
pastes its body into the compiled loop (no per-access call, see
:mod:`janus1.sim.kernels.timed`). So a hook touches only its own state, and
:func:`hook_problems` enforces it (the kernel builder refuses a hook that breaks it,
and ``tests/sim/test_prefetch_contract.py`` checks every registered one):

- its parameters are exactly ``pf, x, hit, pf_out``; its last statement is
  ``return npf`` and it has no other ``return``;
- it assigns only ``npf``, names starting with ``pf_`` and items of ``pf`` and
  ``pf_out`` (a local must be assigned before it is read: pasted into the loop, it
  would otherwise keep the previous call's value; state that lasts goes in ``pf``);
- it reads only those, its ``PF_*`` integer constants and the builtins ``range``,
  ``min``, ``max``, ``abs``; it calls only those builtins; no imports, nested
  functions, ``global`` or ``nonlocal``.

Adding a policy is adding such a module and a :data:`REGISTRY` entry.

Names: ``none``, ``next-line``, ``stride``, ``stream`` (Janus-Prefetch-1; alias
``janus-prefetch-1``).
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...config import from_dict
from ...errors import ConfigError
from . import next_line, none, stream, stride

__all__ = ["PrefetcherSpec", "REGISTRY", "build_prefetcher", "resolve_name", "hook_function",
           "hook_problems", "hook_body", "HOOK_PARAMS", "HOOK_BUILTINS"]

HOOK_PARAMS = ("pf", "x", "hit", "pf_out")
HOOK_BUILTINS = frozenset({"range", "min", "max", "abs"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefetcherSpec:
    """A registered prefetch policy."""

    name: str                                   # canonical name
    code: int                                   # registry code (unique)
    config_cls: type                            # its frozen Config dataclass
    make_state: Callable[[Any], np.ndarray]     # config -> int64 state array
    on_access: Callable[..., int]               # the hook (see the module docstring)
    summary: str                                # one line for --help and docs

    @property
    def prefetches(self) -> bool:
        """False for the ``none`` policy: it never asks for a line."""
        return self.on_access is not none.on_access


REGISTRY: dict[str, PrefetcherSpec] = {
    "none": PrefetcherSpec(name="none", code=none.CODE, config_cls=none.Config,
                           make_state=none.make_state, on_access=none.on_access,
                           summary="no prefetching"),
    "next-line": PrefetcherSpec(name="next-line", code=next_line.CODE,
                                config_cls=next_line.Config, make_state=next_line.make_state,
                                on_access=next_line.on_access,
                                summary="fetch the next `degree` lines after every line"),
    "stride": PrefetcherSpec(name="stride", code=stride.CODE, config_cls=stride.Config,
                             make_state=stride.make_state, on_access=stride.on_access,
                             summary="reference prediction table per 4 KiB region"),
    "stream": PrefetcherSpec(name="stream", code=stream.CODE, config_cls=stream.Config,
                             make_state=stream.make_state, on_access=stream.on_access,
                             summary="Janus-Prefetch-1: stream trackers with look-ahead"),
}
_ALIASES = {"next_line": "next-line", "nextline": "next-line",
            "janus-prefetch-1": "stream", "janus_prefetch_1": "stream", "off": "none"}


def build_prefetcher(name: str, options: Mapping[str, Any] | None = None
                     ) -> tuple[PrefetcherSpec, Any, np.ndarray]:
    """Resolve a policy by name and build its config and initial state.

    Args:
        name: a registered name or alias (case-insensitive).
        options: values for the policy's ``Config`` fields (e.g. ``{"lookahead": 16}``).

    Returns:
        ``(spec, config, state)``.

    Raises:
        ConfigError: unknown name or bad option.
    """
    key = resolve_name(name)
    spec = REGISTRY[key]
    cfg = from_dict(spec.config_cls, dict(options or {}), source=f"prefetcher {key}")
    return spec, cfg, spec.make_state(cfg)


def resolve_name(name: str) -> str:
    """The canonical name of a policy (aliases accepted, case-insensitive).

    Raises:
        ConfigError: unknown name.
    """
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in REGISTRY:
        raise ConfigError(f"unknown prefetcher {name!r} (known: {', '.join(REGISTRY)})")
    return key


def hook_function(name: str) -> Callable[[np.ndarray, int, bool, np.ndarray], int]:
    """Policy ``name``'s hook compiled alone, ``f(pf, x, hit, pf_out) -> npf`` (tests)."""
    from numba import njit

    return njit(REGISTRY[resolve_name(name)].on_access)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=None)
def _parse(fn: Callable[..., Any]) -> tuple[ast.FunctionDef, list[str]]:
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    tree = ast.parse("\n".join(lines))
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef):
        raise ConfigError(f"prefetch hook {fn!r} is not a plain function")
    return node, lines


def _targets(t: ast.AST) -> list[ast.AST]:
    if isinstance(t, ast.Tuple | ast.List):
        return [x for e in t.elts for x in _targets(e)]
    if isinstance(t, ast.Starred):
        return _targets(t.value)
    return [t]


def hook_problems(fn: Callable[..., Any]) -> list[str]:
    """What in hook ``fn`` breaks the prefetcher contract (empty when it keeps it)."""
    where = f"{fn.__module__}.{fn.__name__}"
    node, _ = _parse(fn)
    out: list[str] = []
    a = node.args
    params = [p.arg for p in a.args]
    if tuple(params) != HOOK_PARAMS or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        out.append(f"{where}: parameters must be ({', '.join(HOOK_PARAMS)}), not "
                   f"({', '.join(params)})")
    last = node.body[-1] if node.body else None
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Name)
            and last.value.id == "npf"):
        out.append(f"{where}: the last statement must be `return npf`")
    consts = {k for k, v in fn.__globals__.items()
              if k.startswith("PF_") and isinstance(v, int) and not isinstance(v, bool)}
    # the annotations of the signature are not the hook's code: walk the body only
    for sub in (x for stmt in node.body for x in ast.walk(stmt)):
        line = f"{where} line {getattr(sub, 'lineno', '?')}"
        if isinstance(sub, ast.Return) and sub is not last:
            out.append(f"{line}: `return` before the end")
        elif isinstance(sub, ast.Global | ast.Nonlocal | ast.Import | ast.ImportFrom
                        | ast.Lambda | ast.ClassDef | ast.Delete | ast.Yield
                        | ast.YieldFrom | ast.Await | ast.Try | ast.With):
            out.append(f"{line}: {type(sub).__name__} is not allowed in a hook")
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef) and sub is not node:
            out.append(f"{line}: nested function")
        elif isinstance(sub, ast.Call):
            if not (isinstance(sub.func, ast.Name) and sub.func.id in HOOK_BUILTINS):
                out.append(f"{line}: calls {ast.unparse(sub.func)} (only "
                           f"{', '.join(sorted(HOOK_BUILTINS))})")
        elif isinstance(sub, ast.Attribute):
            out.append(f"{line}: attribute {ast.unparse(sub)}")
        targets: list[ast.AST] = []
        if isinstance(sub, ast.Assign):
            targets = [x for t in sub.targets for x in _targets(t)]
        elif isinstance(sub, ast.AugAssign | ast.AnnAssign | ast.For | ast.NamedExpr):
            targets = _targets(sub.target)
        elif isinstance(sub, ast.comprehension):
            targets = _targets(sub.target)
        for t in targets:
            if isinstance(t, ast.Name):
                if not (t.id == "npf" or t.id.startswith("pf_")) or t.id == "pf_out":
                    out.append(f"{line}: assigns {t.id!r} (a hook assigns only npf, "
                               "pf_* locals and items of pf and pf_out)")
            elif isinstance(t, ast.Subscript):
                if not (isinstance(t.value, ast.Name) and t.value.id in ("pf", "pf_out")):
                    out.append(f"{line}: assigns an item of {ast.unparse(t.value)}")
            else:
                out.append(f"{line}: assigns {ast.unparse(t)}")
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            ok = (sub.id in HOOK_PARAMS or sub.id == "npf" or sub.id.startswith("pf_")
                  or sub.id in HOOK_BUILTINS or sub.id in consts)
            if not ok:
                out.append(f"{line}: reads {sub.id!r} (not its argument, local, PF_ "
                           "constant or an allowed builtin)")
    return out


def hook_body(fn: Callable[..., Any]) -> tuple[str, tuple[str, ...]]:
    """The hook's body as source text to paste into a kernel (without its docstring
    and final ``return npf``, dedented) and the ``PF_*`` constants it reads.

    Raises:
        ConfigError: the hook breaks the contract (:func:`hook_problems`).
    """
    problems = hook_problems(fn)
    if problems:
        raise ConfigError("prefetch hook breaks the contract: " + "; ".join(problems))
    node, lines = _parse(fn)
    body = node.body[:-1]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if not body:
        return "pass\n", ()
    text = "\n".join(lines[body[0].lineno - 1: node.body[-1].lineno - 1])
    names = sorted({n.id for n in ast.walk(node)
                    if isinstance(n, ast.Name) and n.id.startswith("PF_")})
    return textwrap.dedent(text).strip("\n") + "\n", tuple(names)
