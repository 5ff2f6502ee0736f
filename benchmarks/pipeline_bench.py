"""The method seconds of a whole config (paper Fig. 7 summed), default vs reference.

    python benchmarks/pipeline_bench.py [--config config/paper.yaml] [--tracker distance]
        [--skip-reference]

For every dataset, sequence (calibration and evaluation) and step of the config, runs
`uqtrack.linking.link_sequence` with every method on the named tracker (fitted on the
calibration split at step 1, priced for the step, as the workflow does) twice: with the
default solvers and with the reference path (`map_solver: milp`, PuLP + HiGHS for
every MAP; `asf` solving each component as its own problem), and prints the sum of the
methods' seconds (what `results/timings.tsv` sums) per method, their ratio, and `asf`
over `as`. The two runs must give identical tables. Outside Snakemake: no per-job
start-up is counted (see benchmarks/README.md for the workflow's own overhead).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import yaml
from methods_bench import separate_components

from uqtrack import config as cfg
from uqtrack import splits
from uqtrack.ctc import read_sequence
from uqtrack.frames import frame_source
from uqtrack.lineage import frame_pairs, sequence_frames, true_links
from uqtrack.linking import link_sequence
from uqtrack.trackers import Calibration, make_tracker, tracker_class, type_params
from uqtrack.uq import MethodParams

ROOT = Path(__file__).resolve().parents[1]


def run(config: dict, tracker_name: str, params: MethodParams) -> pd.DataFrame:
    entry = {"type": tracker_name, **config["trackers"][tracker_name]}  # a built-in name may omit type
    methods = list(config["methods"])
    rows = []
    for name, ds in config["datasets"].items():
        root = Path(ds["path"])  # made absolute by main()
        dataset = cfg.Dataset.from_config(name, ds, config["steps"])
        data = {seq: read_sequence(root, seq) for seq in dataset.sequences}
        parts = [(data[p.seq][1], splits.select(true_links(data[p.seq][0], data[p.seq][1], 1), p),
                  frame_source(data[p.seq][1])) for p in dataset.calibration]
        fitted = tracker_class(entry["type"]).fit(type_params(entry), Calibration(parts))
        for step in dataset.steps:
            tracker = make_tracker(entry, fitted, step)
            # the slack is a cost difference on the step's own scale, as in the edges rule
            step_params = replace(params, slack=None if params.slack is None else params.slack * tracker.price_scale)
            for seq, (_, dets, stats) in data.items():
                pairs = frame_pairs(sequence_frames(stats), step)
                tic = time.perf_counter()
                out = link_sequence(frame_source(dets), pairs, tracker, methods,
                                    step_params,
                                    (config.get("seed", 0), f"{name}/{seq}/{step}/{tracker_name}"))
                wall = time.perf_counter() - tic
                for method, (table, timings) in out.items():
                    rows.append(dict(dataset=name, seq=seq, step=step, method=method, pairs=len(pairs),
                                     seconds=timings["seconds"].sum(), table=table))
                print(f"  {name} {seq} step {step}: {len(pairs)} pairs, {wall:.1f} s", flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config" / "paper.yaml"))
    parser.add_argument("--tracker", default="distance")
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    for ds in config["datasets"].values():  # paths in the config are relative to the checkout
        ds["path"] = str((ROOT / ds["path"]).resolve()) if not Path(ds["path"]).is_absolute() else ds["path"]
    base = dict(k=config.get("samples", 10), slack=config.get("asf_slack", 20))
    print("default solvers:")
    new = run(config, args.tracker, MethodParams(**base))
    per = new.groupby("method", sort=False)["seconds"].sum().rename("default (s)").to_frame()
    if not args.skip_reference:
        print("reference solvers (map_solver: milp, asf per separate component):")
        with separate_components():
            ref = run(config, args.tracker, MethodParams(**base, map_solver="milp"))
        per["reference (s)"] = ref.groupby("method", sort=False)["seconds"].sum()
        per["ratio"] = per["reference (s)"] / per["default (s)"]
        same = all(a.equals(b) for a, b in zip(new["table"], ref["table"]))
        print(f"\nidentical edge tables: {same}")
    total = per.sum(numeric_only=True)
    total["ratio"] = total.get("reference (s)", float("nan")) / total["default (s)"]
    per.loc["all methods"] = total
    print(per.round(2).to_string())
    asf, as_ = per.loc["asf", "default (s)"], per.loc["as", "default (s)"]
    print(f"\nasf / as (default solvers): {asf / as_:.2f}")


if __name__ == "__main__":
    main()
