"""Link probabilities of one method for every frame pair of one sequence and step."""

import pandas as pd

from uqtrack.files import read_json, write_parquet, write_tsv
from uqtrack.linking import link_sequence
from uqtrack.scripting import run_rule
from uqtrack.trackers import make_tracker
from uqtrack.uq import MethodParams


def main(sm):
    wc = sm.wildcards
    tracker = make_tracker(wc.tracker, read_json(sm.input.tracker), step=int(wc.step))
    table, timings = link_sequence(
        detections=pd.read_parquet(sm.input.detections),
        links=pd.read_parquet(sm.input.links),
        tracker=tracker,
        method=wc.method,
        params=MethodParams(
            k=sm.params.samples,
            topk=sm.params.topk,
            slack=sm.params.asf_slack,
            max_daughters=sm.params.max_daughters,
        ),
        seed=(sm.params.seed, f"{wc.dataset}/{wc.seq}/{wc.step}/{wc.tracker}/{wc.method}"),
    )
    write_parquet(table, sm.output.edges)
    write_tsv(timings, sm.output.timings)


run_rule(main, snakemake)  # noqa: F821
