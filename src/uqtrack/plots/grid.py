"""Paper-style figures of the whole grid, drawn from the run's ``summary.nc``.

Averages over datasets follow the paper's Fig. 5a (mean and standard error), leaving
out grid cells judged on fewer than :data:`~uqtrack.plots.style.MIN_LINKS` links; tick
labels say how many datasets each point averages.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr

from uqtrack.plots.style import DASHES, MIN_LINKS, empty, frame, palette, theme


def _axes(n: int, ncols: int = 3, size: tuple[float, float] = (3.4, 2.7), sharey: bool = False):
    ncols = min(ncols, max(n, 1))
    nrows = int(np.ceil(max(n, 1) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             squeeze=False, sharey=sharey)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _mean_se(df: pd.DataFrame, value: str, by: list[str]) -> pd.DataFrame:
    out = df.groupby(by, sort=False)[value].agg(["mean", "sem", "count"]).reset_index()
    out["sem"] = out["sem"].fillna(0.0)
    return out


def _step_ticks(ax, counts: pd.Series) -> None:
    steps = sorted(counts.index)
    ax.set_xticks(steps)
    ax.set_xticklabels([f"{s}\n(n={counts[s]})" for s in steps], fontsize=7)


def _legend(fig, handles_from) -> None:
    handles, labels = handles_from.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)


def ece_vs_step(summary: xr.Dataset) -> plt.Figure:
    """Mean ECE over datasets (± standard error) against step, per tracker (Fig. 5a)."""
    theme()
    df = frame(summary, ["ece", "n_predicted_links"])
    df = df[df["n_predicted_links"] >= MIN_LINKS]
    if df.empty:
        return empty(f"no grid cell with {MIN_LINKS} or more judged links")
    colours = palette(list(summary["uq"].values))
    trackers = list(dict.fromkeys(df["tracker"]))
    fig, axes = _axes(len(trackers))
    for ax, tracker in zip(axes, trackers):
        sub = df[df["tracker"] == tracker]
        stats = _mean_se(sub, "ece", ["uq", "ts", "step"])
        for (uq, ts), g in stats.groupby(["uq", "ts"], sort=False):
            g = g.sort_values("step")
            ax.errorbar(g["step"], g["mean"], yerr=g["sem"], color=colours[uq], marker="o", ms=3,
                        capsize=2, lw=1.2, dashes=DASHES[ts] or (None, None), label=f"{uq} {ts}")
        _step_ticks(ax, sub.groupby("step")["dataset"].nunique())
        ax.set(title=f"tracker: {tracker}", xlabel="subsampling step (datasets)", ylabel="ECE (15 bins)")
    _legend(fig, axes[0])
    fig.tight_layout()
    return fig


def ece_by_dataset(summary: xr.Dataset) -> plt.Figure:
    """ECE against step per dataset and tracker, with 95 % bootstrap intervals."""
    theme()
    df = frame(summary, ["ece", "ece_lo", "ece_hi", "n_predicted_links"])
    if df.empty:
        return empty("no ECE in this run")
    colours = palette(list(summary["uq"].values))
    panels = list(dict.fromkeys(zip(df["dataset"], df["tracker"])))
    fig, axes = _axes(len(panels))
    for ax, (dataset, tracker) in zip(axes, panels):
        sub = df[(df["dataset"] == dataset) & (df["tracker"] == tracker)]
        for (uq, ts), g in sub.groupby(["uq", "ts"], sort=False):
            g = g.sort_values("step")
            # a percentile interval need not contain its estimate: clip, never flip
            err = [(g["ece"] - g["ece_lo"]).clip(lower=0), (g["ece_hi"] - g["ece"]).clip(lower=0)]
            ax.errorbar(g["step"], g["ece"], yerr=err,
                        color=colours[uq], marker="o", ms=3, capsize=2, lw=1.0,
                        dashes=DASHES[ts] or (None, None), label=f"{uq} {ts}")
            few = g[g["n_predicted_links"] < MIN_LINKS]
            ax.plot(few["step"], few["ece"], "o", mfc="white", color=colours[uq], ms=6)
        links = sub.groupby("step")["n_predicted_links"].max().astype(int)
        ax.set_xticks(list(links.index))
        ax.set_xticklabels([f"{s}\n({n})" for s, n in links.items()], fontsize=7)
        ax.set(title=f"{dataset} / {tracker}", xlabel="step (judged links)", ylabel="ECE")
    _legend(fig, axes[0])
    fig.tight_layout()
    return fig


def temperature_vs_step(summary: xr.Dataset) -> plt.Figure:
    """Fitted temperatures ``T = 1/tau`` over datasets, per step and method (Fig. 5b)."""
    theme()
    df = frame(summary, ["temperature", "ts_status"])
    df = df[df["ts_status"] == 0]  # identifiable fits only
    if df.empty:
        return empty("no identifiable temperature in this run")
    colours = palette(list(summary["uq"].values))
    trackers = list(dict.fromkeys(df["tracker"]))
    fig, axes = _axes(len(trackers), ncols=2, size=(4.6, 3.0))
    order = sorted(df["step"].unique())
    hue_order = [m for m in summary["uq"].values if m in set(df["uq"])]
    for ax, tracker in zip(axes, trackers):
        sub = df[df["tracker"] == tracker]
        sns.boxplot(data=sub, x="step", y="temperature", hue="uq", order=order, hue_order=hue_order,
                    palette=colours, ax=ax, fliersize=0, linewidth=0.8, log_scale=True)
        sns.stripplot(data=sub, x="step", y="temperature", hue="uq", order=order, hue_order=hue_order,
                      palette=colours, ax=ax, dodge=True, size=3, legend=False, log_scale=True)
        ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
        ax.set(title=f"tracker: {tracker}", xlabel="subsampling step", ylabel="temperature T = 1/tau")
        if ax.get_legend():
            ax.get_legend().remove()
    _legend(fig, axes[0])
    fig.tight_layout()
    return fig


def temperature_vs_msd(summary: xr.Dataset, tracker_types: Mapping[str, str]) -> plt.Figure:
    """Fitted temperature against the mean squared displacement (distance trackers, Fig. 9)."""
    theme()
    distance = [t for t in summary["tracker"].values if tracker_types.get(str(t)) == "distance"]
    df = frame(summary.sel(tracker=distance), ["temperature", "ts_status", "msd"]) if distance else pd.DataFrame()
    if not df.empty:
        df = df[(df["ts_status"] == 0) & (df["msd"] > 0)]
    if df.empty:
        return empty("no identifiable temperature of a distance tracker")
    methods = list(dict.fromkeys(df["uq"]))
    fig, axes = _axes(len(methods), ncols=3, size=(3.3, 3.0))
    colours = dict(zip(dict.fromkeys(df["dataset"]), sns.color_palette("colorblind", df["dataset"].nunique())))
    for ax, uq in zip(axes, methods):
        sub = df[df["uq"] == uq]
        for (dataset, _tracker), g in sub.groupby(["dataset", "tracker"], sort=False):
            g = g.sort_values("step")
            ax.plot(g["msd"], g["temperature"], "o-", color=colours[dataset], ms=3, lw=1, label=dataset)
            for row in g.itertuples():
                ax.annotate(str(row.step), (row.msd, row.temperature), fontsize=6,
                            textcoords="offset points", xytext=(2, 2))
        ax.set(xscale="log", yscale="log", title=f"{uq}", xlabel="MSD of true links (px²)",
               ylabel="temperature T = 1/tau")
    _legend(fig, axes[0])
    fig.tight_layout()
    return fig


def sparsification_gain(summary: xr.Dataset) -> plt.Figure:
    """Mean accuracy improvement by sparsification, 1 - P(i|j) vs entropy (Fig. 6)."""
    theme()
    df = frame(summary, ["mean_improvement_p", "mean_improvement_entropy", "n_predicted_links"])
    df = df[df["n_predicted_links"] >= MIN_LINKS]
    if df.empty:
        return empty(f"no grid cell with {MIN_LINKS} or more judged links")
    df = df.melt(id_vars=["dataset", "step", "tracker", "uq", "ts"],
                 value_vars=["mean_improvement_p", "mean_improvement_entropy"],
                 var_name="by", value_name="improvement")
    df["by"] = df["by"].map({"mean_improvement_p": "1 - P(i|j)", "mean_improvement_entropy": "entropy H_j"})
    colours = palette(list(summary["uq"].values))
    panels = list(dict.fromkeys(zip(df["tracker"], df["ts"])))
    fig, axes = _axes(len(panels), ncols=2, size=(3.8, 2.8), sharey=True)
    for ax, (tracker, ts) in zip(axes, panels):
        sub = df[(df["tracker"] == tracker) & (df["ts"] == ts)]
        stats = _mean_se(sub, "improvement", ["uq", "by", "step"])
        for (uq, by), g in stats.groupby(["uq", "by"], sort=False):
            g = g.sort_values("step")
            ax.errorbar(g["step"], g["mean"], yerr=g["sem"], color=colours[uq], marker="o", ms=3, capsize=2,
                        lw=1.2, dashes=(None, None) if by.startswith("1") else (2, 1.5), label=f"{uq}, {by}")
        ax.axhline(0, color="0.4", lw=0.8)
        _step_ticks(ax, sub.groupby("step")["dataset"].nunique())
        ax.set(title=f"{tracker}, {ts}", xlabel="subsampling step (datasets)",
               ylabel="mean accuracy improvement")
    _legend(fig, axes[0])
    fig.tight_layout()
    return fig


def sparsification_curves(summary: xr.Dataset, tracker: str) -> plt.Figure:
    """Sparsification curves by 1 - P(i|j), raw and +TS, with the oracle (Fig. 10)."""
    theme()
    if tracker not in summary["tracker"].values:
        return empty(f"tracker {tracker} not in this run")
    s = summary.sel(tracker=tracker)
    cells = [(str(d), int(st)) for d in s["dataset"].values for st in s["step"].values
             if np.isfinite(s["sparsification_p"].sel(dataset=d, step=st)).any()]
    if not cells:
        return empty(f"no sparsification curve for {tracker}")
    colours = palette(list(summary["uq"].values))
    fig, axes = _axes(len(cells), ncols=4, size=(2.9, 2.4), sharey=False)
    q = s["q"].values
    for ax, (dataset, step) in zip(axes, cells):
        c = s.sel(dataset=dataset, step=step)
        for uq in s["uq"].values:
            for ts, label in (("raw", "raw"), ("ts", "+TS")):
                y = c["sparsification_p"].sel(uq=uq, ts=ts).values
                if np.isfinite(y).any():
                    ax.plot(q, y, color=colours[str(uq)], lw=1, dashes=DASHES[label] or (None, None),
                            label=f"{uq} {label}")
        oracle = c["oracle_sparsification"].sel(uq=s["uq"].values[0]).values
        ax.plot(q, oracle, color="k", lw=1, ls=":", label="oracle")
        n = int(np.nanmax(c["n_predicted_links"].values))
        ax.set(title=f"{dataset}, step {step} ({n} links)", xlabel="fraction dropped q",
               ylabel="accuracy gain")
        ax.title.set_fontsize(8)
    _legend(fig, axes[0])
    fig.tight_layout()
    return fig


def reliability(summary: xr.Dataset, tracker: str) -> plt.Figure:
    """Reliability diagrams per method and step, raw and +TS, pooled over datasets."""
    theme()
    if tracker not in summary["tracker"].values:
        return empty(f"tracker {tracker} not in this run")
    s = summary.sel(tracker=tracker)
    steps = [int(st) for st in s["step"].values if np.nansum(s["reliability_count"].sel(step=st).values) > 0]
    methods = [str(m) for m in s["uq"].values]
    if not steps:
        return empty(f"no judged link for {tracker}")
    fig, axes = plt.subplots(len(methods), len(steps), figsize=(2.3 * len(steps), 2.3 * len(methods)),
                             squeeze=False, sharex=True, sharey=True)
    colours = {"raw": "0.35", "ts": sns.color_palette("colorblind")[3]}
    for i, uq in enumerate(methods):
        for j, step in enumerate(steps):
            ax = axes[i, j]
            c = s.sel(uq=uq, step=step)
            count = np.nan_to_num(c["reliability_count"].values)  # (dataset, ts, bin)
            for ts in ("raw", "ts"):
                k = list(c["ts"].values).index(ts)
                n = count[:, k, :].sum(axis=0)
                acc = np.nansum(np.nan_to_num(c["reliability_accuracy"].values[:, k, :]) * count[:, k, :], axis=0)
                conf = np.nansum(np.nan_to_num(c["reliability_confidence"].values[:, k, :]) * count[:, k, :], axis=0)
                ok = n > 0
                ax.plot(conf[ok] / n[ok], acc[ok] / n[ok], "o-", ms=2.5, lw=1, color=colours[ts],
                        label="raw" if ts == "raw" else "+TS")
            ax.plot([0, 1], [0, 1], ":", color="0.6", lw=0.8)
            bars = ax.twinx()
            bars.bar(c["bin"].values, count[:, 0, :].sum(axis=0), width=1 / len(c["bin"]), color="0.85", zorder=0)
            bars.set_yscale("symlog")
            bars.set_yticks([])
            ax.set_zorder(bars.get_zorder() + 1)
            ax.patch.set_visible(False)
            if i == 0:
                ax.set_title(f"step {step}", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{uq}\naccuracy")
            if i == len(methods) - 1:
                ax.set_xlabel("confidence P(i|j)")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"tracker: {tracker} (grey bars: judged links per bin, raw, log scale)", y=1.0, fontsize=9)
    fig.tight_layout()
    return fig


def compute_time(timings: pd.DataFrame) -> plt.Figure:
    """Seconds per frame pair of each method and tracker (Fig. 7), log scale."""
    theme()
    df = timings.dropna(subset=["seconds_per_pair"]).rename(columns={"method": "uq"})
    if df.empty:
        return empty("no timed frame pair")
    per_cell = df.groupby(["dataset", "step", "tracker", "uq"], as_index=False, sort=False)[
        ["seconds", "frame_pairs"]].sum()
    per_cell["seconds_per_pair"] = per_cell["seconds"] / per_cell["frame_pairs"]
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * per_cell["uq"].nunique(), 3.2))
    sns.boxplot(data=per_cell, x="uq", y="seconds_per_pair", hue="tracker", ax=ax, log_scale=True,
                linewidth=0.8, fliersize=2)
    ax.set(xlabel="uncertainty method", ylabel="seconds per frame pair")
    ax.legend(title="tracker", fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def expected_vs_true_wrong(summary: xr.Dataset) -> plt.Figure:
    """Expected wrong links (sum of 1 - confidence) against the true count, log-log.

    One point per grid cell with at least one wrong link, one panel per variant (raw,
    +TS); on the diagonal a user reading an unannotated movie is told the truth.
    """
    theme()
    if "expected_wrong" not in summary:
        return empty("no expected wrong links in this summary")
    df = frame(summary, ["expected_wrong", "n_wrong"])
    df = df[df["n_wrong"] >= 1]
    if df.empty:
        return empty("no grid cell with a wrong link")
    colours = palette(list(summary["uq"].values))
    variants = list(dict.fromkeys(df["ts"]))
    fig, axes = _axes(len(variants), ncols=2, size=(3.6, 3.4), sharey=True)
    lo = max(min(df["n_wrong"].min(), df["expected_wrong"].clip(lower=0.1).min()) / 1.5, 0.05)
    hi = max(df["n_wrong"].max(), df["expected_wrong"].max()) * 1.5
    for ax, ts in zip(axes, variants):
        sub = df[df["ts"] == ts]
        for uq, g in sub.groupby("uq", sort=False):
            ax.scatter(g["n_wrong"], g["expected_wrong"].clip(lower=lo), s=10, color=colours[uq],
                       label=uq, alpha=0.8, lw=0)
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.8)
        ax.fill_between([lo, hi], [lo * 0.8, hi * 0.8], [lo * 1.25, hi * 1.25], color="k", alpha=0.07, lw=0)
        ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi), title=f"confidences: {ts}",
               xlabel="true wrong links", ylabel="expected wrong links (sum of 1 - P)")
    _legend(fig, axes[0])
    fig.tight_layout()
    return fig
