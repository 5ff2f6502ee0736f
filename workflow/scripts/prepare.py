"""Read and check one CTC sequence: detections, tracks and counts."""

from uqtrack import config as cfg
from uqtrack.ctc import quality_warnings, read_sequence
from uqtrack.files import write_json, write_parquet
from uqtrack.scripting import log, run_rule


def main(sm):
    name, seq = sm.wildcards.dataset, sm.wildcards.seq
    dataset = sm.config["datasets"][name]
    tracks, detections, stats = read_sequence(
        sm.params.tra,
        workers=sm.threads,
        allow_mixed_frame_sizes=dataset.get("allow_mixed_frame_sizes", False),
    )
    # Simulated or downloaded data exists only now: check the split's frame ranges.
    missing = set(stats["missing_frame_numbers"])
    frames = [t for t in range(stats["first_frame"], stats["last_frame"] + 1) if t not in missing]
    cfg.check_frames(dataset, name, seq, frames, cfg.steps(sm.config, name))
    for line in quality_warnings(stats, sm.params.tra):
        log.warning("%s", line)
    log.info("%s: %s", sm.params.tra, {k: v for k, v in stats.items() if k != "data_quality"})
    write_parquet(detections, sm.output.detections)
    write_parquet(tracks, sm.output.tracks)
    write_json(stats, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
