"""Quantization schemes, one syntax everywhere: ``KIND[:OPTION[:OPTION...]]``.

Kinds:
    ``none`` (alias ``fp32``): float32, unchanged.
    ``fp16``: round to IEEE half precision and back.
    ``int8``, ``int4``: round-to-nearest (RTN) integer codes with a float scale.

Options (integer kinds only):
    ``g32`` / ``g64`` / ``g128`` (any ``gN``): one scale per group of N consecutive
        values along the reduction axis. Default: per output channel for weights
        (one scale per matrix row), per token for the KV cache (one scale per
        cached key or value vector of one layer).
    ``asym``: asymmetric, codes 0..2^b-1 with a zero point (default symmetric,
        codes -(2^(b-1)-1)..2^(b-1)-1 with scale = max|x| / (2^(b-1)-1)).
    ``pot``: the scale rounded up to a power of two (shift-only dequantization).
    ``token`` / ``channel`` (KV only): per token (default) or per channel; a
        per-channel KV scale covers one channel over a block of N tokens (``gN``,
        default 32), as in KIVI's key quantization (Liu et al., ICML 2024). It needs
        the whole block, so it is supported in the teacher-forced (batched) path.

Everything here is "fake quantization": values are quantized and dequantized back to
float32, so the float reference decoder runs them unchanged; the error is the one a
real integer kernel with float accumulation would see. Each quantizer returns the
quantized array; :func:`quant_error` reports its error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..precision import PRECISIONS
from ..workload.analysis import kv_bytes_per_token as _kv_bytes
from ..workload.analysis import stored_weight_bytes

__all__ = ["QuantScheme", "parse_scheme", "fake_quant", "quantize_weights", "quant_error",
           "weight_bytes", "kv_bytes_per_token"]

# none (float32 unchanged), fp16, and the integer precisions of janus1.precision
_KINDS = ("none", "fp16", *(p.name for p in PRECISIONS.values() if not p.is_float))


@dataclass(frozen=True, slots=True, kw_only=True)
class QuantScheme:
    """A parsed quantization scheme."""

    kind: str = "none"         # none | fp16 | int8 | int4
    group: int = 0             # values per scale; 0 = per channel (weights) / per token (KV)
    asym: bool = False         # asymmetric with a zero point
    pot: bool = False          # power-of-two scales
    axis: str = "token"        # KV only: "token" or "channel"
    text: str = "none"         # the scheme as written (normalized)

    @property
    def precision(self) -> str:
        """The storage precision (a :mod:`janus1.precision` name; ``none`` is fp32)."""
        return "fp32" if self.kind == "none" else self.kind

    @property
    def bits(self) -> int:
        """Bits per stored value."""
        return PRECISIONS[self.precision].bits

    @property
    def is_int(self) -> bool:
        """True for the integer kinds."""
        return not PRECISIONS[self.precision].is_float

    @property
    def is_none(self) -> bool:
        """True when nothing is quantized."""
        return self.kind == "none"


def parse_scheme(text: str, *, kv: bool = False) -> QuantScheme:
    """Parse ``int8:g64:asym``-style text.

    Args:
        text: the scheme.
        kv: True for a KV-cache scheme (allows ``token``/``channel``).

    Raises:
        ConfigError: unknown kind or option, or an option the kind cannot take.
    """
    what = "kv scheme" if kv else "weights scheme"
    parts = [s.strip().lower() for s in str(text).split(":")]
    kind = {"fp32": "none", "float": "none", "f32": "none", "f16": "fp16"}.get(parts[0], parts[0])
    if kind not in _KINDS:
        raise ConfigError(f"{what} {text!r}: unknown scheme {parts[0]!r} "
                          f"(known: none, fp16, int8, int4)")
    group, asym, pot, axis = 0, False, False, "token"
    for opt in parts[1:]:
        if kind in ("none", "fp16"):
            raise ConfigError(f"{what} {text!r}: {kind} takes no options")
        if opt.startswith("g") and opt[1:].isdigit():
            group = int(opt[1:])
            if group < 2:
                raise ConfigError(f"{what} {text!r}: group size must be at least 2")
        elif opt == "asym":
            asym = True
        elif opt == "sym":
            asym = False
        elif opt == "pot":
            pot = True
        elif opt in ("token", "channel") and kv:
            axis = opt
        else:
            extra = ", token, channel" if kv else ""
            raise ConfigError(f"{what} {text!r}: unknown option {opt!r} "
                              f"(known: gN, asym, pot{extra})")
    norm = [kind]
    if axis == "channel":
        norm.append("channel")
    if group:
        norm.append(f"g{group}")
    if asym:
        norm.append("asym")
    if pot:
        norm.append("pot")
    return QuantScheme(kind=kind, group=group, asym=asym, pot=pot, axis=axis,
                       text=":".join(norm))


def fake_quant(x: np.ndarray, scheme: QuantScheme, *, group: int = 0) -> np.ndarray:
    """Quantize and dequantize ``x`` along its last axis.

    Args:
        x: float array; scales are computed per row of the last axis, or per group of
            ``group`` (default ``scheme.group``; 0 = the whole row) values.
        scheme: the scheme.
        group: overrides ``scheme.group``.

    Returns:
        float32 array of x's shape.
    """
    x = np.asarray(x, dtype=np.float32)
    if scheme.kind == "none":
        return x
    if scheme.kind == "fp16":
        return x.astype(np.float16).astype(np.float32)
    g = group or scheme.group or x.shape[-1]
    n = x.shape[-1]
    pad = (-n) % g   # a last, shorter group (e.g. 172 = 5 x 32 + 12): zero padding never
    if pad:          # changes a group's max |x| (and the asymmetric range includes 0)
        x = np.concatenate([x, np.zeros((*x.shape[:-1], pad), np.float32)], axis=-1)
    xg = x.reshape(*x.shape[:-1], (n + pad) // g, g)
    b = scheme.bits
    if scheme.asym:
        lo = np.minimum(xg.min(axis=-1, keepdims=True), 0.0)
        hi = np.maximum(xg.max(axis=-1, keepdims=True), 0.0)
        qmax = float(2 ** b - 1)
        scale = (hi - lo) / qmax
        scale = _pot(scale) if scheme.pot else scale
        scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
        zero = np.round(-lo / scale)
        q = np.clip(np.round(xg / scale) + zero, 0.0, qmax)
        out = (q - zero) * scale
    else:
        qmax = float(2 ** (b - 1) - 1)  # 127 or 7: a symmetric code range
        amax = np.abs(xg).max(axis=-1, keepdims=True)
        scale = amax / qmax
        scale = _pot(scale) if scheme.pot else scale
        scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
        q = np.clip(np.round(xg / scale), -qmax - 1, qmax)
        out = q * scale
    return out.reshape(x.shape)[..., :n].astype(np.float32)


def _pot(scale: np.ndarray) -> np.ndarray:
    """Smallest power of two >= scale (so no value clips)."""
    with np.errstate(divide="ignore"):
        e = np.ceil(np.log2(np.where(scale > 0, scale, 1.0)))
    return np.where(scale > 0, np.exp2(e), 0.0).astype(np.float32)


def quant_error(x: np.ndarray, xq: np.ndarray) -> dict[str, float]:
    """Max absolute and RMS error, and the signal-to-quantization-noise ratio in dB."""
    d = np.asarray(xq, np.float64) - np.asarray(x, np.float64)
    p = float(np.mean(np.asarray(x, np.float64) ** 2))
    n = float(np.mean(d ** 2))
    return {"max_abs": float(np.abs(d).max()), "rms": float(np.sqrt(n)),
            "sqnr_db": float(10 * np.log10(p / n)) if n > 0 else float("inf")}


# Matrices quantized by a weight scheme; the RMSNorm gains stay float32.


def quantize_weights(weights: Any, scheme: QuantScheme) -> Any:
    """Fake-quantize every matrix of a :class:`~janus1.models.weights.Weights`.

    Rows are output channels ([out, in] layout), so the default per-channel scheme
    has one scale per row; ``gN`` groups run along the input (reduction) axis. The
    embedding and the classifier are quantized too (a tied pair stays tied); the
    norms stay float32.
    """
    if scheme.is_none:
        return weights
    changes = {}
    for name in weights.MATRICES:
        if name == "wcls" and weights.wcls is weights.token_embedding:
            continue
        changes[name] = fake_quant(getattr(weights, name), scheme)
    if weights.wcls is weights.token_embedding:
        changes["wcls"] = changes["token_embedding"]
    return weights.replace(**changes)


def weight_bytes(spec: Any, scheme: QuantScheme, scale_bytes: int = 2) -> int:
    """Stored bytes of all weights under ``scheme``: matrix codes plus one scale (and a
    zero point when asymmetric) of ``scale_bytes`` (FP16) per group; norms, biases and
    learned positions (GPT-2) in FP32
    (:func:`janus1.workload.analysis.stored_weight_bytes`). A tied classifier is stored
    once."""
    return int(stored_weight_bytes(spec, scheme.precision, group_size=scheme.group or None,
                                   scale_bytes=scale_bytes,
                                   zero_bytes=scale_bytes if scheme.asym else 0))


def kv_bytes_per_token(spec: Any, scheme: QuantScheme, scale_bytes: int = 2) -> float:
    """KV-cache bytes per token (all layers, K and V) under ``scheme``
    (:func:`janus1.workload.analysis.kv_bytes_per_token`): per token, one scale per
    group of each kv_dim row (default: the whole row); per channel, one per channel per
    block of ``group`` tokens (default 32)."""
    if scheme.axis == "channel":
        group: int | None = scheme.group or 32
    else:
        group = scheme.group or spec.kv_dim
    return _kv_bytes(spec, scheme.precision, group_size=group, scale_bytes=scale_bytes,
                     zero_bytes=scale_bytes if scheme.asym else 0, axis=scheme.axis)[0]
