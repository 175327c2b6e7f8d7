"""The registry of RTL blocks.

A block is a name, a frozen parameters dataclass (validated in ``__post_init__``, every
error a one-line :class:`~janus1.errors.ConfigError` naming the parameter), a builder
returning its Amaranth elaboratable, its Python golden model and its co-simulation
driver. Adding a block (issue 18: ``attention``, ``matvec``, ``argmax``) is one entry in
:data:`BLOCKS` and one module; the flow (:mod:`.flow`), ``janus1 rtl`` and the study's
``hardware`` section take it from here.

Nothing here imports Amaranth: the builders import their HDL modules when called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import apply_overrides, from_dict, to_dict
from ..errors import ConfigError
from .decoder_blocks import (AttentionParams, ArgmaxParams, MatvecParams, golden_argmax,
                             golden_attention, golden_matvec)
from .prefetcher import PrefetcherParams, StreamModel

__all__ = ["Block", "BLOCKS", "get_block", "block_names", "block_params"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    """One synthesizable block of the flow."""

    name: str
    summary: str                                   # one line for --help and docs
    params_cls: type                               # frozen dataclass of its parameters
    defaults: Callable[[], Any]                    # its default parameters
    build: Callable[[Any], Any]                    # params -> Amaranth elaboratable
    golden: Callable[[Any], Any]                   # params -> golden model
    cosim: Callable[[Any, int, int], Any]          # (params, seed, accesses) -> CosimResult
    tool_timeout_s: float = 300.0                  # each tool call (issue 18: bigger blocks)


def _build_prefetcher(p: PrefetcherParams) -> Any:
    from ._prefetcher_hdl import StreamPrefetcher

    return StreamPrefetcher(p)


def _cosim_prefetcher(p: PrefetcherParams, seed: int, n: int) -> Any:
    from .cosim import cosim_prefetcher, random_stimulus

    return cosim_prefetcher(p, random_stimulus(p, seed=seed, n=n))


def _build_attention(p: AttentionParams) -> Any:
    from .attention import AttentionKernel

    return AttentionKernel(p)


def _build_matvec(p: MatvecParams) -> Any:
    from .matvec import MatvecEngine

    return MatvecEngine(p.fixed, p.datapath, p.rom(), p.act_bits)


def _build_argmax(p: ArgmaxParams) -> Any:
    from .argmax import ArgmaxScan

    return ArgmaxScan(p.fixed, p.datapath, p.rom(), p.act_bits)


def _cosim_attention(p: AttentionParams, seed: int, n: int) -> Any:
    from .decoder_cosim import cosim_attention, random_attention_cases

    return cosim_attention(p, random_attention_cases(p, n, seed),
                           source=f"{n} random cases (seed {seed})")


def _cosim_matvec(p: MatvecParams, seed: int, n: int) -> Any:
    from .decoder_cosim import cosim_matvec, random_matvec_cases

    rom = p.rom()
    return cosim_matvec(p.fixed, p.datapath, rom, p.act_bits,
                        random_matvec_cases(rom, p.act_bits, n, seed, p.fixed.acc_bits),
                        source=f"{n} random activations over the {rom.source} (seed {seed})")


def _cosim_argmax(p: ArgmaxParams, seed: int, n: int) -> Any:
    from .decoder_cosim import cosim_argmax, random_matvec_cases

    rom = p.rom()
    return cosim_argmax(p.fixed, p.datapath, rom, p.act_bits,
                        random_matvec_cases(rom, p.act_bits, n, seed, p.fixed.acc_bits),
                        source=f"{n} random activations over the {rom.source} (seed {seed})")


BLOCKS: dict[str, Block] = {
    "prefetcher": Block(
        name="prefetcher",
        summary="Janus-Prefetch-1 stream prefetcher (trackers, look-ahead, degree, window)",
        params_cls=PrefetcherParams,
        defaults=PrefetcherParams.from_sim,   # the simulator's default stream config
        build=_build_prefetcher,
        golden=StreamModel,
        cosim=_cosim_prefetcher,
    ),
    # issue 18: the decoder's blocks (janus1.rtl.decoder_blocks)
    "attention": Block(
        name="attention",
        summary="seed 004 M1: streaming attention kernel (online softmax, exp2 LUT, divider)",
        params_cls=AttentionParams,
        defaults=AttentionParams,        # seed004-small datapath, default FixedConfig
        build=_build_attention,
        golden=lambda p: golden_attention,
        cosim=_cosim_attention,
        tool_timeout_s=900.0,    # P&R of ~10K cells: minutes on a loaded 2-core machine
    ),
    "matvec": Block(
        name="matvec",
        summary="seed 004 M2: shared INT8 x INT16 MAC engine with the boot image's weight ROM",
        params_cls=MatvecParams,
        defaults=MatvecParams,
        build=_build_matvec,
        golden=lambda p: golden_matvec,
        cosim=_cosim_matvec,
        tool_timeout_s=900.0,    # P&R of ~10K cells: minutes on a loaded 2-core machine
    ),
    "argmax": Block(
        name="argmax",
        summary="seed 004 M3: classifier as a streamed vocabulary scan with a running argmax",
        params_cls=ArgmaxParams,
        defaults=ArgmaxParams,
        build=_build_argmax,
        golden=lambda p: golden_argmax,
        cosim=_cosim_argmax,
        tool_timeout_s=900.0,    # P&R of ~10K cells: minutes on a loaded 2-core machine
    ),
}


def block_names() -> list[str]:
    """The registered block names."""
    return list(BLOCKS)


def get_block(name: str) -> Block:
    """A block by name.

    Raises:
        ConfigError: unknown block.
    """
    key = str(name).strip().lower()
    if key not in BLOCKS:
        raise ConfigError(f"unknown block {name!r} (known: {', '.join(BLOCKS)})")
    return BLOCKS[key]


def block_params(name: str, overrides: Sequence[str] = ()) -> Any:
    """A block's parameters: its defaults with ``key=value`` overrides applied.

    Raises:
        ConfigError: unknown block, unknown key or a value out of range (one line naming
        the parameter).
    """
    blk = get_block(name)
    base = to_dict(blk.defaults())
    if not overrides:
        return blk.defaults()
    data = apply_overrides(base, list(overrides))
    return from_dict(blk.params_cls, data, source=blk.name)
