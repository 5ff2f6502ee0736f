"""How different are a single sequence's calibration and evaluation parts? Density per split.

    python benchmarks/ecoli_split.py [--config config/paper.yaml benchmarks/ecoli_interleaved.yaml]
        [--dataset Ecoli-vanVliet-trpL] [--data ../shared/data/ctc/Ecoli-vanVliet-trpL]
        [--per-frame]
    python benchmarks/ecoli_split.py --compare /tmp/ecoli_contig /tmp/ecoli_inter

For every config given, reads the dataset's calibration and evaluation parts
(:class:`uqtrack.config.Dataset`) and its steps, and prints one Markdown row per config,
role and step: the cells per frame over the part's frames (min / median / max), the
daughters judged at that step (every daughter of a frame pair that lies wholly inside a
part, as :func:`uqtrack.splits.select` keeps them), the share of those daughters
without a mother (from ``man_track.txt``, :func:`uqtrack.lineage.true_links`) and the
mean squared displacement of their true links (:func:`uqtrack.lineage.mean_squared_displacement`,
px^2, divisions included). ``--per-frame`` also prints the cell count of every frame,
the numbers a split is designed from.

``--compare A B`` reads two finished work directories instead (``results/summary.nc``
and ``results/claims.tsv`` of each) and prints, per tracker, method and step, ECE raw
and +TS with their 95 % intervals and the expected vs true wrong links (+TS) of A and B,
then every claim row of the dataset whose verdict differs between A and B.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from uqtrack.config import Dataset
from uqtrack.ctc import read_sequence
from uqtrack.lineage import mean_squared_displacement, sequence_frames, true_links
from uqtrack.splits import Part, select

ROOT = Path(__file__).resolve().parents[1]
NAME = "Ecoli-vanVliet-trpL"
DATA = ROOT / ".." / "shared" / "data" / "ctc" / NAME


def frames_of(part: Part, frames: list[int]) -> list[int]:
    """The sequence's frames inside the part (all of them for a whole-sequence part)."""
    lo = -np.inf if part.first is None else part.first
    hi = np.inf if part.last is None else part.last
    return [t for t in frames if lo <= t <= hi]


def rows(config: dict, name: str, data: Path) -> list[dict]:
    """One dict per role and step of the dataset ``name`` in ``config`` (see the module docstring)."""
    dataset = Dataset.from_config(name, config["datasets"][name], config["steps"])
    cache: dict[str, tuple] = {}
    out = []
    for role in ("calibration", "evaluation"):
        chosen = dataset.parts(role)
        for part in chosen:
            if part.seq not in cache:
                tracks, dets, stats = read_sequence(data, part.seq)
                cache[part.seq] = (tracks, dets, sequence_frames(stats))
        counts = []
        for part in chosen:
            _, dets, frames = cache[part.seq]
            per_frame = dets.groupby("frame").size()
            counts += [int(per_frame.get(t, 0)) for t in frames_of(part, frames)]
        label = ", ".join(
            p.seq + ("" if p.first is None else f" [{p.first}-{p.last}]") for p in chosen
        )
        for step in dataset.steps:
            judged, msd_parts = [], []
            for part in chosen:
                tracks, dets, frames = cache[part.seq]
                links = select(true_links(tracks, dets, int(step), frames=np.asarray(frames)), part)
                judged.append(links)
                msd_parts.append((links, dets))
            links = pd.concat(judged, ignore_index=True)
            linked = sum(int((lk["mother"] != 0).sum()) for lk, _ in msd_parts)
            sq = sum(
                mean_squared_displacement(lk, d) * int((lk["mother"] != 0).sum())
                for lk, d in msd_parts
                if (lk["mother"] != 0).any()
            )
            out.append({
                "role": role,
                "parts": label,
                "frames": len(counts),
                "cells": (min(counts), float(np.median(counts)), max(counts)),
                "step": int(step),
                "pairs": int(sum(lk[["t", "t2"]].drop_duplicates().shape[0] for lk in judged)),
                "daughters": len(links),
                "no_mother": float((links["mother"] == 0).mean()) if len(links) else float("nan"),
                "msd": sq / linked if linked else float("nan"),
            })
    return out


def _cell(s, name: str, **at) -> str:
    value = float(s[name].sel(**at))
    lo, hi = float(s[name + "_lo"].sel(**at)), float(s[name + "_hi"].sel(**at))
    return f"{value:.3f} [{lo:.3f}, {hi:.3f}]"


def compare(a: Path, b: Path, name: str) -> None:
    """Print the ECE / wrong-links table and the differing verdicts of runs ``a`` and ``b``."""
    import xarray as xr

    sa, sb = (xr.open_dataset(d / "results" / "summary.nc").sel(dataset=name) for d in (a, b))
    print(f"| tracker | method | step | ECE raw {a.name} | ECE raw {b.name} | ECE +TS {a.name} "
          f"| ECE +TS {b.name} | wrong exp./true +TS {a.name} | wrong exp./true +TS {b.name} |")
    print("|---|---|---|---|---|---|---|---|---|")
    for tracker in sa["tracker"].values:
        for uq in sa["uq"].values:
            for step in sa["step"].values:
                at = {"tracker": tracker, "uq": uq, "step": step}
                wrong = [
                    f"{float(s['expected_wrong'].sel(ts='ts', **at)):.0f} / {int(s['n_wrong'].sel(**at))}"
                    for s in (sa, sb)
                ]
                print(f"| {tracker} | {uq} | {int(step)} | {_cell(sa, 'ece', ts='raw', **at)} "
                      f"| {_cell(sb, 'ece', ts='raw', **at)} | {_cell(sa, 'ece', ts='ts', **at)} "
                      f"| {_cell(sb, 'ece', ts='ts', **at)} | {wrong[0]} | {wrong[1]} |")
    key = ["claim", "dataset", "tracker", "scope"]
    ca, cb = (pd.read_csv(d / "results" / "claims.tsv", sep="\t", dtype=str) for d in (a, b))
    both = ca.merge(cb, on=key, how="outer", suffixes=("_a", "_b"))
    print(f"\n| claim | tracker | scope | {a.name} | {b.name} |")
    print("|---|---|---|---|---|")
    for _, r in both.iterrows():
        print(f"| {r['claim']} | {r['tracker']} | {r['scope']} | {r['verdict_a']} | {r['verdict_b']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", nargs="+", type=Path, default=[ROOT / "config" / "paper.yaml"])
    parser.add_argument("--dataset", default=NAME)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--per-frame", action="store_true")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare, args.dataset)
        return
    if args.per_frame:
        _, dets, stats = read_sequence(args.data, "01")
        per_frame = dets.groupby("frame").size()
        print("cells per frame: " + " ".join(f"{t}:{int(per_frame.get(t, 0))}" for t in sequence_frames(stats)))
    print("| config | role | parts | frames | cells/frame min / median / max | step | frame pairs "
          "| daughters judged | no mother | MSD (px^2) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for path in args.config:
        config = yaml.safe_load(path.read_text())
        for r in rows(config, args.dataset, args.data):
            lo, med, hi = r["cells"]
            print(f"| {path.name} | {r['role']} | {r['parts']} | {r['frames']} | {lo} / {med:g} / {hi} "
                  f"| {r['step']} | {r['pairs']} | {r['daughters']} | {100 * r['no_mother']:.1f} % "
                  f"| {r['msd']:.1f} |")


if __name__ == "__main__":
    main()
