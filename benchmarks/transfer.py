"""What the confidences of a finished run tell a user about data they were not fitted on.

Reads ``results/summary.nc`` (every metrics cell is an evaluation split judged with the
temperature and floor of its calibration split) and prints, as Markdown:

1. per method, raw and +TS, over the cells of one tracker type whose evaluation split
   holds at least ``--min-wrong`` wrong links: the share of cells whose expected wrong
   links (sum of 1 - confidence) lie within [0.8, 1.25] of the true count, the share
   with ECE <= 0.05, the share where the least confident 20 % of links hold at least
   half of the wrong links (and how many cells could: where more than 40 % of the
   links are wrong, a fifth of them cannot hold half), the median share of the wrong
   links those 20 % hold relative to the most any order could find there
   (``min(1, 0.2 n / n_wrong)``), and the median ratio expected / true;
2. over the whole grid: the cells where +TS is worse / better than raw by more than
   0.01 ECE.

    python benchmarks/transfer.py [results/summary.nc] [--tracker-type distance] [--min-wrong 30]
"""

from __future__ import annotations

import argparse

import numpy as np
import xarray as xr


def tracker_types(summary: xr.Dataset) -> dict[str, str]:
    """Tracker name -> type, from the names (``transformer-0.5`` is a transformer)."""
    return {t: str(t).split("-")[0] for t in summary["tracker"].values}


def method_table(summary: xr.Dataset, tracker_type: str, min_wrong: int) -> str:
    names = [t for t, k in tracker_types(summary).items() if k == tracker_type]
    s = summary.sel(tracker=names)
    n_wrong = s["n_wrong"]
    rows = ["| method | variant | cells | expected/true in [0.8, 1.25] | ECE <= 0.05"
            " | least confident 20 % hold >= 50 % of errors (could) | median caught / attainable"
            " | median expected/true | median ECE |",
            "|---|---|---|---|---|---|---|---|---|"]
    for uq in s["uq"].values:
        for ts in ("raw", "ts"):
            c = s.sel(uq=uq, ts=ts)
            keep = (n_wrong.sel(uq=uq) >= min_wrong).values
            ratio = (c["expected_wrong"] / n_wrong.sel(uq=uq)).values[keep]
            ece = c["ece"].values[keep]
            caught = c["caught_wrong"].sel(budget=0.2).values[keep]
            # the best order puts every wrong link first: 20 % of n links hold at most that many
            n_links = (n_wrong.sel(uq=uq) / (1 - c["accuracy"])).values[keep]
            attainable = np.minimum(1.0, 0.2 * n_links / n_wrong.sel(uq=uq).values[keep])
            n = int(keep.sum())
            if n == 0:
                continue
            rows.append(
                f"| {uq} | {'+TS' if ts == 'ts' else 'raw'} | {n} | {np.mean((ratio >= 0.8) & (ratio <= 1.25)):.0%}"
                f" | {np.mean(ece <= 0.05):.0%} | {np.mean(caught >= 0.5):.0%} ({np.mean(attainable >= 0.5):.0%})"
                f" | {np.median(caught / attainable):.2f} | {np.median(ratio):.2f}"
                f" | {np.median(ece):.3f} |")
    return "\n".join(rows)


def ts_effect(summary: xr.Dataset) -> str:
    d = summary["ece"].sel(ts="ts") - summary["ece"].sel(ts="raw")
    ok = np.isfinite(d.values)
    worse, better = int((d.values[ok] > 0.01).sum()), int((d.values[ok] < -0.01).sum())
    lines = [f"+TS vs raw over the grid: {int(ok.sum())} cells, worse by > 0.01 ECE in {worse}"
             f" ({worse / max(ok.sum(), 1):.1%}), better by > 0.01 in {better}."]
    for dataset in summary["dataset"].values:
        dd = d.sel(dataset=dataset).values
        okd = np.isfinite(dd)
        lines.append(f"- {dataset}: {int(okd.sum())} cells, worse {int((dd[okd] > 0.01).sum())},"
                     f" better {int((dd[okd] < -0.01).sum())}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("summary", nargs="?", default="results/summary.nc")
    ap.add_argument("--tracker-type", default="distance")
    ap.add_argument("--min-wrong", type=int, default=30)
    args = ap.parse_args()
    summary = xr.open_dataset(args.summary)
    print(f"## {args.tracker_type} trackers, cells with >= {args.min_wrong} wrong links\n")
    print(method_table(summary, args.tracker_type, args.min_wrong))
    print()
    print(ts_effect(summary))


if __name__ == "__main__":
    main()
