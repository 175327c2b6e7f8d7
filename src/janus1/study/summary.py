"""The study's 9-panel summary figure (seed 001's "9-panel visualization suite").

Drawn after every section has run, from the tables the sections wrote into the results
folder (so the figure shows exactly the numbers of the report): KV-cache size, roofline,
quantization, memory technology, the prefetcher sweep, the on-chip size sweep, PPA,
thermal and the verdicts of the seed claims. A panel whose section did not run says so.
Saved through :func:`janus1.report.plots.save_figure` as ``summary.png`` (300 DPI) and
``summary.pdf`` (vector text) at the top of the results folder.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import FormatError

__all__ = ["PANELS", "summary_figure", "write_summary"]

MIB = 2**20


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _csv(path: Path) -> list[dict[str, Any]]:
    def conv(v: str) -> Any:
        if v in ("True", "False"):
            return v == "True"
        try:
            return float(v)
        except ValueError:
            return v

    with path.open(newline="") as f:
        return [{k: conv(v) for k, v in r.items()} for r in csv.DictReader(f)]


def _kvcache(ax: Any, root: Path) -> None:
    rows = _csv(root / "kvcache" / "kv_cache.csv")
    models = list(dict.fromkeys(r["model"] for r in rows))
    for prec, mk in (("fp16", "o"), ("int8", "s"), ("int4", "^")):
        pts = [(r["kv_mib"], models.index(r["model"])) for r in rows
               if r["kv_precision"] == prec and r["kv_mib"] > 0]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], mk, ls="none", label=prec)
    ax.axvline(256, color="grey", lw=0.8, ls="--")
    ctx = int(rows[0]["context"])
    ax.set_yticks(range(len(models)), models)
    ax.set_ylim(len(models) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.set_xlabel(f"KV cache at {ctx} tokens (MiB)")
    ax.set_title("a  KV cache per sequence (dashed: 256 MB)")
    ax.legend()


def _roofline(ax: Any, root: Path) -> None:
    rows = [r for r in _json(root / "roofline" / "roofline.json")
            if r["phase"] == "decode" and r["tokens_per_s"] > 0]
    devices = list(dict.fromkeys(r["device"] for r in rows))
    cases = list(dict.fromkeys((r["model"], r["precision"]) for r in rows))
    for (m, p), mk in zip(cases, "osD^v<>p"):
        pts = [(r["tokens_per_s"], devices.index(r["device"])) for r in rows
               if (r["model"], r["precision"]) == (m, p)]
        ax.plot([q[0] for q in pts], [q[1] for q in pts], mk, ls="none", label=f"{m} {p}")
    ax.set_yticks(range(len(devices)), devices)
    ax.set_ylim(len(devices) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.set_xlabel("decode throughput, batch 1 (tokens/s)")
    ax.set_title("b  roofline decode speed")
    ax.legend()


def _quant(ax: Any, root: Path) -> None:
    rows = _json(root / "quant" / "quant.json")
    for target, mk in (("weights", "o"), ("kv", "s")):
        rs = [r for r in rows if r["target"] == target]
        ax.plot([r["bits"] for r in rs], [r["ppl_delta_pct"] for r in rs], mk, ls="none",
                label=f"{target}")
    ax.set_yscale("symlog", linthresh=0.01)
    ax.axhline(0.0, color="grey", lw=0.6)
    ax.set_xlabel("bits per value (bits)")
    ax.set_ylabel("perplexity change (%, symlog)")
    ax.set_title("c  quantization, stories260K")
    ax.legend()


def _tech(ax: Any, root: Path) -> None:
    rows = [r for r in _csv(root / "tech_compare" / "memtech_224MiB_3nm.csv")]
    names = [f"{r['tech']} ({r['cell']})" for r in rows]
    for key, mk, label in (("static_w", "o", "static"), ("dynamic_w", "s", "dynamic"),
                           ("total_w", "D", "total")):
        pts = [(r[key], i) for i, r in enumerate(rows) if r[key] > 0]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], mk, ls="none", label=label,
                mfc="none" if key == "total_w" else None)
    ax.set_yticks(range(len(rows)), names)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.set_xlabel("power of 224 MiB at 3 nm (W)")
    ax.set_title("d  memory technology")
    ax.legend()


def _hit_key(row: dict[str, Any]) -> str:
    return next(k for k in row if k.endswith("_hit_rate"))


def _prefetch(ax: Any, root: Path) -> None:
    rows = _json(root / "sim_prefetch" / "lookahead_sweep.json")["rows"]
    for trace, mk in (("seed", "o"), ("decode", "s")):
        st = [r for r in rows if r["trace"] == trace and r["prefetcher"] == "stream"
              and r["mean"] > 0]
        if st:
            ax.plot([r["lookahead"] for r in st], [r["mean"] for r in st], marker=mk,
                    label=f"{trace} trace")
    ax.set_yscale("log")
    ax.set_xlabel("look-ahead depth (lines)")
    ax.set_ylabel("mean read latency (cycles)")
    ax.set_title("e  Janus-Prefetch-1 sweep")
    ax.legend()


def _memory(ax: Any, root: Path) -> None:
    rows = [r for r in _json(root / "sim_memory" / "memory_sweep.json")["rows"] if r["refresh"]]
    levels = [k[: -len("_hit_rate")] for k in rows[0] if k.endswith("_hit_rate")]
    for ab, ls in ((8, "-"), (64, "--")):
        rs = sorted((r for r in rows if r["access_bytes"] == ab),
                    key=lambda r: r["capacity_over_footprint"])
        for lv in levels:
            ax.plot([r["capacity_over_footprint"] for r in rs],
                    [100 * r[f"{lv}_hit_rate"] for r in rs], marker=".", ls=ls,
                    label=f"{lv}, {ab} B")
    ax.axvline(1.0, color="grey", ls=":")
    ax.set_xscale("log")
    ratios = sorted({r["capacity_over_footprint"] for r in rows})
    ax.set_xticks(ratios, [f"{x:.2g}" for x in ratios])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("on-chip capacity / step footprint (ratio)")
    ax.set_ylabel("hit rate (%)")
    ax.set_title("f  on-chip size sweep")
    ax.legend()


def _ppa(ax: Any, root: Path) -> None:
    data = _json(root / "ppa" / "ppa.json")
    for i, (name, r) in enumerate(data.items()):
        if r["tokens_per_s"] > 0 and r["power_w"] > 0:
            ax.plot([r["tokens_per_s"]], [r["power_w"]], "os^Dv"[i % 5], color=f"C{i}")
            ax.annotate(f"{name}, {r['area_mm2']:.0f} mm²", (r["tokens_per_s"], r["power_w"]),
                        xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    xs = [r["tokens_per_s"] for r in data.values() if r["tokens_per_s"] > 0]
    ys = [r["power_w"] for r in data.values() if r["power_w"] > 0]
    if xs and ys:
        ax.set_xlim(min(xs) / 4, max(xs) * 8)
        ax.set_ylim(min(ys) / 2, max(ys) * 2)
    ax.set_xlabel("decode throughput, batch 1 (tokens/s)")
    ax.set_ylabel("power (W)")
    model = next(iter(data.values()))["model"]
    ax.set_title(f"g  PPA decoding {model}")


def _thermal(ax: Any, root: Path) -> None:
    rows = _csv(root / "thermal" / "thermal.csv")
    names = [r["package"] for r in rows]
    ok = [(r["junction_c"], i) for i, r in enumerate(rows) if not r["runaway"]]
    ax.plot([p[0] for p in ok], [p[1] for p in ok], "o", ls="none", label="janus-1 (solved)")
    ax.plot([r["four_w_junction_c"] for r in rows], range(len(rows)), "x", ls="none",
            label="seed's 4.05 W")
    ax.axvline(105, color="C3", lw=0.8, ls="--")
    for i, r in enumerate(rows):
        if r["runaway"]:
            ax.annotate("runaway", (105, i), xytext=(3, 3),
                        textcoords="offset points", color="C3")
    ax.set_yticks(range(len(rows)), names)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("junction temperature (°C)")
    ax.set_title("h  thermal (dashed: 105 °C limit)")
    ax.legend()


def _verdicts(ax: Any, root: Path) -> None:
    claims = _json(root / "claims.json")
    if not claims:
        raise FileNotFoundError("no claims")
    seeds = sorted({c["seed"] for c in claims})
    left = [0] * len(seeds)
    for verdict, color in (("holds", "C2"), ("partly", "C1"), ("refuted", "C3"),
                           ("untested", "C7")):
        n = [sum(1 for c in claims if c["seed"] == s and c["verdict"] == verdict)
             for s in seeds]
        if any(n):
            ax.barh(range(len(seeds)), n, left=left, color=color, label=verdict)
            left = [a + b for a, b in zip(left, n)]
    ax.set_yticks(range(len(seeds)), [f"seed {s}" for s in seeds])
    ax.set_ylim(len(seeds) - 0.5, -0.5)
    ax.set_xlim(0, max(left) * 1.45)
    ax.set_xlabel("seed claims checked (count)")
    ax.set_title("i  verdicts")
    ax.legend(loc="lower right")


# (panel key, the section whose tables it reads, the drawing function)
PANELS: tuple[tuple[str, str, Callable[[Any, Path], None]], ...] = (
    ("kvcache", "kvcache", _kvcache), ("roofline", "roofline", _roofline),
    ("quant", "quant", _quant), ("tech", "tech_compare", _tech),
    ("prefetch", "sim_prefetch", _prefetch), ("memory", "sim_memory", _memory),
    ("ppa", "ppa", _ppa), ("thermal", "thermal", _thermal), ("verdicts", "claims", _verdicts),
)


def summary_figure(root: str | Path) -> tuple[Any, list[str]]:
    """The 9-panel figure of a results folder, and the panels that had data.

    Raises:
        FormatError: a table of the folder is not what its section writes.
    """
    from ..report.plots import new_figure

    import matplotlib

    root = Path(root)
    with matplotlib.rc_context({"font.size": 8, "axes.titlesize": 10, "axes.labelsize": 8,
                                "xtick.labelsize": 7, "ytick.labelsize": 7,
                                "legend.fontsize": 7}):
        fig, axes = new_figure(14, 11, nrows=3, ncols=3)
        try:
            drawn = _draw(axes, root)
        except FormatError:
            import matplotlib.pyplot as plt

            plt.close(fig)
            raise
    fig.suptitle("janus1 study summary", fontsize=14)
    return fig, drawn


def _draw(axes: Any, root: Path) -> list[str]:
    drawn = []
    for ax, (key, section, draw) in zip(axes.ravel(), PANELS):
        try:
            draw(ax, root)
            drawn.append(key)
        except FileNotFoundError:
            ax.cla()
            ax.set_axis_off()
            ax.text(0.5, 0.5, f"{key}: section `{section}` not run", ha="center",
                    va="center", transform=ax.transAxes, color="grey")
        except (KeyError, ValueError, TypeError, IndexError, StopIteration) as exc:
            raise FormatError(f"{root}: the {section} tables cannot be read for the "
                              f"summary figure ({type(exc).__name__}: {exc})") from None
    return drawn


def write_summary(root: str | Path) -> Path | None:
    """Write ``summary.png`` (300 DPI) and ``summary.pdf`` into ``root``; None when no
    panel has data (no summary section ran)."""
    import matplotlib.pyplot as plt

    from ..report.plots import save_figure

    fig, drawn = summary_figure(root)
    if not drawn or drawn == ["verdicts"]:
        plt.close(fig)
        return None
    return save_figure(fig, Path(root) / "summary.png")
