"""What the data held that is legal but rare, and the grid cells with little to judge."""

from uqtrack import quality
from uqtrack.files import atomic_path, read_json, read_netcdf
from uqtrack.report import to_html
from uqtrack.scripting import run_rule


def main(sm):
    # each "<dataset>/<seq>" with its lineage.json
    stats = {name: read_json(p) for name, p in zip(sm.params.sequences, sm.input.stats, strict=True)}
    text = quality.markdown(stats, read_netcdf(sm.input.summary))
    for path, content in ((sm.output.markdown, text), (sm.output.html, to_html(text))):
        with atomic_path(path) as tmp:
            tmp.write_text(content)


run_rule(main, snakemake)  # noqa: F821
