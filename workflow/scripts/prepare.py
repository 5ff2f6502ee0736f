"""Read one sequence's label images: detections and frame counts (no truth)."""

from uqtrack import config as cfg
from uqtrack.ctc import read_masks
from uqtrack.files import write_json, write_parquet
from uqtrack.lineage import sequence_frames
from uqtrack.scripting import log, run_rule


def main(sm):
    name, seq = sm.wildcards.dataset, sm.wildcards.seq
    detections, stats = read_masks(
        sm.params.masks, workers=sm.threads, allow_mixed_frame_sizes=sm.params.allow_mixed_frame_sizes
    )
    # Simulated or downloaded data exists only now: check the split's frame ranges. Read
    # from the config (its defaults filled in by the Snakefile), not params: a params
    # entry would make every change of the split or the steps rerun prepare, and with it
    # all tracking after it.
    dataset = cfg.Dataset.from_config(name, sm.config["datasets"][name], sm.config["steps"])
    cfg.check_frames(dataset, seq, sequence_frames(stats))
    log.info("%s: %s", sm.params.masks, {k: v for k, v in stats.items() if k != "empty_frames"})
    write_parquet(detections, sm.output.detections)
    write_json(stats, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
