"""Link probabilities of every method for every frame pair of one sequence and step."""

from uqtrack.files import read_json, read_parquet, write_parquet, write_tsv
from uqtrack.frames import frame_source
from uqtrack.lineage import frame_pairs, sequence_frames
from uqtrack.linking import link_sequence
from uqtrack.scripting import run_rule
from uqtrack.trackers import make_tracker
from uqtrack.trackers.transformer import set_torch_threads
from uqtrack.uq import MethodParams


def main(sm):
    wc = sm.wildcards
    step = int(wc.step)
    tracker = make_tracker(sm.params.tracker, read_json(f"{sm.input.tracker}/params.json"), step)
    set_torch_threads(sm.threads)  # a transformer's forward passes use the job's threads
    detections = read_parquet(sm.input.detections)
    results = link_sequence(
        frame=frame_source(detections, sm.params.data["masks"], sm.params.data["images"]),
        pairs=frame_pairs(sequence_frames(read_json(sm.input.stats)), step),
        tracker=tracker,
        methods=sm.params.methods,
        params=MethodParams(
            k=sm.params.samples,
            topk=sm.params.topk,
            # the slack is a cost difference: on the step's own scale, grown like the prices
            slack=None if sm.params.asf_slack is None else sm.params.asf_slack * tracker.price_scale,
            max_daughters=sm.params.max_daughters,
            map_solver=sm.params.map_solver,
            time_limit=sm.params.time_limit,
        ),
        seed=(sm.params.seed, f"{wc.dataset}/{wc.seq}/{wc.step}/{wc.tracker}"),
    )
    for method, edges, timings in zip(sm.params.methods, sm.output.edges, sm.output.timings, strict=True):
        table, seconds = results[method]
        write_parquet(table, edges)
        write_tsv(seconds, timings)


run_rule(main, snakemake)  # noqa: F821
