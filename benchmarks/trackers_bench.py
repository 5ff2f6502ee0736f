"""MAP quality and time per frame pair of the trackers on one dataset.

    python benchmarks/trackers_bench.py --data ../shared/data/ctc/Fluo-N2DH-SIM+ \
        --calibration 01 --evaluation 02 [--steps 1 10 30 50] \
        [--trackers distance overlap activity] [--methods sm] [--set overlap.step_scaling=linear]
    python benchmarks/trackers_bench.py --data ../shared/data/ctc/Ecoli-vanVliet-trpL \
        --calibration 01:0-29 --evaluation 01:30-52 --steps 1 5 10

Each tracker is fitted on the calibration part at step 1 as the workflow's ``fit``
rule does (``auto`` values), then run over the evaluation part at every step. Per
tracker, step and method it prints: frame pairs, daughters, MAP accuracy of the judged
(predicted) links, link recall, share of daughters predicted appearing beside the share
truly without a mother, candidate recall (true mothers among the candidates), the mean
cost of the true links among the candidates, and the
method's mean seconds per frame pair (the tracker's features, candidates, costs and
the method; reading the files not included).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

from uqtrack import splits
from uqtrack.ctc import read_sequence
from uqtrack.evaluation import counts
from uqtrack.frames import frame_source
from uqtrack.lineage import NO_MOTHER, frame_pairs, sequence_frames, true_links
from uqtrack.linking import link_sequence
from uqtrack.tables import join_truth
from uqtrack.trackers import Calibration, make_tracker, tracker_class, type_params
from uqtrack.uq import MethodParams


def part(text: str) -> splits.Part:
    """``01`` or ``01:30-52``."""
    seq, _, frames = text.partition(":")
    first, last = (int(v) for v in frames.split("-")) if frames else (None, None)
    return splits.Part(seq, first, last)


def load(data: Path, seq: str):
    tracks, dets, stats = read_sequence(data, seq)
    images = data / seq if (data / seq).is_dir() else None
    return tracks, dets, stats, frame_source(dets, stats["tra_dir"], images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--calibration", default="01", type=part)
    parser.add_argument("--evaluation", default="02", type=part)
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 10, 30, 50])
    parser.add_argument("--trackers", nargs="+", default=["distance", "overlap", "activity"])
    parser.add_argument("--methods", nargs="+", default=["sm"])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=None, help="only the first N frame pairs")
    parser.add_argument("--set", action="append", default=[], help="tracker.key=value (YAML value)")
    args = parser.parse_args()

    entries = {name: {"type": name} for name in args.trackers}
    for item in args.set:
        key, _, value = item.partition("=")
        name, _, field = key.partition(".")
        entries[name][field] = yaml.safe_load(value)

    tracks, dets, _, frames = load(args.data, args.calibration.seq)
    calibration = Calibration(
        [(dets, splits.select(true_links(tracks, dets, 1), args.calibration), frames)]
    )
    ev = args.evaluation
    tracks, dets, stats, frames = load(args.data, ev.seq)
    print(f"{args.data.name}: calibration {args.calibration}, evaluation {ev}; entries {entries}")
    header = ("tracker step method pairs daughters accuracy link_recall pred_appearing without_mother "
              "cand_recall true_cost s/pair")
    print(header)
    for name, entry in entries.items():
        params = tracker_class(entry["type"]).fit(type_params(entry), calibration)
        print(f"# {name}: {params}")
        for step in args.steps:
            truth = splits.select(true_links(tracks, dets, step), ev)
            pairs = [
                (t, t2) for t, t2 in frame_pairs(sequence_frames(stats), step)
                if (ev.first is None or t >= ev.first) and (ev.last is None or t2 <= ev.last)
            ][: args.pairs]
            if not pairs:
                continue
            tracker = make_tracker(entry, params, step)
            for method in args.methods:
                table, timings = link_sequence(
                    frames, pairs, tracker, [method], MethodParams(k=args.k), seed=(0, f"{name}/{step}")
                )[method]
                table = join_truth(table, truth)
                judged = table["pred"].to_numpy() & (table["mother"].to_numpy() != NO_MOTHER)
                c = counts(table, judged)
                acc = table["true"].to_numpy()[judged].mean() if judged.any() else np.nan
                true_link = table["true"].to_numpy() & (table["mother"].to_numpy() != NO_MOTHER)
                true_cost = table["cost"].to_numpy()[true_link].mean()
                print(
                    f"{name} {step} {method} {len(pairs)} {c['n_daughters']} {acc:.4f} "
                    f"{c['link_recall']:.4f} {c['share_predicted_appearing']:.4f} "
                    f"{c['share_without_mother']:.4f} {c['candidate_recall']:.4f} {true_cost:.2f} "
                    f"{timings['seconds'].mean():.4f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
