"""Low-level plotting helpers (matplotlib, Agg backend): arrays in, a saved figure out.

Imported only by the study/report layer, never on the CLI's start-up path.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["new_figure", "save_figure"]


def new_figure(width: float = 7.0, height: float = 4.5) -> tuple[Any, Any]:
    """A fresh (figure, axes) pair on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    return fig, ax


def save_figure(fig: Any, path: str | Path, *, formats: Sequence[str] = ("png",)) -> Path:
    """Save ``fig`` atomically as PNG (and other formats) and close it."""
    import matplotlib.pyplot as plt

    from ._io import atomic_write_bytes

    p = Path(path)
    fig.tight_layout()
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        atomic_write_bytes(p.with_suffix(f".{fmt}"), buf.getvalue())
    plt.close(fig)
    return p.with_suffix(f".{formats[0]}")
