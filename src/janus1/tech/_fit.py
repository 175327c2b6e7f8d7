"""Fit the memory model's coefficients to the CACTI 7 reference tables.

This is how :mod:`janus1.tech._coeffs` was produced: ``python -m janus1.tech._fit
../shared/reference`` prints the coefficient tables. The fit minimises the log error
with a Cauchy loss (scale 0.15), which follows the bulk of the rows and lets CACTI's
organisation jumps (cacti.md: "CACTI picks a new organisation for every point") count
as outliers instead of dragging every point. Each quantity is fitted with the
structure of :mod:`janus1.tech.memory`, using the *model's* area (not CACTI's) inside
energy and latency, so errors do not hide behind CACTI's own area.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .cells import cell_area_um2
from .nodes import NODES

__all__ = ["load_rows", "fit_coefficients"]

_FIT_CELLS = ("itrs-hp", "itrs-lstp", "lp-dram", "comm-dram")


def load_rows(folder: str | Path) -> list[dict[str, str]]:
    """The rows of cacti_sram.csv and cacti_edram.csv in ``folder``."""
    rows: list[dict[str, str]] = []
    for name in ("cacti_sram.csv", "cacti_edram.csv"):
        with open(Path(folder) / name, newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def _lsq(fun: Any, x0: list[float]) -> np.ndarray:
    from scipy.optimize import least_squares

    return least_squares(fun, x0, loss="cauchy", f_scale=0.15).x


def _refine_count(res: Any, p0: np.ndarray) -> np.ndarray:
    """Refine ``p0`` to maximise the rows within ±30 % (a smoothed count).

    Used for DRAM leakage only: CACTI's organisation choice scatters it by up to 3x at
    a given node and size (cacti.md), so a least-squares fit leaves about a quarter
    of the rows outside ±30 %. This optimises the acceptance criterion itself, which
    may generalise worse than a plain fit; the withheld rows are the check.
    """
    from scipy.optimize import minimize

    tol = math.log(1.3)
    best = p0
    for w in (0.1, 0.05, 0.03, 0.02):
        def obj(p: np.ndarray, w: float = w) -> float:
            r = np.abs(res(p))
            return float((1.0 / (1.0 + np.exp(-(r - tol) / w))).sum() + 0.1 * np.median(r))
        best = minimize(obj, best, method="Nelder-Mead", options={"maxiter": 20000}).x
    return best


def fit_coefficients(rows: list[dict[str, str]]) -> tuple[dict[str, dict[str, float]],
                                                         dict[str, dict[int, float]]]:
    """Fit (COEFFS, LEAK_NODE) per cell type from CACTI rows."""
    coeffs: dict[str, dict[str, float]] = {}
    leak_node: dict[str, dict[int, float]] = {}
    for cell in _FIT_CELLS:
        R = [r for r in rows if r["cell_type"] == cell]
        n = np.array([int(r["node_nm"]) for r in R], float)
        bits = np.array([int(r["capacity_bytes"]) * 8 for r in R], float)
        banks = np.array([int(r["banks"]) for r in R], float)
        io = np.array([int(r["io_bits"]) for r in R], float)
        acell = np.array([cell_area_um2(cell, NODES[int(x)])[0] for x in n])
        A = np.array([float(r["area_mm2"]) for r in R])
        E = np.array([float(r["read_energy_pj"]) for r in R])
        W = np.array([float(r["write_energy_pj"]) for r in R])
        T = np.array([float(r["access_time_ns"]) for r in R])
        L = np.array([float(r["leakage_excl_refresh_mw"]) for r in R])
        REF = np.array([float(r["refresh_mw"]) for r in R])
        cells = bits * acell * 1e-6
        lam = n / 45.0
        mbb = bits / banks / 1e6

        def area(p: np.ndarray) -> np.ndarray:
            return cells + banks * np.exp(p[0]) * mbb ** p[1] * lam ** p[2]

        pa = _lsq(lambda p: np.log(area(p) / A), [-2.0, 1.0, 2.0])
        side = np.sqrt(area(pa))
        pe = _lsq(lambda p: np.log(lam ** p[2] * side * (np.exp(p[0]) * io / 512
                                                         + np.exp(p[1])) / E),
                  [5.0, 3.0, 0.8])
        pt = _lsq(lambda p: np.log(lam ** p[2] * (np.exp(p[0]) + np.exp(p[1]) * side) / T),
                  [0.0, 0.0, 0.5])
        nodes = sorted({int(x) for x in n})
        idx = np.array([nodes.index(int(x)) for x in n])
        m = len(nodes)
        multi = (banks > 1).astype(float)
        lmb = np.log(bits / 1e6)

        def lres(p: np.ndarray) -> np.ndarray:
            return (p[:m][idx] + p[m] * lmb + p[m + 1] * np.log(banks) + p[m + 2] * multi
                    + p[m + 3] * lmb ** 2) - np.log(L)

        pl = _lsq(lres, [0.0] * m + [1.0, 0.0, 0.0, 0.0])
        if not cell.startswith("itrs"):
            pl = _refine_count(lres, pl)
        c = {"area_k": pa[0], "area_g": pa[1], "area_d": pa[2],
             "e_io": pe[0], "e_addr": pe[1], "e_beta": pe[2],
             "t_0": pt[0], "t_1": pt[1], "t_tau": pt[2],
             "leak_g": pl[m], "leak_q": pl[m + 1], "leak_m": pl[m + 2], "leak_g2": pl[m + 3]}
        if cell.startswith("itrs"):
            c["write_ratio"] = float(np.median(W / E))
        else:
            ret = np.array([float(r["refresh_period_us"]) for r in R])
            e_ref = REF * 1e-3 / bits * ret * 1e-6 * 1e15          # fJ per bit per refresh
            pr = _lsq(lambda p: np.log(np.exp(p[0]) * lam ** p[1] / e_ref), [3.0, 1.0])
            c["ref_0"], c["ref_1"] = pr[0], pr[1]
        if np.all(banks == 1):
            # No multi-bank rows (itrs-lstp): the bank terms are not identifiable here;
            # take them from itrs-hp, the same SRAM cell on other transistors.
            for k in ("leak_q", "leak_m"):
                c[k] = coeffs["itrs-hp"][k]
        coeffs[cell] = {k: round(float(v), 4) for k, v in c.items()}
        leak_node[cell] = {nd: round(float(pl[i]), 4) for i, nd in enumerate(nodes)}
    return coeffs, leak_node


def main(argv: list[str]) -> int:
    """Print the fitted tables (to paste into _coeffs.py)."""
    folder = argv[1] if len(argv) > 1 else "../shared/reference"
    coeffs, leak = fit_coefficients(load_rows(folder))
    print("COEFFS = {")
    for cell, c in coeffs.items():
        print(f"    {cell!r}: {c!r},")
    print("}")
    print("LEAK_NODE = {")
    for cell, c in leak.items():
        print(f"    {cell!r}: {c!r},")
    print("}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
