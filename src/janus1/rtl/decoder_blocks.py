"""The decoder's blocks in RTL (issue 18): parameters, their checks, ROM images and the
Python golden models the RTL is co-simulated against. This module imports no Amaranth.

Three blocks, each taking the same :class:`~janus1.decoder.fixed_ref.FixedConfig` and
:class:`~janus1.hw.datapath.DatapathSpec` as the Python models:

- ``attention`` (:class:`AttentionParams`, RTL ``AttentionKernel`` in :mod:`.attention`):
  seed 004's streaming attention kernel (M1), golden
  :func:`janus1.decoder.fixed_attention.attend_head`, cycles
  :func:`janus1.hw.blocks.attention_cycles`;
- ``matvec`` (:class:`MatvecParams`, ``MatvecEngine`` in :mod:`.matvec`): the shared MAC
  engine (M2) with its weight ROM, golden ``fixed_ref._matvec_f`` (INT8 x INT16 MACs and the
  fused PoT shift into F), cycles :func:`janus1.hw.blocks.matvec_cycles`;
- ``argmax`` (:class:`ArgmaxParams`, ``ArgmaxScan`` in :mod:`.argmax`): the classifier as
  a streamed vocabulary scan with a running argmax (M3), golden ``_matvec_f`` then
  :func:`janus1.decoder.fixed_ref.scan_argmax`, cycles
  :func:`janus1.hw.blocks.argmax_cycles`.

Parameters are frozen dataclasses whose defaults are the ``seed004-small`` datapath, the
default ``FixedConfig`` and seed 004's small config (``janus1.decoder.sanity``: head size
16, SeqLen 16, dim 64, hidden 192, vocab 512). ``--set`` reaches every field:
``datapath.mac.lanes=8``, ``fixed.exp_interpolate=false``, ``head_size=8``. What the RTL
cannot build is a :class:`~janus1.errors.ConfigError` naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ..decoder.fixed_ref import FixedConfig
from ..errors import ConfigError
from ..hw.blocks import argmax_cycles, attention_cycles, kv_row_beats, matvec_cycles
from ..hw.datapath import DatapathSpec, load_datapath
from ..numerics.mac import acc_bits_needed, max_act_bits
from ..numerics.primitives import F_FRAC

__all__ = ["AttentionParams", "MatvecParams", "ArgmaxParams", "RomMatrix", "WeightRom",
           "golden_attention", "golden_matvec", "golden_argmax", "model_rom", "classifier_rom",
           "MAX_EXP_LUT_BITS", "MODELS"]

MAX_EXP_LUT_BITS = 12            # the RTL's exp2 LUT: at most 4096 entries (a ROM of LUTs)
MODELS = ("sanity",)             # weight images the matvec/argmax ROMs are built from


def _small_datapath() -> DatapathSpec:
    return load_datapath("seed004-small")


def _act_bits(fixed: FixedConfig, fan_in: int) -> int:
    """The activation mantissa width FixedDecoder uses (``act_bits = 0``: auto)."""
    return fixed.act_bits or max_act_bits(fixed.weight_bits, fixed.acc_bits, fan_in)


def _check_int(where: str, name: str, v: Any, lo: int, hi: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(f"{where}: {name} must be an integer, not {v!r}")
    if not lo <= v <= hi:
        raise ConfigError(f"{where}: {name} must be in {lo}..{hi}, not {v}")


def _check_exp_lut(where: str, fixed: FixedConfig) -> None:
    if fixed.exp_lut_bits > MAX_EXP_LUT_BITS:
        raise ConfigError(f"{where}: fixed.exp_lut_bits {fixed.exp_lut_bits}: the RTL's exp2 "
                          f"LUT holds at most 2**{MAX_EXP_LUT_BITS} entries")


# ---------------------------------------------------------------------------------------
# attention (M1)
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionParams:
    """Parameters of the ``attention`` block: one query head over K/V RAM rows ``0..pos``."""

    datapath: DatapathSpec = field(default_factory=_small_datapath)
    fixed: FixedConfig = field(default_factory=FixedConfig)
    head_size: int = 16      # seed 004 small config: HeadDim 16
    seq_len: int = 16        # seed 004 small config: SeqLen 16 (rows per K and V RAM)
    fan_in: int = 192        # the model's widest matvec (sanity: hidden 192), for act_bits = 0

    def __post_init__(self) -> None:
        w = "attention"
        _check_int(w, "head_size", self.head_size, 2, 256)
        _check_int(w, "seq_len", self.seq_len, 1, 4096)
        _check_int(w, "fan_in", self.fan_in, 1, 1 << 20)
        dp, fx = self.datapath, self.fixed
        kv = dp.kv_ram
        if kv.k_bits != fx.k_bits:
            raise ConfigError(f"{w}: datapath.kv_ram.k_bits {kv.k_bits} differs from "
                              f"fixed.k_bits {fx.k_bits}")
        if kv.v_bits != fx.v_bits:
            raise ConfigError(f"{w}: datapath.kv_ram.v_bits {kv.v_bits} differs from "
                              f"fixed.v_bits {fx.v_bits}")
        for name, nbytes in (("k_bits", kv.k_bytes), ("v_bits", kv.v_bytes)):
            if kv.width_bytes % nbytes:
                raise ConfigError(f"{w}: datapath.kv_ram.width_bytes {kv.width_bytes} is not "
                                  f"a whole number of {8 * nbytes}-bit elements ({name})")
            per_beat = kv.width_bytes // nbytes
            if self.head_size % per_beat:
                raise ConfigError(f"{w}: head_size {self.head_size} is not a multiple of the "
                                  f"{per_beat} {name[0].upper()} elements per KV-RAM beat "
                                  f"(datapath.kv_ram.width_bytes {kv.width_bytes}): the kernel "
                                  f"reads whole beats")
        kb, _ = kv_row_beats(self.head_size, dp)
        if dp.attention.score_latency < kb - 1:
            raise ConfigError(f"{w}: datapath.attention.score_latency "
                              f"{dp.attention.score_latency} is shorter than the {kb} K beats "
                              f"of a row less one: the score cannot be ready in time")
        if kv.read_latency < 1:
            raise ConfigError(f"{w}: datapath.kv_ram.read_latency must be >= 1 (a synchronous "
                              f"RAM read), not {kv.read_latency}")
        if dp.attention.update_latency < 1:
            raise ConfigError(f"{w}: datapath.attention.update_latency must be >= 1 (the "
                              f"accumulator register), not {dp.attention.update_latency}")
        _check_exp_lut(w, fx)
        if self.q_bits < 2:
            raise ConfigError(f"{w}: fixed.acc_bits {fx.acc_bits} leaves no room for queries "
                              f"with INT{fx.k_bits} keys")
        if acc_bits_needed(fx.k_bits, self.q_bits, self.head_size) > fx.acc_bits:
            raise ConfigError(f"{w}: head_size {self.head_size}: INT{fx.k_bits} x "
                              f"INT{self.q_bits} scores overflow fixed.acc_bits {fx.acc_bits}")

    # the formats the golden decoder uses ------------------------------------------------
    @property
    def act_bits(self) -> int:
        return _act_bits(self.fixed, self.fan_in)

    @property
    def q_bits(self) -> int:
        """Query mantissa bits (``FixedDecoder.q_bits``)."""
        fx = self.fixed
        return min(self.act_bits, max_act_bits(fx.k_bits, fx.acc_bits, self.head_size, cap=24))

    @property
    def k_beats(self) -> int:
        return kv_row_beats(self.head_size, self.datapath)[0]

    @property
    def v_beats(self) -> int:
        return kv_row_beats(self.head_size, self.datapath)[1]

    @property
    def k_per_beat(self) -> int:
        return self.datapath.kv_ram.width_bytes // self.datapath.kv_ram.k_bytes

    @property
    def v_per_beat(self) -> int:
        return self.datapath.kv_ram.width_bytes // self.datapath.kv_ram.v_bytes

    @property
    def v_shift_max(self) -> int:
        """Largest ``v_e + F_FRAC`` the kernel takes: V elements in F then fit 33 bits
        (the KV writer's exponents of saturated F rows never exceed it)."""
        return 33 - self.fixed.v_bits

    @property
    def acc_hw_bits(self) -> int:
        """Accumulator width: ``|acc| <= d * max|v| <= (seq_len + 1) * 2**32`` (d is at most
        one per row, each V element in F below 2**32), a sign bit and a bit of margin."""
        return 32 + (self.seq_len + 2).bit_length() + 2

    @property
    def d_hw_bits(self) -> int:
        """Denominator width: ``1.0 <= d <= seq_len`` in Q.20 plus rounding, unsigned."""
        return F_FRAC + (self.seq_len + 1).bit_length() + 1

    def cycles(self, pos: int) -> int:
        """The contract: :func:`janus1.hw.blocks.attention_cycles`."""
        return attention_cycles(pos, self.head_size, self.datapath)

    def label(self) -> str:
        fx = self.fixed
        return (f"head_size {self.head_size}, seq_len {self.seq_len}, K/V INT{fx.k_bits}/"
                f"INT{fx.v_bits}, q INT{self.q_bits}, exp2 LUT {1 << fx.exp_lut_bits}"
                f"{' interpolated' if fx.exp_interpolate else ''}, {fx.rounding}, "
                f"datapath {self.datapath.name}")


# ---------------------------------------------------------------------------------------
# the weight ROM (boot image) and the matvec engine (M2)
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class RomMatrix:
    """One matrix in the weight ROM: rows start on a ROM word."""

    name: str
    word_base: int      # ROM word of row 0
    exp_base: int       # exponent-ROM entry of row 0
    rows: int
    cols: int
    beats: int          # ROM words per row: ceil(cols / lanes)


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightRom:
    """The engine's weight ROM: ``lanes`` INT8 mantissas per word, rows padded with zeros
    to whole words, and the side ROM of one exponent per row."""

    lanes: int
    words: np.ndarray               # (n_words, lanes) int8
    exps: np.ndarray                # (n_rows,) int8
    mats: tuple[RomMatrix, ...]
    source: str

    @classmethod
    def from_matrices(cls, lanes: int, mats: list[tuple[str, np.ndarray, np.ndarray]],
                      source: str) -> WeightRom:
        words, exps, out = [], [], []
        wb = eb = 0
        for name, m, e in mats:
            rows, cols = m.shape
            beats = -(-cols // lanes)
            pad = np.zeros((rows, beats * lanes), np.int8)
            pad[:, :cols] = m
            words.append(pad.reshape(rows * beats, lanes))
            exps.append(np.asarray(e, np.int8).reshape(rows))
            out.append(RomMatrix(name=name, word_base=wb, exp_base=eb, rows=rows, cols=cols,
                                 beats=beats))
            wb += rows * beats
            eb += rows
        return cls(lanes=lanes, words=np.concatenate(words), exps=np.concatenate(exps),
                   mats=tuple(out), source=source)

    def matrix(self, name: str) -> RomMatrix:
        for mm in self.mats:
            if mm.name == name:
                return mm
        raise ConfigError(f"weight ROM {self.source}: no matrix {name!r}")

    def word_ints(self) -> list[int]:
        """ROM words as unsigned integers, lane 0 in the low byte."""
        raw = self.words.astype(np.uint8)
        return [int.from_bytes(raw[i].tobytes(), "little") for i in range(raw.shape[0])]

    @property
    def max_cols(self) -> int:
        return max(mm.cols for mm in self.mats)


@lru_cache(maxsize=4)
def _model_image(model: str, fixed: FixedConfig) -> dict[str, np.ndarray]:
    """The model's quantized weights as the boot image holds them: written with
    :func:`janus1.decoder.export_image.write_image` and read back (checksums verified)."""
    import tempfile
    from pathlib import Path

    from ..decoder.export_image import read_image, write_image
    from ..decoder.fixed_ref import FixedDecoder
    from ..decoder.sanity import sanity_checkpoint

    if model not in MODELS:
        raise ConfigError(f"model {model!r} is not one of {', '.join(MODELS)}")
    ck = sanity_checkpoint(0)
    dec = FixedDecoder(ck.spec, ck.weights, fixed)
    with tempfile.TemporaryDirectory(prefix="janus1-rtl-img-") as tmp:
        path = Path(tmp) / f"{model}.img"
        write_image(dec, path)
        img = read_image(path)
    return dict(img.sections)


def model_rom(model: str, fixed: FixedConfig, lanes: int) -> WeightRom:
    """Every matrix of ``model`` in one ROM, in the order a decode step uses them (per
    layer wq, wk, wv, wo, w1, w3, w2; then the classifier)."""
    s = _model_image(model, fixed)
    mats = []
    for layer in range(s["wq_m"].shape[0]):
        for n in ("wq", "wk", "wv", "wo", "w1", "w3", "w2"):
            mats.append((f"{n}[{layer}]", s[f"{n}_m"][layer], s[f"{n}_e"][layer]))
    cls_m, cls_e = (s["cls_m"], s["cls_e"]) if "cls_m" in s else (s["emb_m"], s["emb_e"])
    mats.append(("cls", cls_m, cls_e))
    return WeightRom.from_matrices(lanes, mats, source=f"{model} boot image")


def classifier_rom(model: str, fixed: FixedConfig, lanes: int) -> WeightRom:
    """The classifier rows of ``model`` alone (the argmax scan's ROM)."""
    s = _model_image(model, fixed)
    cls_m, cls_e = (s["cls_m"], s["cls_e"]) if "cls_m" in s else (s["emb_m"], s["emb_e"])
    return WeightRom.from_matrices(lanes, [("cls", cls_m, cls_e)],
                                   source=f"{model} boot image (classifier)")


def _check_engine(w: str, dp: DatapathSpec, fx: FixedConfig, fan_in: int) -> None:
    m = dp.mac
    if m.lanes > dp.weights.port_bytes_per_cycle:
        raise ConfigError(f"{w}: datapath.mac.lanes {m.lanes}: the weight port "
                          f"(datapath.weights.port_bytes_per_cycle "
                          f"{dp.weights.port_bytes_per_cycle}) cannot feed that many lanes")
    if m.lanes > 256:
        raise ConfigError(f"{w}: datapath.mac.lanes must be in 1..256, not {m.lanes}")
    if dp.weights.read_latency < 1:
        raise ConfigError(f"{w}: datapath.weights.read_latency must be >= 1 (a synchronous "
                          f"ROM read), not {dp.weights.read_latency}")
    if m.accumulate_latency < 1:
        raise ConfigError(f"{w}: datapath.mac.accumulate_latency must be >= 1 (the row "
                          f"accumulator register), not {m.accumulate_latency}")
    if fx.weight_bits > 8:
        raise ConfigError(f"{w}: fixed.weight_bits {fx.weight_bits}: the engine's lanes take "
                          f"one byte per weight")
    act = _act_bits(fx, fan_in)
    if act < 2 or acc_bits_needed(fx.weight_bits, act, fan_in) > fx.acc_bits:
        raise ConfigError(f"{w}: fixed.acc_bits {fx.acc_bits} cannot hold INT{fx.weight_bits} x "
                          f"INT{act} dot products of length {fan_in}")


@dataclass(frozen=True, slots=True, kw_only=True)
class MatvecParams:
    """Parameters of the ``matvec`` block: the shared MAC engine with the model's weights."""

    datapath: DatapathSpec = field(default_factory=_small_datapath)
    fixed: FixedConfig = field(default_factory=FixedConfig)
    model: str = "sanity"    # whose boot image fills the ROM (seed 004's small config)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ConfigError(f"matvec: model {self.model!r} is not one of {', '.join(MODELS)}")
        _check_engine("matvec", self.datapath, self.fixed, self.fan_in)

    @property
    def fan_in(self) -> int:
        return 192           # sanity: max(dim 64, hidden 192, q_dim 64)

    @property
    def act_bits(self) -> int:
        return _act_bits(self.fixed, self.fan_in)

    def rom(self) -> WeightRom:
        return model_rom(self.model, self.fixed, self.datapath.mac.lanes)

    def cycles(self, rows: int, cols: int) -> int:
        """The contract: :func:`janus1.hw.blocks.matvec_cycles`."""
        return matvec_cycles(rows, cols, self.datapath)

    def label(self) -> str:
        return (f"P = {self.datapath.mac.lanes} lanes, INT{self.fixed.weight_bits} x "
                f"INT{self.act_bits}, acc INT{self.fixed.acc_bits}, {self.fixed.rounding}, "
                f"ROM: {self.model} boot image, datapath {self.datapath.name}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ArgmaxParams:
    """Parameters of the ``argmax`` block: the classifier scan of the model's vocabulary."""

    datapath: DatapathSpec = field(default_factory=_small_datapath)
    fixed: FixedConfig = field(default_factory=FixedConfig)
    model: str = "sanity"

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ConfigError(f"argmax: model {self.model!r} is not one of {', '.join(MODELS)}")
        _check_engine("argmax", self.datapath, self.fixed, self.fan_in)

    @property
    def fan_in(self) -> int:
        return 192

    @property
    def act_bits(self) -> int:
        return _act_bits(self.fixed, self.fan_in)

    def rom(self) -> WeightRom:
        return classifier_rom(self.model, self.fixed, self.datapath.mac.lanes)

    def cycles(self, vocab: int, dim: int) -> int:
        """The contract: :func:`janus1.hw.blocks.argmax_cycles`."""
        return argmax_cycles(vocab, dim, self.datapath)

    def label(self) -> str:
        return (f"P = {self.datapath.mac.lanes} lanes, classifier of the {self.model} boot "
                f"image, {self.fixed.rounding}, datapath {self.datapath.name}")


# ---------------------------------------------------------------------------------------
# golden models (the Python decoder's own kernels)
# ---------------------------------------------------------------------------------------

def _rounding(fx: FixedConfig) -> int:
    from ..numerics.qformat import Rounding

    return int(Rounding[fx.rounding])


def golden_attention(p: AttentionParams, q_m: np.ndarray, q_e: int, k_m: np.ndarray,
                     k_e: np.ndarray, v_m: np.ndarray, v_e: np.ndarray, pos: int
                     ) -> np.ndarray:
    """``attend_head`` over rows ``0..pos``: the (head_size,) F outputs."""
    from ..decoder.fixed_attention import attend_head, state_words

    fx = p.fixed
    lut = fx.exp_table.table()
    st = np.zeros(state_words(p.head_size), np.int64)
    reads = np.zeros((k_m.shape[0], 2), np.int64)
    out = np.zeros(p.head_size, np.int64)
    attend_head(np.asarray(q_m, np.int64), int(q_e), k_m, k_e, v_m, v_e, int(pos), lut,
                fx.exp_lut_bits, fx.exp_lut_frac_bits, fx.exp_interpolate, _rounding(fx), st,
                reads, out)
    return out


def golden_matvec(fx: FixedConfig, w_m: np.ndarray, w_e: np.ndarray, x_m: np.ndarray,
                  x_e: int) -> np.ndarray:
    """``fixed_ref._matvec_f``: (rows,) F outputs."""
    from ..decoder.fixed_ref import _matvec_f

    out = np.zeros(w_m.shape[0], np.int64)
    _matvec_f(np.ascontiguousarray(w_m), np.ascontiguousarray(w_e),
              np.ascontiguousarray(x_m, dtype=np.int64), int(x_e), fx.acc_bits,
              _rounding(fx), out)
    return out


def golden_argmax(fx: FixedConfig, w_m: np.ndarray, w_e: np.ndarray, x_m: np.ndarray,
                  x_e: int) -> tuple[int, int]:
    """The classifier's logits then ``scan_argmax``: (token, its logit)."""
    from ..decoder.fixed_ref import scan_argmax

    logits = golden_matvec(fx, w_m, w_e, x_m, x_e)
    i = int(scan_argmax(logits))
    return i, int(logits[i])

