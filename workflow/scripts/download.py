"""Download a Cell Tracking Challenge training dataset and unpack it."""

from uqtrack.download import fetch_ctc
from uqtrack.files import write_json
from uqtrack.scripting import run_rule


def main(sm):
    out = fetch_ctc(sm.params.url, sm.output[0], sm.params.sha256)
    write_json({"download": sm.params.url, "sha256": sm.params.sha256}, out / "provenance.json")


run_rule(main, snakemake)  # noqa: F821
