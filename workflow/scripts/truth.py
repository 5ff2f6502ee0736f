"""True mother of every daughter at one subsampling step."""

from uqtrack.files import read_json, read_parquet, write_json, write_parquet
from uqtrack.lineage import link_stats, sequence_frames, true_links
from uqtrack.scripting import log, run_rule


def main(sm):
    detections = read_parquet(sm.input.detections, columns=["frame", "label"])
    tracks = read_parquet(sm.input.tracks, columns=["label", "parent"])
    frames = sequence_frames(read_json(sm.input.stats, keys=["first_frame", "last_frame", "missing_frame_numbers"]))
    links = true_links(tracks, detections, int(sm.wildcards.step), frames=frames)
    counts = link_stats(links, sm.params.max_daughters)
    log.info("step %s: %s", sm.wildcards.step, counts)
    write_parquet(links, sm.output.links)
    write_json(counts, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
