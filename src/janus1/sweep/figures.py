"""Sweep figures: 2-D Pareto fronts and a scatter matrix of the objectives.

Written into ``results/<name>/figures/`` (atomically, PNG). Large sweeps are thinned to
at most ``max_points`` points for drawing (every k-th point, deterministic); fronts are
always drawn whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .metrics import axis_label
from .pareto import Front, front
from .spec import SweepSpec
from .store import Store

__all__ = ["pareto_figure", "scatter_matrix", "sweep_figures"]

_MAX_POINTS = 5000


def pareto_figure(f: Front, path: str | Path, title: str = "") -> Path:
    """Every usable point in grey, the front in colour, to ``path`` (.png)."""
    from ..report.plots import new_figure, save_figure

    fig, ax = new_figure(6.5, 4.5)
    n = len(f.xs)
    step = max(1, n // _MAX_POINTS)
    ax.scatter(f.xs[::step], f.ys[::step], s=6, c="0.7", label=f"points ({n:,})")
    xi, yi = f.columns.index(f.x), f.columns.index(f.y)
    fx = [r[xi] for r in f.rows]
    fy = [r[yi] for r in f.rows]
    ax.plot(fx, fy, "o-", color="tab:red", ms=4, lw=1.2, label=f"Pareto front ({len(fx)})")
    ax.set_xlabel(axis_label(f.x, f.x_goal))
    ax.set_ylabel(axis_label(f.y, f.y_goal))
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return save_figure(fig, path)


def scatter_matrix(store: Store, metrics: list[str], path: str | Path, title: str = "") -> Path:
    """Pairwise scatter plots of ``metrics`` (feasible points in blue, others grey)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..report.plots import save_figure

    tab = store.read(metrics + ["feasible"])
    n = tab.num_rows
    step = max(1, n // _MAX_POINTS)
    cols = {m: np.array([np.nan if v is None else float(v)
                         for v in tab.column(m).to_pylist()[::step]]) for m in metrics}
    feas = np.array([bool(v) for v in tab.column("feasible").to_pylist()[::step]], bool)
    k = len(metrics)
    fig, axes = plt.subplots(k, k, figsize=(2.2 * k + 1, 2.2 * k + 1), dpi=100, squeeze=False)
    for i, mi in enumerate(metrics):
        for j, mj in enumerate(metrics):
            ax: Any = axes[i][j]
            if i == j:
                v = cols[mi][np.isfinite(cols[mi])]
                ax.hist(v, bins=30, color="tab:blue")
            else:
                ax.scatter(cols[mj][~feas], cols[mi][~feas], s=3, c="0.75")
                ax.scatter(cols[mj][feas], cols[mi][feas], s=3, c="tab:blue")
            # labels on the outer row and column only; inner panels share them
            if i == k - 1:
                ax.set_xlabel(axis_label(mj), fontsize=7)
            else:
                ax.tick_params(labelbottom=False)
            if j == 0:
                ax.set_ylabel("points (count)" if i == j else axis_label(mi), fontsize=7)
            else:
                ax.tick_params(labelleft=False)
            ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def sweep_figures(spec: SweepSpec, store: Store) -> list[Path]:
    """The run's figures: the front of the first two objectives (or area against
    tokens/J when ppa ran) and a scatter matrix of the objectives."""
    names = [c for c, _ in store.columns]
    objs = [o.metric for o in spec.objectives]
    pairs: list[tuple[str, str]] = []
    if len(objs) >= 2:
        pairs.append((objs[0], objs[1]))
    elif "area_mm2" in names and "tokens_per_joule" in names:
        pairs.append(("area_mm2", "tokens_per_joule"))
    elif "tokens_per_s" in names and "weight_bytes" in names:
        pairs.append(("weight_bytes", "tokens_per_s"))
    out: list[Path] = []
    fig_dir = store.path / "figures"
    for x, y in pairs:
        f = front(store.path, x, y)
        if f.points_used:
            out.append(pareto_figure(f, fig_dir / f"pareto-{x}-{y}.png", title=spec.name))
    mats = objs if len(objs) >= 2 else [m for m in ("area_mm2", "power_w", "tokens_per_s",
                                                    "tokens_per_joule") if m in names]
    if len(mats) >= 2 and store.parts():
        out.append(scatter_matrix(store, mats[:5], fig_dir / "scatter-matrix.png",
                                  title=spec.name))
    return out
