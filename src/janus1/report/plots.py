"""The one way janus1 saves a figure: publication rules checked, 300 DPI PNG + vector PDF.

``new_figure`` gives a (figure, axes) pair on the Agg backend; ``save_figure`` lays it out,
fixes what it can and refuses what it cannot:

- every visible, non-categorical axis has a label that ends with its unit in parentheses
  (``"context (tokens)"``, ``"hit rate (%)"``, ``"footprint (x FP32)"``);
- no data at or below zero on a log axis (lines, markers, bars, polygons in data coordinates);
- no two texts overlap (titles, axis and tick labels, annotations, legends): annotations
  that collide are moved to the nearest free spot around their point first;
- a legend that covers a data point or a line is moved outside the axes, to the right;
- the PNG is written at 300 DPI and a PDF with embedded TrueType (vector, selectable) text
  beside it, both atomically; the PNG carries the checked facts (labels, scales, data
  minimum per log axis, DPI) as a ``janus1-figure`` text chunk (:func:`read_figure_meta`),
  so a test can check every figure of a results folder after the fact.

A figure that still breaks a rule raises :class:`FigureError` naming the file and the rule.
Imported only by the study/report layer, never on the CLI's start-up path.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["DPI", "FigureError", "META_KEY", "check_figure", "describe_figure", "has_unit",
           "new_figure", "read_figure_meta", "save_figure"]

DPI = 300                 # the PNG's resolution (journals ask for 300 DPI line art minimum)
META_KEY = "janus1-figure"  # PNG text chunk holding describe_figure()'s JSON
# a unit: the label's last parenthesised or bracketed group, e.g. "(MiB)", "[ns]", "(%)"
_UNIT = re.compile(r"[(\[][^()\[\]]+[)\]]\s*$")


class FigureError(ValueError):
    """A figure breaks a publication rule the helper could not fix (a programming error)."""


def has_unit(label: str) -> bool:
    """True when ``label`` ends with a unit in parentheses or brackets."""
    return bool(_UNIT.search(label.strip()))


def new_figure(width: float = 7.0, height: float = 4.5, *, nrows: int = 1, ncols: int = 1,
               **kw: Any) -> tuple[Any, Any]:
    """A fresh (figure, axes) pair on the Agg backend (``axes`` is an array for a grid)."""
    import matplotlib

    if "inline" not in matplotlib.get_backend():  # keep a notebook's inline backend
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(nrows, ncols, figsize=(width, height), dpi=100, **kw)
    return fig, ax


# ---------------------------------------------------------------- inspection helpers

def _data_dims(artist: Any, ax: Any) -> tuple[bool, bool]:
    """Whether the artist's x and y are in data coordinates (axhline: x is not)."""
    try:
        tr = artist.get_transform()
        return tuple(tr.contains_branch_seperately(ax.transData))  # type: ignore[return-value]
    except (AttributeError, ValueError):
        return (False, False)


def _artist_xy(ax: Any) -> list[tuple[Any, bool, bool]]:
    """(N x 2 data array, x in data coords, y in data coords) for each visible artist."""
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    out: list[tuple[Any, bool, bool]] = []
    for art in ax.get_children():
        if not art.get_visible():
            continue
        if isinstance(art, Line2D):
            xy = np.asarray(art.get_xydata(), dtype=float).reshape(-1, 2)
            out.append((xy, *_data_dims(art, ax)))
        elif isinstance(art, Rectangle) and art is not ax.patch:
            x0, y0, w, h = art.get_x(), art.get_y(), art.get_width(), art.get_height()
            g = np.linspace(0.0, 1.0, 5)
            gx, gy = np.meshgrid(x0 + w * g, y0 + h * g)
            xy = np.column_stack([gx.ravel(), gy.ravel()])
            out.append((xy, *_data_dims(art, ax)))
        elif isinstance(art, Collection):
            offs = np.asarray(art.get_offsets(), dtype=float).reshape(-1, 2)
            if art.get_offset_transform().contains_branch(ax.transData) and len(offs):
                out.append((offs, True, True))   # scatter: markers at data points
            dims = _data_dims(art, ax)
            paths = art.get_paths()
            if paths and any(dims):              # polygons drawn in data coordinates
                verts = np.concatenate([np.asarray(q.vertices, dtype=float).reshape(-1, 2)
                                        for q in paths])
                out.append((verts, *dims))
    return out


def _is_number(s: str) -> bool:
    try:
        float(s.replace("\u2212", "-").replace(",", "").replace("%", ""))
        return True
    except ValueError:
        return False


def _categorical(axis: Any) -> bool:
    """An axis of named categories (bar names, layers), which needs no unit."""
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.ticker import FixedFormatter, FixedLocator, FuncFormatter, NullFormatter

    fmt = axis.get_major_formatter()
    if isinstance(fmt, (StrCategoryFormatter, FixedFormatter, NullFormatter)):
        return True
    # set_yticks(ticks, labels) installs a FixedLocator with a FuncFormatter over the labels
    if isinstance(axis.get_major_locator(), FixedLocator) and isinstance(fmt, FuncFormatter):
        labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
        return bool(labels) and not all(_is_number(s) for s in labels)
    return False


def _axis_visible(ax: Any, which: str) -> bool:
    axis = ax.xaxis if which == "x" else ax.yaxis
    return bool(ax.axison and axis.get_visible() and
                any(t.get_visible() and t.get_text() for t in axis.get_ticklabels()))


def describe_figure(fig: Any) -> dict[str, Any]:
    """The checkable facts of a drawn figure: per axes its labels, scales, categorical axes,
    the smallest data value on each log axis and how many values are at or below zero."""
    import numpy as np

    axes = []
    for ax in fig.get_axes():
        if not ax.axison:
            continue
        d: dict[str, Any] = {"title": ax.get_title(), "xlabel": ax.get_xlabel(),
                             "ylabel": ax.get_ylabel(), "xscale": ax.get_xscale(),
                             "yscale": ax.get_yscale(),
                             "x_visible": _axis_visible(ax, "x"),
                             "y_visible": _axis_visible(ax, "y"),
                             "x_categorical": _categorical(ax.xaxis),
                             "y_categorical": _categorical(ax.yaxis)}
        for k, which in ((0, "x"), (1, "y")):
            if d[f"{which}scale"] != "log":
                continue
            vals = [xy[:, k] for xy, dx, dy in _artist_xy(ax) if (dx, dy)[k]]
            v = np.concatenate(vals) if vals else np.zeros(0)
            v = v[np.isfinite(v)]
            d[f"{which}_min"] = float(v.min()) if v.size else None
            d[f"{which}_nonpositive"] = int((v <= 0).sum())
        axes.append(d)
    return {"dpi": DPI, "axes": axes}


def _tick_owners(fig: Any) -> dict[int, tuple[Any, str, bool]]:
    """id(tick label) -> (axes, "x" or "y", drawn): a label outside its axis's view
    interval, or switched off, is not drawn (and has no ``axes`` set)."""
    owners: dict[int, tuple[Any, str, bool]] = {}
    for ax in fig.get_axes():
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * abs(hi - lo)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                inside = lo - eps <= tick.get_loc() <= hi + eps
                owners[id(tick.label1)] = (ax, name, bool(inside and tick.label1.get_visible()))
                owners[id(tick.label2)] = (ax, name, bool(inside and tick.label2.get_visible()))
    return owners


def _extents(fig: Any, renderer: Any) -> list[tuple[str, Any, Any]]:
    """(description, text or legend artist, display bbox) of every drawn text unit."""
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    units: list[tuple[str, Any, Any]] = []
    legends = [a for a in fig.findobj(Legend)]
    in_legend = {id(t) for lg in legends for t in lg.findobj(Text)}
    owners = _tick_owners(fig)
    for t in fig.findobj(Text):
        if id(t) in in_legend or not t.get_visible() or not t.get_text().strip():
            continue
        ax = t.axes
        if id(t) in owners:
            ax, _name, drawn = owners[id(t)]
            if not drawn:
                continue
        bb = t.get_window_extent(renderer)
        if bb.width <= 0 or bb.height <= 0:
            continue
        where = f" in {ax.get_title()[:30]!r}" if ax is not None else ""
        units.append((repr(t.get_text()[:40]) + where, t, bb))
    for lg in legends:
        if lg.get_visible():
            units.append(("legend", lg, lg.get_window_extent(renderer)))
    return units


def _overlap(a: Any, b: Any, tol: float = 0.5) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tol) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tol)


def _text_overlaps(fig: Any, renderer: Any,
                   units: list[tuple[str, Any, Any]] | None = None) -> list[tuple[Any, Any, str]]:
    """Pairs of drawn texts whose boxes overlap (vectorised over all pairs)."""
    import numpy as np

    units = _extents(fig, renderer) if units is None else units
    if len(units) < 2:
        return []
    owners = _tick_owners(fig)
    b = np.array([[u[2].x0, u[2].y0, u[2].x1, u[2].y1] for u in units])
    w = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    h = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    out = []
    for i, j in zip(*np.nonzero(np.triu((w > 0.5) & (h > 0.5), k=1))):
        (na, a, _ba), (nb, bt, _bb) = units[i], units[j]
        oa, ob = owners.get(id(a)), owners.get(id(bt))
        if oa and ob and oa[0] is ob[0] and oa[1] != ob[1]:
            continue  # an x and a y tick label of one axes meet at its corner
        out.append((a, bt, f"{na} overlaps {nb}"))
    return out


def _display_points(ax: Any, dense: int = 24) -> Any:
    """Data of an axes in display coordinates, lines sampled between their vertices."""
    import numpy as np
    from matplotlib.lines import Line2D

    pts = []
    for art in ax.get_children():
        if not art.get_visible() or art is ax.patch:
            continue
        if isinstance(art, Line2D):
            xy = art.get_transform().transform(np.asarray(art.get_xydata(), float).reshape(-1, 2))
            xy = xy[np.all(np.isfinite(xy), axis=1)]
            if art.get_linestyle() not in ("None", "", " ") and len(xy) > 1:
                t = np.linspace(0, 1, dense)[:, None, None]
                seg = xy[:-1][None] * (1 - t) + xy[1:][None] * t
                xy = np.concatenate([xy, seg.reshape(-1, 2)])
            pts.append(xy)
    for xy, dx, dy in _artist_xy(ax):
        if dx and dy:
            d = ax.transData.transform(xy)
            pts.append(d[np.all(np.isfinite(d), axis=1)])
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def _legend_covers_data(ax: Any, renderer: Any) -> bool:
    lg = ax.get_legend()
    if lg is None or not lg.get_visible():
        return False
    bb = lg.get_window_extent(renderer)
    p = _display_points(ax)
    inside = ((p[:, 0] >= bb.x0) & (p[:, 0] <= bb.x1) & (p[:, 1] >= bb.y0) & (p[:, 1] <= bb.y1))
    return bool(inside.any())


def _move_legend_out(ax: Any) -> None:
    lg = ax.get_legend()
    texts = lg.get_texts()
    size = texts[0].get_fontsize() if texts else 7
    title = lg.get_title().get_text()
    handles = lg.legend_handles
    labels = [t.get_text() for t in texts]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0, fontsize=size, title=title or None, frameon=False)


def _thin_ticks(fig: Any, renderer: Any) -> bool:
    """Tick labels of one axis that collide: first drop that axis's minor labels (a log
    axis labels 2x, 3x, ... between decades), then turn crowded x labels by 45 degrees.
    True when anything changed."""
    from matplotlib.ticker import NullFormatter

    changed = False
    for _ in range(2):
        owners = _tick_owners(fig)
        crowded = {}
        for a, b, _m in _text_overlaps(fig, renderer):
            oa, ob = owners.get(id(a)), owners.get(id(b))
            if oa and ob and oa[0] is ob[0] and oa[1] == ob[1]:
                crowded[(id(oa[0]), oa[1])] = (oa[0], oa[1])
        if not crowded:
            break
        for ax, name in crowded.values():
            axis = ax.xaxis if name == "x" else ax.yaxis
            if any(t.get_visible() and t.get_text() for t in axis.get_ticklabels(minor=True)):
                axis.set_minor_formatter(NullFormatter())
            elif name == "x":
                ax.tick_params(axis="x", labelrotation=45)
                for t in axis.get_ticklabels():
                    t.set_ha("right")
                    t.set_rotation_mode("anchor")
        changed = True
        fig.canvas.draw()
    return changed


def _covered(bb: Any, pts: Any) -> int:
    return int(((pts[:, 0] >= bb.x0) & (pts[:, 0] <= bb.x1) &
                (pts[:, 1] >= bb.y0) & (pts[:, 1] <= bb.y1)).sum())


def _outside(ann: Any, renderer: Any) -> bool:
    bb, axbb = ann.get_window_extent(renderer), ann.axes.get_window_extent(renderer)
    return not (bb.x0 >= axbb.x0 and bb.x1 <= axbb.x1 and bb.y0 >= axbb.y0 and bb.y1 <= axbb.y1)


def _place_annotations(fig: Any, renderer: Any) -> None:
    """Move offset-point annotations that collide with a text or cover data to the nearest
    spot around their point that is free of both (or, failing that, free of text)."""
    from matplotlib.text import Annotation

    cands = [(3.0, 3.0)]
    for r in (4, 9, 15, 22, 30):
        for ang in range(0, 360, 45):
            cands.append((round(r * math.cos(math.radians(ang)), 1),
                          round(r * math.sin(math.radians(ang)), 1)))
    anns = [a for a in fig.findobj(Annotation)
            if a.anncoords == "offset points" and a.get_visible() and a.axes is not None]
    pts = {id(a.axes): _display_points(a.axes) for a in anns}
    if not anns:
        return
    for _ in range(2):
        units = _extents(fig, renderer)
        bad = {id(x) for a, b, _m in _text_overlaps(fig, renderer, units) for x in (a, b)}
        todo = [a for a in anns if id(a) in bad or _outside(a, renderer)
                or _covered(a.get_window_extent(renderer), pts[id(a.axes)])]
        if not todo:
            return
        fixed = [bb for _n, t, bb in units if not isinstance(t, Annotation)]
        for ann in todo:
            # the other texts: fixed ones as measured, annotations where they are now
            others = fixed + [a.get_window_extent(renderer) for a in anns if a is not ann]
            axbb = ann.axes.get_window_extent(renderer)
            best: tuple[int, tuple[float, float], str, str] | None = None
            for dx, dy in cands:
                ha = "left" if dx > 0.5 else "right" if dx < -0.5 else "center"
                va = "bottom" if dy > 0.5 else "top" if dy < -0.5 else "center"
                ann.xyann = (dx, dy)
                ann.set_ha(ha)
                ann.set_va(va)
                bb = ann.get_window_extent(renderer)
                if not (bb.x0 >= axbb.x0 and bb.x1 <= axbb.x1 and
                        bb.y0 >= axbb.y0 and bb.y1 <= axbb.y1):
                    continue
                if any(_overlap(bb, o) for o in others):
                    continue
                n = _covered(bb, pts[id(ann.axes)])
                if best is None or n < best[0]:
                    best = (n, (dx, dy), ha, va)
                if n == 0:
                    break
            if best is not None:
                ann.xyann = best[1]
                ann.set_ha(best[2])
                ann.set_va(best[3])


def check_figure(fig: Any) -> list[str]:
    """The publication rules ``fig`` breaks (empty when none); draws the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = []
    meta = describe_figure(fig)
    for i, d in enumerate(meta["axes"]):
        where = f"axes {i} ({d['title'] or 'untitled'!r})"
        for w in ("x", "y"):
            if d[f"{w}_visible"] and not d[f"{w}_categorical"] and not has_unit(d[f"{w}label"]):
                problems.append(f"{where}: {w} label {d[f'{w}label']!r} has no unit in "
                                "parentheses")
            if d[f"{w}scale"] == "log" and d.get(f"{w}_nonpositive"):
                problems.append(f"{where}: {d[f'{w}_nonpositive']} data value(s) at or below "
                                f"zero on the log {w} axis")
    for ax in fig.get_axes():
        if ax.axison and _legend_covers_data(ax, renderer):
            problems.append(f"axes {ax.get_title()!r}: the legend covers data")
    problems += [m for _a, _b, m in _text_overlaps(fig, renderer)]
    return problems


def _layout(fig: Any) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not compatible with tight_layout"
        fig.tight_layout()


def save_figure(fig: Any, path: str | Path, *, formats: Sequence[str] = ("png", "pdf")) -> Path:
    """Lay out, fix, check and save ``fig`` (PNG at 300 DPI + vector PDF), then close it.

    Returns the path of the first format (the PNG by default).

    Raises:
        FigureError: the figure still breaks a rule after the fixes (names the file).
    """
    import matplotlib
    import matplotlib.pyplot as plt

    from ._io import atomic_write_bytes

    p = Path(path)
    try:
        _layout(fig)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        if _thin_ticks(fig, renderer):
            _layout(fig)
            fig.canvas.draw()
        moved = False
        for ax in fig.get_axes():
            if ax.axison and _legend_covers_data(ax, renderer):
                _move_legend_out(ax)
                moved = True
        if moved:
            _layout(fig)
            fig.canvas.draw()
        _place_annotations(fig, renderer)
        problems = check_figure(fig)
        if problems:
            more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
            raise FigureError(f"{p.name}: " + "; ".join(problems[:5]) + more)
        meta = json.dumps(describe_figure(fig), sort_keys=True)
        # the tight box once, in inches (bbox_inches="tight" would draw twice per format)
        box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(0.05)
        out = None
        for fmt in formats:
            buf = io.BytesIO()
            kw: dict[str, Any] = {"format": fmt, "dpi": DPI, "bbox_inches": box}
            if fmt == "png":
                kw["metadata"] = {META_KEY: meta, "Software": "janus1 (matplotlib)"}
            elif fmt == "pdf":
                kw["metadata"] = {"CreationDate": None, "Creator": "janus1 (matplotlib)"}
            with matplotlib.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42,
                                        "svg.fonttype": "none"}):
                fig.savefig(buf, **kw)
            target = p.with_suffix(f".{fmt}")
            atomic_write_bytes(target, buf.getvalue())
            out = out or target
    finally:
        plt.close(fig)
    assert out is not None
    return out


def read_figure_meta(png: str | Path) -> dict[str, Any]:
    """The facts ``save_figure`` recorded in a PNG, plus the DPI the file declares.

    Raises:
        FigureError: the PNG was not written by :func:`save_figure`.
    """
    from PIL import Image

    with Image.open(png) as im:
        text = dict(getattr(im, "text", {}) or {})
        dpi = im.info.get("dpi")
        size = im.size
    if META_KEY not in text:
        raise FigureError(f"{png}: no {META_KEY} metadata (not saved by report.plots.save_figure)")
    meta = json.loads(text[META_KEY])
    meta["file_dpi"] = [round(float(v)) for v in dpi] if dpi else None
    meta["pixels"] = list(size)
    return meta
