"""Paper-style figures drawn from ``results/summary.nc``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on clusters

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

from uqtrack.files import atomic_path  # noqa: E402

TS_LABELS = {"raw": "raw", "ts": "+TS"}


def _frame(summary: xr.Dataset, names: Sequence[str]) -> pd.DataFrame:
    df = summary[list(names)].to_dataframe().reset_index().dropna(subset=list(names))
    if "ts" in df:
        df["ts"] = df["ts"].map(TS_LABELS)
    return df


class _Empty:
    """Stands in for a FacetGrid when there is nothing to draw: a figure that says so."""

    def __init__(self, what: str):
        self.figure, ax = plt.subplots(figsize=(4, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, f"nothing to plot: no {what} in this run", ha="center", va="center")
        self.axes = np.array([])

    def set(self, **kw) -> None:
        pass

    def set_axis_labels(self, *args) -> None:
        pass


def _grid(df: pd.DataFrame, y: str, **kw) -> sns.FacetGrid | _Empty:
    if df.empty:
        return _Empty(y.replace("_", " "))
    sns.set_theme(style="whitegrid", context="paper")
    # one row per tracker; with a single tracker, wrap the datasets instead
    facets = {"row": "tracker"} if df["tracker"].nunique() > 1 else {"col_wrap": 3}
    g = sns.relplot(
        data=df, x="step", y=y, hue="uq", col="dataset", **facets,
        kind="line", marker="o", height=2.8, aspect=1.1,
        facet_kws={"sharey": False, "sharex": False}, **kw,
    )
    g.set_titles(row_template="{row_name}", col_template="{col_name}")
    if "row" not in facets:
        g.figure.suptitle(f"tracker: {df['tracker'].iloc[0]}", y=1.02)
    return g


def ece_vs_step(summary: xr.Dataset) -> plt.Figure:
    """Expected calibration error against subsampling step, raw and +TS (paper Fig. 5a)."""
    g = _grid(_frame(summary, ["ece"]), "ece", style="ts")
    g.set_axis_labels("subsampling step", "ECE (15 bins)")
    return g.figure


def temperature_vs_step(summary: xr.Dataset) -> plt.Figure:
    """Fitted temperature ``T = 1 / tau`` against subsampling step (paper Fig. 5b).

    Only identifiable fits (``ts_status`` fitted) are drawn; the others keep
    ``tau = 1`` by construction and would read as a measurement.
    """
    df = _frame(summary, ["temperature", "ts_status"])
    df = df[df["ts_status"] == 0]
    g = _grid(df, "temperature")
    g.set(yscale="log")
    for ax in g.axes.flat:
        ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    g.set_axis_labels("subsampling step", "temperature T = 1/tau")
    return g.figure


def sparsification(summary: xr.Dataset) -> plt.Figure:
    """Mean accuracy improvement by sparsification (paper Fig. 6).

    Uncertainty ``1 - P_{i|j}`` (solid) and daughter entropy ``H_j`` (dashed); raw
    and +TS in separate rows.
    """
    df = _frame(summary, ["mean_improvement_p", "mean_improvement_entropy"])
    df = df.melt(
        id_vars=["dataset", "step", "tracker", "uq", "ts"],
        value_vars=["mean_improvement_p", "mean_improvement_entropy"],
        var_name="by", value_name="improvement",
    )
    df["by"] = df["by"].map(
        {"mean_improvement_p": "1 - P(i|j)", "mean_improvement_entropy": "entropy H_j"}
    )
    df["tracker"] = df["tracker"] + " " + df["ts"]
    g = _grid(df, "improvement", style="by")
    g.set_axis_labels("subsampling step", "mean accuracy improvement")
    return g.figure


def compute_time(timings: pd.DataFrame) -> plt.Figure:
    """Seconds per frame pair of each method against subsampling step (paper Fig. 7)."""
    df = timings.dropna(subset=["seconds_per_pair"])
    df = df.rename(columns={"method": "uq"})
    df = df.groupby(["dataset", "step", "tracker", "uq"], as_index=False, sort=False).apply(
        lambda g: pd.Series({"seconds_per_pair": g["seconds"].sum() / g["frame_pairs"].sum()}),
        include_groups=False,
    )
    g = _grid(df, "seconds_per_pair")
    g.set(yscale="log")
    g.set_axis_labels("subsampling step", "seconds per frame pair")
    return g.figure


def save(fig: plt.Figure, paths: str | Sequence[str]) -> None:
    """Write ``fig`` to each path (format from the suffix), atomically, reproducibly."""
    for path in [paths] if isinstance(paths, str) else paths:
        with atomic_path(path) as tmp:
            fmt = Path(path).suffix.lstrip(".")
            metadata = {"CreationDate": None} if fmt == "pdf" else {}
            fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight", metadata=metadata)
    plt.close(fig)
