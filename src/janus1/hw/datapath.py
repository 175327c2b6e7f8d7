"""DatapathSpec: the decoder's hardware datapath (MAC engines, memories, LUTs, clock).

A datapath is a frozen dataclass built by :func:`janus1.config.from_dict` from a preset
(``src/janus1/presets/datapaths/<name>.toml``) or a TOML file, with ``--set key=value``
overrides applied first; unknown keys are errors. Every number in a preset carries its
source or says it is a choice. What the datapath must hold for a given model (weights on
chip or behind an external memory, a KV RAM big enough for ``seq_len``) is checked by
:func:`check_fits`, which names the field that falls short.

Units: latencies are clock cycles; sizes bytes; the external memory's latency ns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import apply_overrides, from_dict, load_toml
from ..errors import ConfigError, InputError
from ..models.spec import ModelSpec
from ..presets import load_preset, preset_names

__all__ = ["MacSpec", "WeightMemorySpec", "KvRamSpec", "VectorSpec", "LutSpec",
           "AttentionSpec", "DatapathSpec", "load_datapath", "datapath_presets",
           "check_fits", "weight_bytes", "kv_bytes", "ENGINES", "COLLISION_RULES"]

ENGINES = ("shared", "per_layer")
# what a read returns when the other port writes the same address in the same cycle
COLLISION_RULES = ("read_first", "write_first")


def _positive(where: str, **vals: float) -> None:
    for k, v in vals.items():
        if v < 1:
            raise ConfigError(f"{where}.{k} must be at least 1, not {v}")


def _nonneg(where: str, **vals: float) -> None:
    for k, v in vals.items():
        if v < 0:
            raise ConfigError(f"{where}.{k} must be >= 0, not {v}")


@dataclass(frozen=True, slots=True, kw_only=True)
class MacSpec:
    """One MAC engine: ``lanes`` INT8 x INT16 -> INT32 multipliers along a weight row,
    feeding an adder tree and one accumulator per row."""

    lanes: int                      # P: weights of one row consumed per cycle
    pipeline_depth: int = 2         # multiplier pipeline (operand registers + product)
    adder_tree_latency: int = 2     # cycles through the P-input adder tree
    accumulate_latency: int = 1     # tree output into the row accumulator
    writeback_latency: int = 1      # the rounding, saturating shift to F (register slice)

    def __post_init__(self) -> None:
        _positive("mac", lanes=self.lanes)
        _nonneg("mac", pipeline_depth=self.pipeline_depth,
                adder_tree_latency=self.adder_tree_latency,
                accumulate_latency=self.accumulate_latency,
                writeback_latency=self.writeback_latency)


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightMemorySpec:
    """Where the weights live: on-chip BRAM/URAM, or an external memory that streams them."""

    onchip_bytes: int                       # on-chip weight capacity (0: none)
    port_bytes_per_cycle: int               # on-chip read port width, bytes per cycle
    read_latency: int = 2                   # on-chip read latency, cycles
    external_bandwidth_bytes_per_s: float = 0.0   # external memory bandwidth (0: none)
    external_latency_ns: float = 0.0        # first-word latency of the external memory

    def __post_init__(self) -> None:
        _nonneg("weights", onchip_bytes=self.onchip_bytes, read_latency=self.read_latency,
                external_bandwidth=self.external_bandwidth_bytes_per_s,
                external_latency_ns=self.external_latency_ns)
        _positive("weights", port_bytes_per_cycle=self.port_bytes_per_cycle)


@dataclass(frozen=True, slots=True, kw_only=True)
class KvRamSpec:
    """The KV RAM: per layer one K and one V dual-port RAM (read on one port, written on the
    other); rows are ``head_size`` mantissas plus one exponent byte (a side RAM)."""

    capacity_bytes: int              # all layers, K and V, mantissas and exponents
    width_bytes: int                 # bytes per port per cycle (one beat)
    read_latency: int = 2            # cycles from read address to data
    collision: str = "read_first"    # same-cycle same-address: read returns old/new data
    guard: bool = True               # the attention controller waits for the row's write
    k_bits: int = 8                  # K mantissa bits (seed: Signed 8)
    v_bits: int = 8                  # V mantissa bits

    def __post_init__(self) -> None:
        _positive("kv_ram", capacity_bytes=self.capacity_bytes, width_bytes=self.width_bytes)
        _nonneg("kv_ram", read_latency=self.read_latency)
        if self.collision not in COLLISION_RULES:
            raise ConfigError(f"kv_ram.collision: {self.collision!r} is not one of "
                              f"{', '.join(COLLISION_RULES)}")
        for k in ("k_bits", "v_bits"):
            if getattr(self, k) not in (8, 16):
                raise ConfigError(f"kv_ram.{k} must be 8 or 16, not {getattr(self, k)}")

    @property
    def k_bytes(self) -> int:
        """Bytes per K mantissa."""
        return self.k_bits // 8

    @property
    def v_bytes(self) -> int:
        """Bytes per V mantissa."""
        return self.v_bits // 8


@dataclass(frozen=True, slots=True, kw_only=True)
class VectorSpec:
    """The element-wise unit: residual adds, RMSNorm passes, RoPE, PoT shifts."""

    lanes: int                       # elements per cycle
    reduce_latency: int = 3          # square + adder tree of the mean-square pass
    mul_latency: int = 2             # a multiply stage chain (RMSNorm scale, RoPE rotation)

    def __post_init__(self) -> None:
        _positive("vector", lanes=self.lanes)
        _nonneg("vector", reduce_latency=self.reduce_latency, mul_latency=self.mul_latency)


@dataclass(frozen=True, slots=True, kw_only=True)
class LutSpec:
    """Latencies of the math primitives (each pipelined, one input per cycle)."""

    exp2_latency: int = 4            # log2(e) multiply, LUT read, interpolation, shift
    invsqrt_latency: int = 6         # LZC, normalize, seed LUT, one Newton step (3 mults)
    divider_latency: int = 34        # the integer divider (radix-2, pipelined)

    def __post_init__(self) -> None:
        _nonneg("lut", exp2_latency=self.exp2_latency, invsqrt_latency=self.invsqrt_latency,
                divider_latency=self.divider_latency)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionSpec:
    """The streaming attention kernel (M1): one per layer, fed by the KV RAM's read port."""

    q_latch: int = 1                 # LZC of the query's max and the q register load
    score_latency: int = 3           # the K-row dot (multipliers + tree) and its shift
    softmax_latency: int = 1         # running-max compare/select (exp2 latency added)
    update_latency: int = 1          # acc = acc * sc + w * v (one cycle recurrence)

    def __post_init__(self) -> None:
        _nonneg("attention", q_latch=self.q_latch, score_latency=self.score_latency,
                softmax_latency=self.softmax_latency, update_latency=self.update_latency)


@dataclass(frozen=True, slots=True, kw_only=True)
class DatapathSpec:
    """The decoder's datapath (see the module docstring)."""

    name: str
    source: str
    clock_hz: float
    mac: MacSpec
    weights: WeightMemorySpec
    kv_ram: KvRamSpec
    engines: str = "shared"          # one MAC engine for every matvec, or one per layer
    vector: VectorSpec = field(default_factory=lambda: VectorSpec(lanes=8))
    lut: LutSpec = field(default_factory=LutSpec)
    attention: AttentionSpec = field(default_factory=AttentionSpec)
    argmax_latency: int = 1          # the running (max, index) compare-select stage
    skid_depth: int = 2              # entries of each layer's input buffer (prefill)
    handshake_cycles: int = 1        # valid/ready register between layers (prefill)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.clock_hz > 0:
            raise ConfigError(f"datapath {self.name}: clock must be positive, "
                              f"not {self.clock_hz}")
        if self.engines not in ENGINES:
            raise ConfigError(f"engines: {self.engines!r} is not one of {', '.join(ENGINES)}")
        _positive("datapath", skid_depth=self.skid_depth)
        _nonneg("datapath", argmax_latency=self.argmax_latency,
                handshake_cycles=self.handshake_cycles)

    def replace(self, **changes: Any) -> DatapathSpec:
        """A copy with top-level fields changed (``mac=``, ``engines=``, ...)."""
        import dataclasses

        return dataclasses.replace(self, **changes)

    def with_lanes(self, lanes: int) -> DatapathSpec:
        """A copy with ``lanes`` MAC lanes and a weight port of ``lanes`` bytes per cycle."""
        import dataclasses

        return dataclasses.replace(
            self, mac=dataclasses.replace(self.mac, lanes=lanes),
            weights=dataclasses.replace(self.weights, port_bytes_per_cycle=lanes))

    @property
    def external_latency_cycles(self) -> int:
        """The external memory's first-word latency in cycles (rounded up)."""
        return math.ceil(self.weights.external_latency_ns * 1e-9 * self.clock_hz - 1e-9)

    @property
    def external_bytes_per_cycle(self) -> float:
        """What the external memory delivers per cycle (0 without one)."""
        return self.weights.external_bandwidth_bytes_per_s / self.clock_hz


def datapath_presets() -> list[str]:
    """Names of the shipped datapath presets."""
    return preset_names("datapaths")


def load_datapath(src: str | Path, overrides: Sequence[str] = ()) -> DatapathSpec:
    """A DatapathSpec from a preset name or a TOML file, with ``key=value`` overrides.

    Raises:
        InputError: an unknown preset or a missing file.
        ConfigError: an unparsable file, an unknown key or an impossible value.
    """
    s = str(src)
    p = Path(s)
    data: dict[str, Any]
    if s.lower() in datapath_presets():
        data = load_preset("datapaths", s)
        where = f"datapath {s.lower()}"
    elif p.suffix == ".toml" or "/" in s or "\\" in s:
        if not p.exists():
            raise InputError(f"{s}: no such file")
        data = load_toml(p)
        data.setdefault("name", p.stem)
        where = str(p)
    else:
        raise InputError(f"unknown datapath {s!r} (known: {', '.join(datapath_presets())})")
    if overrides:
        data = apply_overrides(data, list(overrides))
    return from_dict(DatapathSpec, data, source=where)


def weight_bytes(spec: ModelSpec) -> int:
    """Bytes of the fixed-point decoder's weights as stored (export image layout).

    INT8 mantissas of every matrix (embedding; classifier unless tied; per layer wq, wk,
    wv, wo, w1, w2, w3) plus one exponent byte per row; RMSNorm gains as INT16 mantissas
    plus one exponent byte per vector. Tables (exp2, invsqrt, RoPE) are not weights.
    """
    L, d, h, q, kv, V = (spec.n_layers, spec.dim, spec.hidden_dim, spec.q_dim, spec.kv_dim,
                         spec.vocab_size)
    mats = [(V, d)] + ([] if spec.tied_classifier else [(V, d)])
    mats += [(q, d), (kv, d), (kv, d), (d, q), (h, d), (d, h), (h, d)] * L
    total = sum(r * c + r for r, c in mats)
    total += (2 * L + 1) * (2 * d + 1)
    return total


def kv_bytes(spec: ModelSpec, dp: DatapathSpec) -> int:
    """Bytes the KV RAM must hold: every layer, K and V, ``seq_len`` rows per KV head of
    ``head_size`` mantissas plus one exponent byte."""
    kv = dp.kv_ram
    per_row = spec.head_size * (kv.k_bytes + kv.v_bytes) + 2
    return spec.n_layers * spec.n_kv_heads * spec.seq_len * per_row


def check_fits(spec: ModelSpec, dp: DatapathSpec) -> None:
    """Raise ConfigError naming the datapath field that cannot hold ``spec``.

    Raises:
        ConfigError: the model is not a llama (RMSNorm, SwiGLU, RoPE), the weights fit
            neither on chip nor behind an external memory, or the KV RAM is too small.
    """
    if spec.arch != "llama" or spec.norm != "rmsnorm" or spec.activation != "swiglu":
        raise ConfigError(f"model {spec.name or '?'}: the schedule models the fixed-point "
                          f"llama decoder (RMSNorm, RoPE, SwiGLU), not "
                          f"{spec.arch}/{spec.norm}/{spec.activation}")
    wb = weight_bytes(spec)
    if wb > dp.weights.onchip_bytes and dp.weights.external_bandwidth_bytes_per_s <= 0:
        raise ConfigError(f"datapath {dp.name}: weights.onchip: {spec.name or 'the model'}'s "
                          f"weights need {wb:,} B, more than the {dp.weights.onchip_bytes:,} B "
                          f"on chip, and no weights.external_bandwidth is declared")
    need = kv_bytes(spec, dp)
    if dp.kv_ram.capacity_bytes < need:
        raise ConfigError(f"datapath {dp.name}: kv_ram.capacity: {dp.kv_ram.capacity_bytes:,} B "
                          f"is smaller than the KV cache of {spec.name or 'the model'} "
                          f"({spec.n_layers} layers x seq_len {spec.seq_len} x kv_dim "
                          f"{spec.kv_dim}, K and V with exponents: {need:,} B)")


def weights_on_chip(spec: ModelSpec, dp: DatapathSpec) -> bool:
    """Whether the weights sit on chip (else they stream from the external memory)."""
    return weight_bytes(spec) <= dp.weights.onchip_bytes
