"""Prefetchers: one module per policy, chosen by name through :data:`REGISTRY`.

Each policy module defines ``CODE``, a frozen ``Config`` dataclass (every knob
sweepable), ``make_state(cfg)`` (an int64 state array ``pf``) and ``HOOK``: the source
of its access hook, which reads ``x`` (the first-level line accessed), ``hit`` and
its state ``pf``, writes the lines to prefetch into ``pf_out`` and sets ``npf``. The
simulator pastes the chosen hook into its compiled loop when it builds the kernel (no
per-access call, see docs/simulator.md); :func:`hook_function` compiles a hook alone
for tests. Prefetchers train on demand
accesses to a new first-level line (repeats of the line just accessed are not shown to
them) and fill the first level.

Names: ``none``, ``next-line``, ``stride``, ``stream`` (Janus-Prefetch-1; alias
``janus-prefetch-1``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...config import from_dict
from ...errors import ConfigError
from . import next_line, none, stream, stride

__all__ = ["PrefetcherSpec", "REGISTRY", "prefetcher_names", "build_prefetcher", "resolve_name",
           "hook_function"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefetcherSpec:
    """A registered prefetch policy."""

    name: str                                   # canonical name
    code: int                                   # branch in the compiled dispatch
    config_cls: type                            # its frozen Config dataclass
    make_state: Callable[[Any], np.ndarray]     # config -> int64 state array
    hook: str                                   # the access hook's source
    summary: str                                # one line for --help and docs


REGISTRY: dict[str, PrefetcherSpec] = {
    "none": PrefetcherSpec(name="none", code=none.CODE, config_cls=none.Config,
                           make_state=none.make_state, hook=none.HOOK, summary="no prefetching"),
    "next-line": PrefetcherSpec(name="next-line", code=next_line.CODE,
                                config_cls=next_line.Config, make_state=next_line.make_state,
                                hook=next_line.HOOK,
                                summary="fetch the next `degree` lines after every line"),
    "stride": PrefetcherSpec(name="stride", code=stride.CODE, config_cls=stride.Config,
                             make_state=stride.make_state, hook=stride.HOOK,
                             summary="reference prediction table per 4 KiB region"),
    "stream": PrefetcherSpec(name="stream", code=stream.CODE, config_cls=stream.Config,
                             make_state=stream.make_state, hook=stream.HOOK,
                             summary="Janus-Prefetch-1: stream trackers with look-ahead"),
}
_ALIASES = {"next_line": "next-line", "nextline": "next-line",
            "janus-prefetch-1": "stream", "janus_prefetch_1": "stream", "off": "none"}


def prefetcher_names() -> list[str]:
    """Canonical names of the registered policies."""
    return list(REGISTRY)


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
    """Compile policy ``name``'s hook alone as ``f(pf, x, hit, pf_out) -> npf`` (for tests)."""
    import textwrap

    from numba import njit

    body = textwrap.indent(REGISTRY[resolve_name(name)].hook.strip("\n"), "    ")
    src = f"def on_access(pf, x, hit, pf_out):\n    npf = 0\n{body}\n    return npf\n"
    ns: dict[str, Any] = {}
    exec(compile(src, f"<prefetch hook {name}>", "exec"), ns)  # noqa: S102 - our own source
    return njit(ns["on_access"])  # type: ignore[no-any-return]
