"""Compute-tile model: a systolic array of R x C MACs running one GEMM.

``C[M,N] = A[M,K] · B[K,N]``. Cycles follow SCALE-Sim 3.0's analytical schedule
(shared/reference/scalesim.md), which this model reproduces exactly for the output-,
weight- and input-stationary dataflows on every row of scalesim_gemm.csv:

* the GEMM is mapped to a spatial (S_R x S_C) and a temporal (T) extent:
  os: S_R=M, S_C=N, T=K;  ws: S_R=K, S_C=N, T=M;  is: S_R=K, S_C=M, T=N;
* it runs in ceil(S_R/R) x ceil(S_C/C) folds (padded: a GEMV on an os array uses one
  row of R, hence the 1/R utilisation at M=1);
* a fold takes T + R + C - 2 cycles for os (operands skew in over R + C - 2 cycles
  while T products accumulate in place, then drain), and T + 2R + C - 2 for ws and is
  (R extra cycles to preload the stationary operand into the array);
* total = folds x per-fold - 1 (SCALE-Sim counts the last OFMAP write cycle, 0-based).

Nothing here is fitted to the reference rows: the per-fold counts are the lengths of
the demand matrices SCALE-Sim builds (compute/systolic_compute_{os,ws,is}.py: os
ifmap T + (C - 1) rows skewed over R columns; ws filter R preload rows + R + C + T - 2),
and a partial fold is padded with null requests to the full array, so the same
closed form holds for any R x C (square or not), any M, K, N (also smaller than the
array, e.g. a GEMV with K or N below R), and every dataflow.

Precision modes change how much work a PE does per cycle: INT8 one MAC; INT4 packed
two MACs (two 4-bit products in one 8-bit multiplier, as in NVIDIA's and Arm's INT4
dot-product paths: the reduction dimension is halved); FP16 half a MAC (a 16-bit
floating multiplier takes about twice the area/energy of INT8, Horowitz ISSCC 2014,
so an INT8-sized PE does one FP16 MAC every two cycles). The K extent is scaled by
the MACs per PE per cycle before the schedule is applied.

Energy per MAC at 45 nm [P: Horowitz, "Computing's energy problem", ISSCC 2014,
table of 45 nm operation energies]: INT8 mult 0.2 pJ + 32-bit add 0.1 pJ = 0.3 pJ;
FP16 mult 1.1 pJ + FP16 add 0.4 pJ = 1.5 pJ; INT4 as a quarter of the INT8
multiplier plus a 16-bit add (0.05 + 0.05 pJ) = 0.1 pJ. Scaled to other nodes with
the same rule as the memory wires (λ/45)^1 x (V/V45)² in the CACTI range and V² plus
the logic-pitch area below 22 nm, i.e. switched capacitance follows the logic area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError
from ..limits import check_int
from .nodes import NODES, NodeInfo, parse_node

__all__ = ["DATAFLOWS", "TILE_PRECISIONS", "GemmResult", "tile_cycles", "mac_energy_pj",
           "macs_per_pe_cycle"]

DATAFLOWS = ("os", "ws", "is")
# MACs one PE completes per cycle, per precision (see module doc).
_MACS_PER_CYCLE = {"int8": 1.0, "int4": 2.0, "fp16": 0.5, "bf16": 0.5}
TILE_PRECISIONS = tuple(_MACS_PER_CYCLE)
_MAC_PJ_45 = {"int8": 0.3, "int4": 0.1, "fp16": 1.5, "bf16": 1.5}


@dataclass(frozen=True, slots=True, kw_only=True)
class GemmResult:
    """Cycles and utilisation of one GEMM on one array."""

    rows: int
    cols: int
    dataflow: str
    precision: str
    m: int
    k: int
    n: int
    folds: int
    cycles: int
    macs: int

    @property
    def utilization(self) -> float:
        """MACs done over MAC slots offered (0..1), at the precision's MACs per cycle."""
        return self.macs / (self.cycles * self.rows * self.cols
                            * macs_per_pe_cycle(self.precision))


def macs_per_pe_cycle(precision: str) -> float:
    """MACs per PE per cycle at ``precision`` (int8 1, int4 2, fp16/bf16 0.5)."""
    try:
        return _MACS_PER_CYCLE[precision.lower()]
    except KeyError:
        raise ConfigError(f"unknown tile precision {precision!r} "
                          f"(known: {', '.join(TILE_PRECISIONS)})") from None


# Largest array side or GEMM dimension (2^40): cycle counts stay exact integers.
MAX_GEMM_DIM = 1 << 40


def tile_cycles(rows: int, cols: int, m: int, k: int, n: int, *, dataflow: str = "os",
                precision: str = "int8") -> GemmResult:
    """Cycles of ``C[m,n] = A[m,k] B[k,n]`` on a ``rows x cols`` systolic array.

    Raises:
        ConfigError: a non-positive size or an unknown dataflow/precision.
    """
    for name, v in (("rows", rows), ("cols", cols), ("M", m), ("K", k), ("N", n)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ConfigError(f"{name} must be a positive integer, not {v!r}")
        check_int(v, name, lo=1, hi=MAX_GEMM_DIM)
    if not isinstance(dataflow, str) or not isinstance(precision, str):
        raise ConfigError("dataflow and precision must be names")
    df = dataflow.lower()
    if df not in DATAFLOWS:
        raise ConfigError(f"unknown dataflow {dataflow!r} (known: {', '.join(DATAFLOWS)})")
    per = macs_per_pe_cycle(precision)
    # Packed/slow modes change the effective reduction length the array steps through.
    k_eff = max(1, math.ceil(k / per))
    if df == "os":
        s_r, s_c, t = m, n, k_eff
    elif df == "ws":
        s_r, s_c, t = k_eff, n, m
    else:
        s_r, s_c, t = k_eff, m, n
    folds = math.ceil(s_r / rows) * math.ceil(s_c / cols)
    per_fold = t + rows + cols - 2 + (0 if df == "os" else rows)
    return GemmResult(rows=rows, cols=cols, dataflow=df, precision=precision.lower(),
                      m=m, k=k, n=n, folds=folds, cycles=folds * per_fold - 1, macs=m * k * n)


def mac_energy_pj(precision: str, node: str | int | NodeInfo) -> float:
    """Energy of one MAC (pJ) at ``precision`` and ``node`` (see module doc)."""
    macs_per_pe_cycle(precision)
    info = node if isinstance(node, NodeInfo) else parse_node(node)
    base = _MAC_PJ_45[precision.lower()]
    v45 = NODES[45].vdd_v
    lam = info.feature_nm
    return base * (lam / 45.0) * (info.vdd_v / v45) ** 2
