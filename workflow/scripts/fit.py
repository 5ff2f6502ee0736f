"""Resolve a tracker's `auto` parameters on the calibration split (step-1 truth)."""

from uqtrack import splits
from uqtrack.files import read_parquet, write_json
from uqtrack.frames import frame_source
from uqtrack.scripting import log, run_rule
from uqtrack.trackers import Calibration, tracker_class, type_params


def main(sm):
    entry = sm.params.tracker
    cls = tracker_class(entry["type"])
    parts = []
    for dets, links, part, data in zip(
        sm.input.detections, sm.input.links, sm.params.parts, sm.params.data, strict=True
    ):
        part = splits.Part(**part)
        detections = read_parquet(dets)
        parts.append((detections, splits.select(read_parquet(links), part),
                      frame_source(detections, data["masks"], data["images"])))
    params = cls.fit(type_params(entry), Calibration(parts, seed=sm.params.seed))
    log.info("%s (%s): %s", sm.wildcards.tracker, entry["type"], params)
    write_json(params, f"{sm.output[0]}/params.json")


run_rule(main, snakemake)  # noqa: F821
