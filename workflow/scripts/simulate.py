"""Simulate a dataset of dividing, moving cells in the CTC layout."""

from uqtrack.files import atomic_dir, write_json
from uqtrack.scripting import log, run_rule
from uqtrack.simulate import simulate_dataset


def main(sm):
    spec = sm.params.simulate
    with atomic_dir(sm.output[0]) as tmp:
        simulate_dataset(tmp, sm.params.sequences, spec["preset"], spec.get("params"), sm.params.seed)
        # what made this folder (the CTC files themselves have no room for it)
        write_json({"simulate": spec, "sequences": sm.params.sequences}, tmp / "provenance.json")
    log.info("simulated %s (%s) into %s", sm.params.sequences, spec["preset"], sm.output[0])


run_rule(main, snakemake)  # noqa: F821
