"""One look for every figure: seaborn's colour-blind-safe palette, fixed colours per
method, dashed lines for +TS, and reproducible files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on clusters

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

from uqtrack.files import atomic_path, figure_metadata  # noqa: E402

METHOD_ORDER = ["sm", "fp", "fpa", "as", "asf", "mm"]
TS_LABELS = {"raw": "raw", "ts": "+TS"}
DASHES = {"raw": "", "+TS": (4, 2)}
#: Grid cells judged on fewer links than this are left out of averages over datasets
#: (their ECE is mostly noise) and drawn hollow where shown alone.
MIN_LINKS = 20


def theme() -> None:
    sns.set_theme(style="whitegrid", context="paper", palette="colorblind")


def palette(methods: Sequence[str]) -> dict[str, tuple]:
    """The same colour for a method in every figure."""
    colours = sns.color_palette("colorblind", len(METHOD_ORDER))
    known = {m: colours[i] for i, m in enumerate(METHOD_ORDER)}
    extra = [m for m in methods if m not in known]
    more = sns.color_palette("colorblind", len(METHOD_ORDER) + len(extra))[len(METHOD_ORDER):]
    return {**known, **dict(zip(extra, more))}


def frame(summary: xr.Dataset, names: Sequence[str]) -> pd.DataFrame:
    """Long table of ``names`` over the grid, NaN cells dropped, ``ts`` labelled."""
    df = summary[list(names)].to_dataframe().reset_index().dropna(subset=list(names))
    if "ts" in df:
        df["ts"] = df["ts"].map(TS_LABELS)
    return df


def empty(what: str) -> plt.Figure:
    """A figure that says there is nothing to draw (never a crash, never a blank)."""
    fig, ax = plt.subplots(figsize=(4.5, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, f"nothing to plot: {what}", ha="center", va="center")
    return fig


def save(fig: plt.Figure, paths: str | Sequence[str]) -> None:
    """Write ``fig`` to each path (format from the suffix), atomically, reproducibly."""
    for path in [paths] if isinstance(paths, str) else paths:
        with atomic_path(path) as tmp:
            fmt = Path(path).suffix.lstrip(".")
            fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight", metadata=figure_metadata(fmt))
    plt.close(fig)
