"""Train an association model on a dataset's calibration split, or fetch one."""

import pandas as pd

from uqtrack.files import read_parquet
from uqtrack.scripting import log, run_rule
from uqtrack.splits import Part


def main(sm):
    from uqtrack.transformer import TrainingSequence, load_model, save_model, train_model

    spec = sm.params.spec
    if "train" in spec:
        options = dict(spec["train"])
        steps = options.pop("steps", None) or sm.params.steps
        sequences = []
        for dets, tracks, params in zip(sm.input.detections, sm.input.tracks, sm.params.parts, strict=True):
            part, frames = Part(**params), read_parquet(dets)
            keep = pd.Series(True, index=frames.index)
            if part.first is not None:
                keep &= frames["frame"] >= part.first
            if part.last is not None:
                keep &= frames["frame"] <= part.last
            sequences.append(TrainingSequence(frames[keep], read_parquet(tracks), name=part.seq))
        log.info("training on %d calibration part(s), steps %s, %s", len(sequences), steps, options)
        model = train_model(sequences, seed=sm.params.seed, steps=steps, threads=1, **options)
    else:
        model = load_model(spec.get("pretrained") or spec["folder"])
    save_model(model, sm.output[0])


run_rule(main, snakemake)  # noqa: F821
