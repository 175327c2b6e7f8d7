"""Package thermals: presets, steady state, RC transient, leakage fixed point."""

from __future__ import annotations

import math

import pytest

from janus1.tech import (load_package, package_names, solve_junction, steady_junction_c,
                         transient_junction_c)


def test_presets_match_anchor_ranges() -> None:
    # ANCHORS.md: PBGA 13 mm ~24 °C/W; FCBGA 21-25 mm 13-15; with airflow 8-11; heatsink 5-8.
    assert {"pbga-13mm", "fcbga-21mm", "fcbga-21mm-airflow", "fcbga-21mm-heatsink"} <= set(package_names())
    assert load_package("pbga-13mm").theta_ja_c_per_w == pytest.approx(24, abs=1)
    assert 13 <= load_package("fcbga-21mm").theta_ja_c_per_w <= 15
    assert 8 <= load_package("fcbga-21mm-airflow").theta_ja_c_per_w <= 11
    assert 5 <= load_package("fcbga-21mm-heatsink").theta_ja_c_per_w <= 8


def test_4w_at_45c_in_21mm_fcbga_is_about_100c() -> None:
    # ANCHORS.md: about 97-105 °C junction.
    assert 97 <= steady_junction_c(4.0, 45.0, load_package("fcbga-21mm")) <= 105


def test_transient_reaches_63_percent_after_one_time_constant() -> None:
    p = load_package("fcbga-21mm")
    tau = p.theta_ja_c_per_w * p.heat_capacity_j_per_k
    rise = transient_junction_c(4.0, 45.0, p, tau) - 45.0
    assert rise == pytest.approx(4.0 * p.theta_ja_c_per_w * (1 - math.exp(-1)))


def test_fixed_point_matches_closed_form_for_linear_leakage() -> None:
    # P(T) = a + b T  =>  T = (Ta + θ a) / (1 - θ b)
    p = load_package("fcbga-21mm")
    a, b = 2.0, 0.01
    sol = solve_junction(lambda t: a + b * t, 45.0, p)
    assert sol.converged and not sol.runaway
    assert sol.junction_c == pytest.approx((45 + 14 * a) / (1 - 14 * b), abs=0.05)


def test_runaway_is_reported() -> None:
    sol = solve_junction(lambda t: math.exp(t / 20.0), 45.0, load_package("pbga-13mm"))
    assert sol.runaway
