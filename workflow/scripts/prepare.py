"""Read one sequence's label images: detections and frame counts (no truth)."""

from uqtrack import config as cfg
from uqtrack.ctc import read_masks
from uqtrack.files import write_json, write_parquet
from uqtrack.lineage import sequence_frames
from uqtrack.scripting import log, run_rule


def main(sm):
    name, seq = sm.wildcards.dataset, sm.wildcards.seq
    dataset = sm.config["datasets"][name]
    detections, stats = read_masks(
        sm.params.masks, workers=sm.threads,
        allow_mixed_frame_sizes=dataset.get("allow_mixed_frame_sizes", False),
    )
    # Simulated or downloaded data exists only now: check the split's frame ranges.
    cfg.check_frames(dataset, name, seq, sequence_frames(stats), cfg.steps(sm.config, name))
    log.info("%s: %s", sm.params.masks, {k: v for k, v in stats.items() if k != "empty_frames"})
    write_parquet(detections, sm.output.detections)
    write_json(stats, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
