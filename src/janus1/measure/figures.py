"""The predicted-vs-measured figure of :func:`janus1.measure.validate.validate`."""

from __future__ import annotations

from pathlib import Path

from .validate import HEADLINE_MIN_PARAMS, ValidationResult

__all__ = ["validation_figure"]

_MARKERS = {"F16": "o", "Q8_0": "s", "Q4_0": "^"}


def validation_figure(res: ValidationResult, path: Path) -> Path:
    """Decode and prefill tokens/s, llama.cpp (x) against janus1 (y), log-log, with the
    identity and the +-15% band; hollow markers are the models under 100M parameters."""
    from ..report.plots import new_figure, save_figure

    fig, axs = new_figure(10.0, 4.6, ncols=2)
    colours = {"one_thread": "tab:blue", "all_threads": "tab:orange"}
    for ax, what in zip(axs, ("decode", "prefill")):
        lo, hi = float("inf"), 0.0
        for r in res.rows:
            x = getattr(r, f"measured_{what}_tokens_per_s")
            y = getattr(r, f"predicted_{what}_tokens_per_s")
            lo, hi = min(lo, x, y), max(hi, x, y)
            big = r.params >= HEADLINE_MIN_PARAMS
            c = colours.get(r.threads_label, "tab:green")
            ax.scatter([x], [y], marker=_MARKERS.get(r.format, "o"),
                       facecolors=c if big else "none", edgecolors=c, s=36)
        if hi > 0:
            span = [lo / 1.3, hi * 1.3]
            ax.plot(span, span, color="black", lw=0.8)
            ax.fill_between(span, [v * 0.85 for v in span], [v * 1.15 for v in span],
                            color="grey", alpha=0.15, lw=0)
            ax.set_xlim(span)
            ax.set_ylim(span)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"llama.cpp {what} (tokens/s)")
        ax.set_ylabel(f"janus1 predicted {what} (tokens/s)")
        ax.set_title(f"{what}: identity and ±15% band")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, marker="o", ls="", label=lbl.replace("_", " "))
               for lbl, c in colours.items() if lbl in res.labels]
    handles += [Line2D([], [], color="black", marker=m, ls="", mfc="none", label=f)
                for f, m in _MARKERS.items()]
    axs[1].legend(handles=handles, loc="lower right", fontsize=8)
    return save_figure(fig, path)
