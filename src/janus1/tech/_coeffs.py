"""Coefficients of the memory model (:mod:`janus1.tech.memory`).

Produced by ``python -m janus1.tech._fit ../shared/reference`` (a robust fit of
the model's structure to the 127 rows of shared/reference/cacti_sram.csv and
cacti_edram.csv, CACTI 7.0 "3DD Prerelease", 300 K, RAM mode; cacti.md). These are a
few numbers per cell type, not the rows: 3 for area, 3 for read energy, 3 for access
time, 3 plus one per node for leakage, 1 for write energy (SRAM) or 2 for refresh
energy (DRAM). ``tests/tech/test_memory_cacti.py`` checks both that a fresh fit gives
these numbers and how far the model lands from every row.

Keys: area_k/area_g/area_d: periphery = banks x e^k x (Mb per bank)^g x (λ/45)^d mm²;
e_io/e_addr/e_beta: read pJ = s x sqrt(area) x (e^e_io x io/512 + e^e_addr), s =
(λ/45)^beta; t_0/t_1/t_tau: access ns = (λ/45)^tau x (e^t_0 + e^t_1 x sqrt(area));
leak_g/leak_g2/leak_q/leak_m: leakage mW = e^LEAK_NODE x Mb^(g + g2 ln Mb) x banks^q x
e^(m [banks>1]) (SRAM cells: Cauchy loss; DRAM cells: plain least squares in log,
the method ``_fit.DEFAULT_METHOD`` chosen by cross-validation, see
tests/tech/test_memory_cv.py);
write_ratio: SRAM write/read energy (median); ref_0/ref_1: refresh energy per bit
e^ref_0 x (λ/45)^ref_1 fJ. LEAK_NODE: log leakage (mW) of 1 Mb at 300 K per node,
CACTI's ITRS device leakage (not monotonic in node).
"""

from __future__ import annotations

__all__ = ["COEFFS", "LEAK_NODE", "MRAM_SENSE_NS"]

COEFFS: dict[str, dict[str, float]] = {
    'itrs-hp': {'area_k': -1.9587, 'area_g': 0.9762, 'area_d': 1.7206, 'area_q': 0.0504, 'e_io': 5.0411, 'e_addr': 3.3194, 'e_beta': 0.7118, 't_0': -1.126, 't_1': -0.3197, 't_tau': -0.1292, 'leak_g': 0.9849, 'leak_q': 0.1061, 'leak_m': -0.1697, 'leak_g2': -0.0004, 'write_ratio': 1.0599},
    'itrs-lstp': {'area_k': -1.9077, 'area_g': 0.9355, 'area_d': 1.7704, 'area_q': 0.0504, 'e_io': 5.477, 'e_addr': 2.3901, 'e_beta': 0.8944, 't_0': -0.5718, 't_1': 0.5998, 't_tau': -0.1052, 'leak_g': 0.9654, 'leak_q': 0.1061, 'leak_m': -0.1697, 'leak_g2': 0.0033, 'write_ratio': 0.9948},
    'lp-dram': {'area_k': -1.4527, 'area_g': 0.7789, 'area_d': 1.9153, 'area_q': 0.1064, 'e_io': 5.2915, 'e_addr': 2.7978, 'e_beta': 0.7446, 't_0': 0.3064, 't_1': -0.3391, 't_tau': 0.2975, 'leak_g': 0.8586, 'leak_q': 0.5901, 'leak_m': -1.0613, 'leak_g2': -0.0017, 'ref_0': 3.5422, 'ref_1': 0.8501},
    'comm-dram': {'area_k': -2.2196, 'area_g': 0.8612, 'area_d': 1.7989, 'area_q': 0.1536, 'e_io': 5.3071, 'e_addr': 2.5628, 'e_beta': 0.7339, 't_0': 1.4017, 't_1': -0.23, 't_tau': 0.3338, 'leak_g': 1.0507, 'leak_q': 0.4851, 'leak_m': -0.7697, 'leak_g2': -0.0264, 'ref_0': 4.4146, 'ref_1': 1.5801},
}
LEAK_NODE: dict[str, dict[int, float]] = {
    'itrs-hp': {22: 2.2869, 32: 3.1511, 45: 4.0961, 65: 4.2272, 90: 2.9414},
    'itrs-lstp': {22: -4.0493, 32: -5.2508, 65: -3.9385},
    'lp-dram': {32: 0.8674, 45: 1.8645, 65: 1.975, 90: 0.5908},
    'comm-dram': {22: -0.3426, 32: 0.6022, 45: 1.1371, 65: 1.3011, 90: -0.1051},
}

# STT-MRAM read adds the MTJ sense time over an SRAM-like array; TSMC 22 nm eMRAM reads
# in about 10 ns against about 6 ns for the same-size lstp SRAM macro in this model, so
# 3 ns is taken as the sense overhead [S: TSMC ISSCC 2020 via press; an estimate].
MRAM_SENSE_NS = 3.0
