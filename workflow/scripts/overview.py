"""One frame pair with its predicted links coloured by calibrated confidence (Fig. 1)."""

from uqtrack import splits
from uqtrack.files import read_json, read_parquet
from uqtrack.frames import frame_source
from uqtrack.plots import overview, save
from uqtrack.scripting import log, run_rule


def main(sm):
    wc, part = sm.wildcards, splits.Part(**sm.params.part)
    table = splits.select(read_parquet(sm.input.edges), part)
    fit = read_json(sm.input.temperature)
    table = overview.calibrated(table, fit["tau"], fit.get("eps", 0.0))
    pair = overview.least_certain_pair(table)
    if pair is None:
        save(overview.empty("no predicted link in the evaluation split"), sm.output)
        return
    t, t2 = pair
    frame = frame_source(read_parquet(sm.input.detections), sm.params.data["masks"], sm.params.data["images"])
    mothers, daughters = frame(t), frame(t2)
    background, is_mask = daughters.image(), False
    if background is None and daughters.load_masks is not None:
        background, is_mask = daughters.masks(), True
    rows = table[(table["t"] == t) & (table["t2"] == t2)]
    title = (f"{wc.dataset} {part.seq}, frames {t} -> {t2} (step {wc.step}), "
             f"{wc.tracker}, {wc.method} +TS (T = {fit['temperature']:.3g}, floor {fit.get('eps', 0.0):.2g})")
    log.info("drawing %s", title)
    save(overview.frame_pair(rows, mothers.cells, daughters.cells, background, is_mask, title), sm.output)


run_rule(main, snakemake)  # noqa: F821
