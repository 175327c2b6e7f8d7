"""Workload analysis: what a model needs per token and how long a device takes.

Counting conventions (stated once, used everywhere):

- FLOPs count multiply-accumulates as 2 operations and include only matrix products and
  attention (QK^T and PV); norms, RoPE, softmax, activations and biases are left out, as
  GenZ and LLM-Viewer do (they are < 1% of the total for the presets).
- Bytes moved count weights and the KV cache (reads and, by default, the writes of new
  K/V rows); activations are assumed to stay on chip.
- Decode: one step generates one token for each of ``batch`` sequences whose KV cache
  already holds ``context`` positions; the step reads every weight once and each
  sequence's whole cache.
- Prefill: ``batch`` prompts of ``context`` tokens; weights are read once for the whole
  prompt. By default attention is causal (token i attends to i+1 keys) and the
  classifier runs on the last prompt token only. ``counting="genz"`` reproduces GenZ
  (shared/reference/genz.md): non-causal attention, classifier on every prompt token,
  an input-embedding GEMM, and no KV-write bytes.
- Time is a per-operator roofline summed over operators: each operator takes
  max(FLOPs / peak, bytes / bandwidth), with no overlap between operators (GenZ's model).
- Memory placement: weights then KV fill tier 0, then the next tier, and so on; an
  operator's bytes are served from the tiers in proportion to where the data lies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..limits import check_float, check_int
from ..models.spec import ModelSpec
from .device import DeviceSpec
from .precision import Precision, parse_precision

__all__ = ["analyze", "Analysis", "PhaseResult", "OpCost", "TierUse", "kv_bytes_per_token",
           "stored_weight_bytes", "RooflinePoint", "roofline_point", "COUNTINGS", "KV_AXES"]

COUNTINGS = ("causal", "genz")
KV_AXES = ("token", "channel")   # what one KV scale covers (see kv_bytes_per_token)


@dataclass(frozen=True, slots=True, kw_only=True)
class RooflinePoint:
    """One piece of work on a roofline: max(compute time, memory time)."""

    flops: float
    bytes: float
    compute_seconds: float
    memory_seconds: float

    @property
    def seconds(self) -> float:
        """The roofline time: the longer of the two (no overlap credit)."""
        return max(self.compute_seconds, self.memory_seconds)

    @property
    def bound(self) -> str:
        """``compute`` when compute takes longer, else ``memory``."""
        return "compute" if self.compute_seconds > self.memory_seconds else "memory"

    @property
    def intensity(self) -> float:
        """FLOPs per byte."""
        return self.flops / self.bytes if self.bytes else math.inf


def roofline_point(flops: float, nbytes: float, *, peak_flops_per_s: float,
                   seconds_per_byte: float) -> RooflinePoint:
    """The roofline of ``flops`` and ``nbytes`` on a machine with this peak and this
    (effective) time per byte; the one roofline formula of janus1."""
    return RooflinePoint(flops=flops, bytes=nbytes, compute_seconds=flops / peak_flops_per_s,
                         memory_seconds=nbytes * seconds_per_byte)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpCost:
    """One operator of a phase, summed over layers and the batch."""

    name: str
    flops: float
    bytes: float
    seconds: float = 0.0
    bound: str = ""     # "memory" or "compute" (empty without a device)


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseResult:
    """Decode or prefill totals, per token, and the roofline time on a device."""

    phase: str                      # "decode" or "prefill"
    tokens: int                     # tokens produced (decode: batch) or consumed (prefill)
    flops: float                    # whole phase
    bytes: float                    # whole phase
    ops: tuple[OpCost, ...]
    seconds: float | None = None    # whole phase on the device
    compute_seconds: float | None = None  # sum of operator compute times
    memory_seconds: float | None = None   # sum of operator memory times
    bound: str | None = None        # "memory" or "compute" (latency-weighted, as GenZ)

    @property
    def flops_per_token(self) -> float:
        return self.flops / self.tokens

    @property
    def bytes_per_token(self) -> float:
        return self.bytes / self.tokens

    @property
    def arithmetic_intensity(self) -> float:
        """FLOPs per byte moved."""
        return self.flops / self.bytes if self.bytes else math.inf

    @property
    def tokens_per_s(self) -> float | None:
        return None if not self.seconds else self.tokens / self.seconds

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "flops_per_token": self.flops_per_token,
            "bytes_per_token": self.bytes_per_token,
            "arithmetic_intensity": self.arithmetic_intensity,
            "flops": self.flops,
            "bytes": self.bytes,
            "bound": self.bound,
        }
        if self.phase == "decode":
            d["seconds_per_step"] = self.seconds
        else:
            d["seconds"] = self.seconds
        d["tokens_per_s"] = self.tokens_per_s
        d["compute_seconds"] = self.compute_seconds
        d["memory_seconds"] = self.memory_seconds
        d["ops"] = [{"name": o.name, "flops": o.flops, "bytes": o.bytes,
                     "seconds": o.seconds, "bound": o.bound} for o in self.ops]
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class TierUse:
    """How many resident bytes one memory tier holds."""

    name: str
    capacity_bytes: int
    used_bytes: int
    bandwidth_bytes_per_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """Everything :func:`analyze` computes for one model, context, batch and precision."""

    spec: ModelSpec
    context: int
    batch: int
    precision: Precision
    kv_precision: Precision
    group_size: int | None
    counting: str
    params: int
    weight_bytes: float
    weight_overhead_bytes: float
    kv_bytes_per_token: float       # one sequence, one token, overhead included
    kv_bytes: float                 # batch x context, overhead included
    kv_overhead_bytes: float        # the scale/zero part of kv_bytes
    decode: PhaseResult
    prefill: PhaseResult
    device: DeviceSpec | None = None
    tiers: tuple[TierUse, ...] = ()
    fits: bool | None = None
    spill_bytes: float | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def resident_bytes(self) -> float:
        """Weights plus KV cache."""
        return self.weight_bytes + self.kv_bytes

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "model": self.spec.name,
            "context": self.context,
            "batch": self.batch,
            "precision": self.precision.name,
            "kv_precision": self.kv_precision.name,
            "group_size": self.group_size,
            "counting": self.counting,
            "params": self.params,
            "weight_bytes": self.weight_bytes,
            "weight_overhead_bytes": self.weight_overhead_bytes,
            "kv_bytes_per_token": self.kv_bytes_per_token,
            "kv_bytes": self.kv_bytes,
            "kv_overhead_bytes": self.kv_overhead_bytes,
            "resident_bytes": self.resident_bytes,
            "device": self.device.name if self.device else None,
            "fits": self.fits,
            "spill_bytes": self.spill_bytes,
            "tiers": [{"name": t.name, "capacity_bytes": t.capacity_bytes,
                       "used_bytes": t.used_bytes,
                       "bandwidth_bytes_per_s": t.bandwidth_bytes_per_s} for t in self.tiers],
            "decode": self.decode.to_dict(),
            "prefill": self.prefill.to_dict(),
            "notes": list(self.notes),
        }
        return d


def _group_overhead(elements_per_row: int, rows: float, group_size: int | None,
                    prec: Precision, scale_bytes: float, zero_bytes: float) -> float:
    """Scale/zero bytes for ``rows`` rows of ``elements_per_row`` integer elements."""
    if group_size is None or prec.is_float:
        return 0.0
    return rows * math.ceil(elements_per_row / group_size) * (scale_bytes + zero_bytes)


def kv_bytes_per_token(spec: ModelSpec, kv_precision: str | Precision = "fp16", *,
                       group_size: int | None = None, scale_bytes: float = 2.0,
                       zero_bytes: float = 2.0, axis: str = "token") -> tuple[float, float]:
    """KV-cache bytes one token adds to one sequence: ``(total, overhead)``.

    ``2 x n_layers x n_kv_heads x head_dim x bytes`` plus, for an integer KV cache with a
    group size, one scale and one zero point per group: of each K or V row
    (``axis="token"``), or, per channel (``axis="channel"``, KIVI's keys), per channel
    and block of ``group_size`` tokens, i.e. ``kv_dim / group_size`` per row and token.
    The one KV-bytes formula of janus1 (the analysis, the decoder's schemes and the KV
    study use it).
    """
    if axis not in KV_AXES:
        raise InputError(f"axis {axis!r} is not one of {', '.join(KV_AXES)}")
    p = parse_precision(kv_precision)
    payload = 2 * spec.n_layers * spec.kv_dim * p.bytes
    if axis == "channel" and group_size and not p.is_float:
        overhead = 2 * spec.n_layers * spec.kv_dim / group_size * (scale_bytes + zero_bytes)
    else:
        overhead = _group_overhead(spec.kv_dim, 2 * spec.n_layers, group_size, p, scale_bytes,
                                   zero_bytes)
    return payload + overhead, overhead


# Argument bounds: far above any real workload, low enough that every count stays a
# finite float (tokens 2^40 x layers 2^12 x width 2^24 x batch 2^20 < 2^100).
MAX_CONTEXT = 1 << 40
MAX_BATCH = 1 << 20


def stored_weight_bytes(spec: ModelSpec, precision: str | Precision, *,
                        group_size: int | None = None, scale_bytes: float = 2.0,
                        zero_bytes: float = 0.0) -> float:
    """Bytes of a checkpoint's weights stored at ``precision``: every matrix's codes plus,
    for an integer precision, one scale (and zero point) per group of ``group_size``
    values along each row (None: one per row, i.e. per output channel); norms (and GPT-2's
    biases and learned positions) in FP32;
    a tied classifier stored once. (:func:`analyze` counts the bytes a step reads
    instead: every parameter at the weight precision, groups over all of them.)"""
    p = parse_precision(precision)
    mats = [spec.vocab_size * spec.dim]
    if not spec.tied_classifier:
        mats.append(spec.vocab_size * spec.dim)
    per_layer = [(spec.q_dim, spec.dim), (spec.kv_dim, spec.dim), (spec.kv_dim, spec.dim),
                 (spec.dim, spec.q_dim), (spec.hidden_dim, spec.dim), (spec.dim, spec.hidden_dim)]
    if spec.gated_ffn:
        per_layer.append((spec.hidden_dim, spec.dim))
    rows_cols = [(spec.vocab_size, spec.dim)] * len(mats) + per_layer * spec.n_layers
    # every other parameter (norms; GPT-2's biases and learned positions) in FP32
    norms = 4 * (spec.params - sum(r * c for r, c in rows_cols))
    total = 0.0
    for r, c in rows_cols:
        total += r * c * p.bits // 8
        total += _group_overhead(c, r, group_size or c, p, scale_bytes, zero_bytes)
    return total + norms


def analyze(spec: ModelSpec, *, context: int, batch: int = 1,
            precision: str | Precision = "fp16", kv_precision: str | Precision | None = None,
            group_size: int | None = None, device: DeviceSpec | None = None,
            counting: str = "causal", scale_bytes: float = 2.0,
            zero_bytes: float = 2.0) -> Analysis:
    """Analyse ``spec`` at ``context`` tokens and ``batch`` sequences.

    Args:
        spec: the model.
        context: tokens in each sequence's KV cache (decode) or prompt (prefill).
        batch: sequences processed together.
        precision: weights (and KV unless ``kv_precision`` is given).
        kv_precision: KV-cache precision override.
        group_size: quantisation group size; adds ``scale_bytes + zero_bytes`` per group
            of an integer tensor (default: none).
        device: the hardware for the roofline (None: counts only).
        counting: "causal" (default) or "genz" (see the module docstring).
        scale_bytes: bytes of one group scale (FP16 by default).
        zero_bytes: bytes of one group zero point (FP16 by default; 0 for symmetric).

    Raises:
        InputError: a non-positive context, batch or group size; unknown counting.
    """
    if not isinstance(spec, ModelSpec):
        raise InputError(f"analyze needs a ModelSpec, not {type(spec).__name__}")
    if device is not None and not isinstance(device, DeviceSpec):
        raise InputError(f"device must be a DeviceSpec, not {type(device).__name__}")
    context = check_int(context, "context", lo=1, hi=MAX_CONTEXT, error=InputError)
    batch = check_int(batch, "batch", lo=1, hi=MAX_BATCH, error=InputError)
    if group_size is not None:
        group_size = check_int(group_size, "group_size", lo=1, hi=MAX_CONTEXT,
                               error=InputError)
    scale_bytes = check_float(scale_bytes, "scale_bytes", lo=0.0, hi=1024.0, error=InputError)
    zero_bytes = check_float(zero_bytes, "zero_bytes", lo=0.0, hi=1024.0, error=InputError)
    if not isinstance(counting, str) or counting not in COUNTINGS:
        raise InputError(f"counting {counting!r} is not one of {', '.join(COUNTINGS)}")
    wp = parse_precision(precision)
    kp = parse_precision(kv_precision) if kv_precision is not None else wp
    notes: list[str] = []
    if context > spec.seq_len:
        notes.append(f"context {context} exceeds the model's trained context {spec.seq_len}")

    s = spec
    L, B, C = s.n_layers, batch, context
    wb, kb = wp.bytes, kp.bytes

    # ---- bytes resident ----
    # Matrix weights are grouped along their input dimension (rows of length dim or hidden).
    w_over = _group_overhead(s.params, 1, group_size, wp, scale_bytes, zero_bytes)
    weight_bytes = s.params * wb + w_over
    kv_tok, kv_tok_over = kv_bytes_per_token(s, kp, group_size=group_size,
                                             scale_bytes=scale_bytes, zero_bytes=zero_bytes)
    kv_bytes = kv_tok * B * C
    kv_over = kv_tok_over * B * C
    wscale = weight_bytes / (s.params * wb) if s.params else 1.0  # overhead share of reads
    kscale = kv_tok / (2 * L * s.kv_dim * kb)

    # ---- operator lists ----
    gated = 3 if s.gated_ffn else 2
    qkv_w = s.dim * (s.q_dim + 2 * s.kv_dim)
    out_w = s.q_dim * s.dim
    ffn_w = gated * s.dim * s.hidden_dim
    cls_w = s.vocab_size * s.dim
    kv_row = s.kv_dim * kb * kscale  # bytes of one K (or V) row of one layer
    write_kv = counting != "genz"

    dec: list[tuple[str, float, float]] = [
        ("qkv", 2 * B * qkv_w * L, qkv_w * wb * wscale * L),
        ("attn_score", 2 * B * s.q_dim * C * L, B * C * kv_row * L),
        ("attn_value", 2 * B * s.q_dim * C * L, B * C * kv_row * L),
        ("attn_out", 2 * B * out_w * L, out_w * wb * wscale * L),
        ("ffn", 2 * B * ffn_w * L, ffn_w * wb * wscale * L),
        ("classifier", 2 * B * cls_w, cls_w * wb * wscale),
    ]
    if write_kv:
        dec.append(("kv_write", 0.0, 2 * B * kv_row * L))

    if counting == "genz":
        pairs = C * C                     # every prompt token attends to the whole prompt
        cls_tokens = C
    else:
        pairs = C * (C + 1) / 2           # causal: token i attends to i+1 keys
        cls_tokens = 1
    pre: list[tuple[str, float, float]] = [
        ("qkv", 2 * B * C * qkv_w * L, qkv_w * wb * wscale * L),
        ("attn_score", 2 * B * s.q_dim * pairs * L, B * C * kv_row * L),
        ("attn_value", 2 * B * s.q_dim * pairs * L, B * C * kv_row * L),
        ("attn_out", 2 * B * C * out_w * L, out_w * wb * wscale * L),
        ("ffn", 2 * B * C * ffn_w * L, ffn_w * wb * wscale * L),
        ("classifier", 2 * B * cls_tokens * cls_w, cls_w * wb * wscale),
    ]
    if counting == "genz":
        pre.insert(0, ("embedding", 2 * B * C * cls_w, cls_w * wb * wscale))
    if write_kv:
        pre.append(("kv_write", 0.0, 2 * B * C * kv_row * L))

    # ---- placement and roofline ----
    tiers: tuple[TierUse, ...] = ()
    fits = spill = None
    sec_per_byte = None
    resident = weight_bytes + kv_bytes
    if device is not None:
        left = resident
        uses = []
        for t in device.tiers:
            used = min(left, t.capacity_bytes)
            uses.append(TierUse(name=t.name, capacity_bytes=t.capacity_bytes,
                                used_bytes=int(used), bandwidth_bytes_per_s=t.bandwidth_bytes_per_s))
            left -= used
        tiers = tuple(uses)
        fits = left <= 0
        spill = max(0.0, resident - device.tiers[0].capacity_bytes)
        if not fits:
            notes.append(f"weights + KV ({resident:.4g} B) exceed the device's "
                         f"{device.capacity_bytes:.4g} B; the excess is timed at the last "
                         "tier's bandwidth")
        # seconds per byte, averaged over where the resident data lies
        sec = 0.0
        for t, u in zip(device.tiers, uses):
            sec += u.used_bytes / t.bandwidth_bytes_per_s
        sec += max(0.0, left) / device.tiers[-1].bandwidth_bytes_per_s
        sec_per_byte = sec / resident if resident else 1 / device.tiers[0].bandwidth_bytes_per_s

    def phase(name: str, ops: list[tuple[str, float, float]], tokens: int) -> PhaseResult:
        flops = sum(o[1] for o in ops)
        nbytes = sum(o[2] for o in ops)
        if device is None or sec_per_byte is None:
            return PhaseResult(phase=name, tokens=tokens, flops=flops, bytes=nbytes,
                               ops=tuple(OpCost(name=n, flops=f, bytes=b) for n, f, b in ops))
        # weights and KV share the same precision-specific peak: the weights' precision
        # sets the MAC rate of projections, the KV precision that of attention.
        costs = []
        tc = tm = mem_time = 0.0
        for n, f, b in ops:
            prec = (kp if n.startswith("attn") else wp).name
            # a measured device may state the rates its inference engine reaches on
            # decode's matrix-vector and prefill's matrix products (engine terms)
            peak = device.decode_peak(prec) if name == "decode" else device.prefill_peak(prec)
            pt = roofline_point(f, b, peak_flops_per_s=peak, seconds_per_byte=sec_per_byte)
            ct, mt = pt.compute_seconds, pt.memory_seconds
            costs.append(OpCost(name=n, flops=f, bytes=b, seconds=pt.seconds, bound=pt.bound))
            tc += ct
            tm += mt
            if mt >= ct:
                mem_time += mt
        total = sum(c.seconds for c in costs)
        bound = "memory" if total and mem_time >= 0.5 * total else "compute"
        total += device.step_overhead_s  # one forward pass (a device's engine term; 0 by default)
        return PhaseResult(phase=name, tokens=tokens, flops=flops, bytes=nbytes, ops=tuple(costs),
                           seconds=total, compute_seconds=tc, memory_seconds=tm, bound=bound)

    return Analysis(
        spec=spec, context=C, batch=B, precision=wp, kv_precision=kp, group_size=group_size,
        counting=counting, params=s.params, weight_bytes=weight_bytes,
        weight_overhead_bytes=w_over, kv_bytes_per_token=kv_tok, kv_bytes=kv_bytes,
        kv_overhead_bytes=kv_over, decode=phase("decode", dec, B),
        prefill=phase("prefill", pre, B * C), device=device, tiers=tiers, fits=fits,
        spill_bytes=spill, notes=tuple(notes))
