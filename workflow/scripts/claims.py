"""Check the paper's findings on the summary: claims.md, claims.html and claims.tsv."""

from uqtrack import claims
from uqtrack.files import atomic_path, read_netcdf, write_tsv
from uqtrack.report import to_html
from uqtrack.scripting import run_rule


def main(sm):
    summary = read_netcdf(sm.input.summary)
    boot = read_netcdf(sm.input.bootstrap)
    table = claims.check(summary, boot, sm.params.tracker_types)
    text = claims.markdown(table, claims.across_datasets(summary), sm.params.context)
    write_tsv(table, sm.output.table)
    for path, content in ((sm.output.markdown, text), (sm.output.html, to_html(text))):
        with atomic_path(path) as tmp:
            tmp.write_text(content)


run_rule(main, snakemake)  # noqa: F821
