"""Cross-validation of the memory-model fit against CACTI 7 (shared/reference, cacti.md).

About a third of the CACTI grid is withheld and will check janus1 with the same
criteria as test_memory_cacti.py (per technology and quantity: median |error| <= 20 %,
>= 80 % of rows within ±30 %). A fit judged on the rows it was fitted to says little
about those points, so here the *whole fitting procedure* is repeated on two thirds of
the visible rows (3 folds stratified by cell and node, 4 repeats, fixed seed) and judged
on the third it did not see. Every fitting variant in ``_fit.METHODS`` is run and
printed; the stored coefficients use ``_fit.DEFAULT_METHOD``, the variant chosen by the
rule in :func:`test_default_method_is_the_cross_validated_choice`.
"""

from __future__ import annotations

import csv

import pytest
from conftest import shared_path

pytest.importorskip("scipy")

from janus1.tech._fit import (CV_QUANTITIES, DEFAULT_METHOD, METHODS,  # noqa: E402
                              CVResult, cross_validate)

TECHS = {"sram": ("itrs-hp", "itrs-lstp"), "edram": ("lp-dram", "comm-dram")}
GATED = ("area", "read_energy", "leakage")
REPEATS = 4
SEED = 20240501


def _rows() -> list[dict[str, str]]:
    out = []
    for name in ("cacti_sram.csv", "cacti_edram.csv"):
        with open(shared_path("reference", name), newline="") as fh:
            out += list(csv.DictReader(fh))
    return out


@pytest.fixture(scope="module")
def cv() -> dict[str, CVResult]:
    rows = _rows()
    return {m: cross_validate(rows, m, folds=3, repeats=REPEATS, seed=SEED) for m in METHODS}


def _fmt(s: dict) -> str:
    return (f"{s['median']:.3f} / {s['within30']:.2f} "
            f"(worst repeat {s['worst_repeat_median']:.3f} / {s['worst_repeat_within30']:.2f})")


def test_held_out_errors_are_printed_for_every_method(cv: dict[str, CVResult]) -> None:
    print(f"\nheld-out median |err| / share within ±30 %, 3 folds x {REPEATS} repeats, "
          f"seed {SEED} (default method: {DEFAULT_METHOD})")
    for method, res in cv.items():
        print(f"method {method}:")
        for group in (*TECHS, "itrs-hp", "itrs-lstp", "lp-dram", "comm-dram"):
            cells = TECHS.get(group, (group,))
            for q in CV_QUANTITIES:
                s = res.stats(cells, q)
                if s["rows"]:
                    print(f"  {group:9s} {q:11s} {s['rows']:3d} rows  {_fmt(s)}")
        # every row is predicted once per repeat, for every quantity it has
        for tech, cells in TECHS.items():
            assert res.stats(cells, "area")["rows"] == sum(
                r["cell_type"] in cells for r in _rows())


@pytest.mark.parametrize("tech,quantity", [("sram", "area"), ("sram", "read_energy"),
                                           ("sram", "leakage"), ("edram", "area"),
                                           ("edram", "read_energy")])
def test_default_method_meets_criteria_on_held_out_folds(cv: dict[str, CVResult], tech: str,
                                                         quantity: str) -> None:
    s = cv[DEFAULT_METHOD].stats(TECHS[tech], quantity)
    print(f"\n{tech} {quantity} held out: {_fmt(s)}")
    assert s["median"] <= 0.20
    assert s["within30"] >= 0.80


@pytest.mark.xfail(strict=True, reason="eDRAM leakage scatters with CACTI's organisation "
                   "choice; no fitted variant reaches the criteria on held-out rows "
                   "(docs/technology.md)")
def test_edram_leakage_meets_criteria_on_held_out_folds(cv: dict[str, CVResult]) -> None:
    s = cv[DEFAULT_METHOD].stats(TECHS["edram"], "leakage")
    print(f"\nedram leakage held out: {_fmt(s)}")
    assert s["median"] <= 0.20 and s["within30"] >= 0.80


def test_edram_leakage_held_out_errors_stay_at_their_measured_level(
        cv: dict[str, CVResult]) -> None:
    # Not the acceptance criteria (see the xfail above): a guard that the chosen fit
    # keeps the held-out level measured when it was chosen (median 0.22, 64 % within
    # ±30 %), so a change that makes it worse fails here.
    s = cv[DEFAULT_METHOD].stats(TECHS["edram"], "leakage")
    assert s["median"] <= 0.25
    assert s["within30"] >= 0.58


def test_default_method_is_the_cross_validated_choice(cv: dict[str, CVResult]) -> None:
    # The variants differ only in how the DRAM leakage is fitted. Rule: the highest
    # held-out share within ±30 % for eDRAM leakage; shares within 0.02 of the best are
    # a tie, broken by the lowest worst-repeat median (the most stable fit).
    stats = {m: r.stats(TECHS["edram"], "leakage") for m, r in cv.items()}
    best = max(s["within30"] for s in stats.values())
    tied = [m for m, s in stats.items() if s["within30"] >= best - 0.02]
    chosen = min(tied, key=lambda m: stats[m]["worst_repeat_median"])
    print("\nedram leakage held out: " +
          "; ".join(f"{m} {_fmt(s)}" for m, s in stats.items()) + f" -> {chosen}")
    assert chosen == DEFAULT_METHOD
    # The refinement that maximised the in-sample count does not generalise better.
    assert stats["count"]["within30"] <= stats[DEFAULT_METHOD]["within30"]
