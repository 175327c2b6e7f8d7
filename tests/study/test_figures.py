"""Publication-ready figures: the save_figure rules, and every figure of a study run.

The study test runs every section present (new sections included, with their defaults
unless listed in SMALL), so a figure saved without ``report.plots.save_figure``, or one
breaking its rules, fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from janus1.report.plots import (
    DPI,
    FigureError,
    has_unit,
    new_figure,
    read_figure_meta,
    save_figure,
)
from janus1.study import discover_sections, run_study

# options that keep each known section to a few seconds (the figures are the same kind)
SMALL: dict[str, dict[str, Any]] = {
    "quant": {"max_tokens": 1024, "context": 128},
    "kvstudy": {"lengths": [16, 32], "batches": [1, 2], "torch": False},
    "fixed": {"max_tokens": 512, "budget_tokens": 256, "greedy_steps": 16},
    "sim_prefetch": {"lookaheads": [4, 16], "layers": 1},
    "sim_memory": {"factors": [0.5, 2.0], "layers": 1, "tokens": 1},
    "sim_dram": {"model": "stories15m", "context": 256, "sim_layers": 1,
                 "design_set": ["tiers.0.capacity=1MiB", "tiers.1.capacity=2MiB"]},
}


def check_png(png: Path) -> list[str]:
    """What is wrong with one saved figure (empty when nothing)."""
    bad = []
    meta = read_figure_meta(png)
    if meta["file_dpi"] != [DPI, DPI]:
        bad.append(f"{png.name}: {meta['file_dpi']} DPI")
    pdf = png.with_suffix(".pdf")
    if not pdf.exists():
        bad.append(f"{png.name}: no PDF beside it")
    else:
        data = pdf.read_bytes()
        # vector text: TrueType fonts embedded (pdf.fonttype 42), not text drawn as paths
        if not data.startswith(b"%PDF") or b"/FontFile2" not in data:
            bad.append(f"{pdf.name}: no embedded TrueType text")
    assert meta["axes"], png
    for ax in meta["axes"]:
        for w in ("x", "y"):
            if ax[f"{w}_visible"] and not ax[f"{w}_categorical"] \
                    and not has_unit(ax[f"{w}label"]):
                bad.append(f"{png.name} {ax['title']!r}: {w} label {ax[f'{w}label']!r}")
            if ax[f"{w}scale"] == "log":
                if ax[f"{w}_nonpositive"] or ax[f"{w}_min"] is None or ax[f"{w}_min"] <= 0:
                    bad.append(f"{png.name} {ax['title']!r}: non-positive data on log {w}")
    return bad


# ----------------------------------------------------------------- the helper's rules

def test_units() -> None:
    assert has_unit("context (tokens)") and has_unit("hit rate (%)")
    assert has_unit("latency [ns]") and not has_unit("latency") and not has_unit("(a) b")


def test_label_without_unit_is_refused(tmp_path: Path) -> None:
    fig, ax = new_figure()
    ax.plot([1, 2, 3], [1, 4, 9])
    ax.set_xlabel("batch")
    ax.set_ylabel("tokens/s")
    with pytest.raises(FigureError, match="x label 'batch' has no unit"):
        save_figure(fig, tmp_path / "f.png")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_zero_on_a_log_axis_is_refused(tmp_path: Path) -> None:
    fig, ax = new_figure()
    ax.plot([1, 2, 3], [0.0, 4, 9], "o")
    ax.set_yscale("log")
    ax.set(xlabel="x (s)", ylabel="y (J)")
    with pytest.raises(FigureError, match="at or below zero on the log y axis"):
        save_figure(fig, tmp_path / "f.png")
    # a bar chart on a log axis starts at zero: refused too
    fig, ax = new_figure()
    ax.barh([0, 1], [10.0, 100.0])
    ax.set_xscale("log")
    ax.set(xlabel="x (s)", ylabel="y (J)")
    with pytest.raises(FigureError, match="log x axis"):
        save_figure(fig, tmp_path / "g.png")
    # an axhline's x runs in axes coordinates (0..1), which is not data
    fig, ax = new_figure()
    ax.plot([1, 10], [1, 10])
    ax.axhline(5)
    ax.set_xscale("log")
    ax.set(xlabel="x (s)", ylabel="y (J)")
    save_figure(fig, tmp_path / "h.png")


def test_legend_over_data_moves_out(tmp_path: Path) -> None:
    fig, ax = new_figure()
    x = np.linspace(0, 1, 50)
    for k in range(4):
        ax.plot(x, np.full_like(x, 0.9) + 0.02 * k, label=f"series {k}")  # under upper left
    ax.set_ylim(0, 1)
    ax.set(xlabel="x (s)", ylabel="y (J)")
    ax.legend(loc="upper left")
    png = save_figure(fig, tmp_path / "f.png")
    assert png.exists() and read_figure_meta(png)["file_dpi"] == [DPI, DPI]


def test_colliding_annotations_are_moved(tmp_path: Path) -> None:
    fig, ax = new_figure(4, 3)
    pts = [(1.0, 1.0), (1.02, 1.0), (1.04, 1.01)]
    for i, (x, y) in enumerate(pts):
        ax.plot([x], [y], "o")
        ax.annotate(f"point number {i}", (x, y), xytext=(3, 3), textcoords="offset points")
    ax.set(xlabel="x (s)", ylabel="y (J)", xlim=(0.5, 1.5), ylim=(0.5, 1.5))
    save_figure(fig, tmp_path / "f.png")  # raises if they still overlap


def test_read_meta_refuses_a_foreign_png(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = new_figure()
    ax.plot([1, 2])
    fig.savefig(tmp_path / "x.png")
    plt.close(fig)
    with pytest.raises(FigureError, match="not saved by"):
        read_figure_meta(tmp_path / "x.png")


# ------------------------------------------------------------ every figure of a study

@pytest.mark.slow
def test_every_figure_of_a_study_is_publication_ready(tmp_path: Path) -> None:
    names = [s.name for s in discover_sections()]
    out = run_study(name="figs", out_root=tmp_path, only=names,
                    section_config={k: v for k, v in SMALL.items() if k in names})
    pngs = sorted(out.rglob("*.png"))
    # the summary plus at least one figure per section that drew one before this issue
    assert (out / "summary.png") in pngs
    assert {p.parent.name for p in pngs} >= {"kvcache", "roofline", "quant", "kvstudy",
                                             "fixed", "sim_prefetch", "sim_memory",
                                             "sim_dram"} & set(names)
    problems = [m for p in pngs for m in check_png(p)]
    assert not problems, problems
    # the summary has its nine panels drawn (every summary section ran) and leads the report
    meta = read_figure_meta(out / "summary.png")
    assert len(meta["axes"]) == 9
    report = (out / "report.md").read_text()
    first_image = report.index("![")
    assert report[first_image:].startswith("![summary of the study](summary.png)")
    assert first_image < report.index("## Seed claims at a glance")
    # every figure is linked from the report
    for p in pngs:
        assert p.relative_to(out).as_posix() in report, p


def test_fast_sections_figures(tmp_path: Path) -> None:
    out = run_study(name="f", out_root=tmp_path, only=("kvcache", "tech_compare", "ppa",
                                                       "thermal"))
    pngs = sorted(out.rglob("*.png"))
    assert {p.name for p in pngs} == {"kv_cache.png", "summary.png"}
    problems = [m for p in pngs for m in check_png(p)]
    assert not problems, problems
    # panels of sections that did not run are switched off, the others drawn
    assert len(read_figure_meta(out / "summary.png")["axes"]) == 5


def test_crowded_ticks_are_thinned_or_refused(tmp_path: Path) -> None:
    # a log axis over less than a decade labels its minor ticks (2x, 3x, ...): they go
    fig, ax = new_figure(3, 2.5)
    ax.plot([1, 2, 4, 8], [300, 500, 900, 1500], "o-")
    ax.set(xscale="log", yscale="log", xlabel="batch (sequences)", ylabel="rate (tokens/s)")
    save_figure(fig, tmp_path / "minor.png")
    # thirty wide labels on a 3-inch axis cannot be made to fit, even turned
    fig, ax = new_figure(3, 2.5)
    ax.plot(np.arange(30), np.arange(30) * 1e6)
    ax.set_xticks(np.arange(30), [f"{v:,}" for v in np.arange(30) * 1000001])
    ax.set(xlabel="x (bytes)", ylabel="y (J)")
    with pytest.raises(FigureError, match="overlaps .* and \\d+ more"):
        save_figure(fig, tmp_path / "crowded.png")


def test_summary_refuses_a_table_it_cannot_read(tmp_path: Path) -> None:
    from janus1.errors import FormatError
    from janus1.study.summary import write_summary

    (tmp_path / "kvcache").mkdir()
    (tmp_path / "kvcache" / "kv_cache.csv").write_text("model,context\nllama,4096\n")
    with pytest.raises(FormatError, match="kvcache tables"):
        write_summary(tmp_path)
    assert not (tmp_path / "summary.png").exists()
    # nothing but an empty folder: no panel has data, no summary
    assert write_summary(tmp_path / "kvcache") is None
