"""Two finished runs side by side: did a change cost accuracy or calibration?

Reads the ``summary.nc`` of two runs (``before`` and ``after``) and prints, for every
dataset, step and tracker they share, the MAP's accuracy on the judged links and its link
recall, then per method the ECE raw and +TS, as ``before -> after``. Then, over all
shared cells, how many moved by more than ``--tol``.

    python benchmarks/compare_runs.py before/results/summary.nc after/results/summary.nc \
        [--trackers transformer-0.5] [--tol 0.01]
"""

from __future__ import annotations

import argparse

import numpy as np
import xarray as xr


def shared(a: xr.Dataset, b: xr.Dataset, trackers: list[str] | None) -> tuple[xr.Dataset, xr.Dataset]:
    """Both summaries on the coordinates they have in common, in ``a``'s order."""
    keep = {d: [v for v in a[d].values if v in set(b[d].values)] for d in ("dataset", "step", "tracker", "uq")}
    if trackers:
        keep["tracker"] = [t for t in keep["tracker"] if t in trackers]
    return a.sel(**keep), b.sel(**keep)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--trackers", nargs="*", default=None)
    ap.add_argument("--tol", type=float, default=0.01)
    args = ap.parse_args()
    a, b = shared(xr.open_dataset(args.before), xr.open_dataset(args.after), args.trackers)
    methods = list(a["uq"].values)
    print("| dataset | step | tracker | MAP accuracy | link recall | "
          + " | ".join(f"{m} ECE raw / +TS" for m in methods) + " |")
    print("|---|---|---|---|---|" + "---|" * len(methods))
    for ds in a["dataset"].values:
        for step in a["step"].values:
            for tr in a["tracker"].values:
                x, y = (s.sel(dataset=ds, step=step, tracker=tr) for s in (a, b))
                acc = x["accuracy"].sel(uq="sm"), y["accuracy"].sel(uq="sm")
                if not (np.isfinite(float(acc[0])) and np.isfinite(float(acc[1]))):
                    continue
                rec = float(x["link_recall"].sel(uq="sm")), float(y["link_recall"].sel(uq="sm"))
                eces = []
                for m in methods:
                    e = [(float(s["ece"].sel(uq=m, ts="raw")), float(s["ece"].sel(uq=m, ts="ts"))) for s in (x, y)]
                    eces.append(f"{e[0][0]:.3f} -> {e[1][0]:.3f} / {e[0][1]:.3f} -> {e[1][1]:.3f}")
                print(f"| {ds} | {step} | {tr} | {float(acc[0]):.3f} -> {float(acc[1]):.3f}"
                      f" | {rec[0]:.3f} -> {rec[1]:.3f} | " + " | ".join(eces) + " |")
    print()
    d = (b["accuracy"].sel(uq="sm") - a["accuracy"].sel(uq="sm")).values.ravel()
    d = d[np.isfinite(d)]
    print(f"- MAP accuracy: {len(d)} cells, mean change {d.mean():+.4f}, lower by > {args.tol} in"
          f" {(d < -args.tol).sum()}, higher in {(d > args.tol).sum()}")
    for ts in ("raw", "ts"):
        d = (b["ece"].sel(ts=ts) - a["ece"].sel(ts=ts)).values.ravel()
        d = d[np.isfinite(d)]
        print(f"- ECE {'+TS' if ts == 'ts' else 'raw'}: {len(d)} cells, median change {np.median(d):+.4f},"
              f" worse by > {args.tol} in {(d > args.tol).sum()}, better in {(d < -args.tol).sum()}")


if __name__ == "__main__":
    main()
