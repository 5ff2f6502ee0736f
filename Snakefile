# uqtrack: calibrated link probabilities for frame-to-frame cell trackers.
# Data flows one way: data -> track -> calibrate -> evaluate -> figures.
import os
import sys

from snakemake.utils import min_version, validate

# The workflow runs from a checkout even where uqtrack is not installed (conda envs):
# src/ goes on the path of this process and of every job it starts.
sys.path.insert(0, os.path.join(workflow.basedir, "src"))
from uqtrack.scripting import share_library

share_library()

min_version("9.0")


report: "workflow/report/workflow.rst"


# A --configfile replaces the default instead of being merged into it (a merge would
# add its datasets to the default's simulated ones).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/track.smk"
include: "workflow/rules/calibrate.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/export.smk"


rule all:
    default_target: True
    input:
        "results/summary.nc",
        CLAIMS,
        FIGURES,
        EXPORTS,


onsuccess:
    # where a finished run's outputs are (the terminal otherwise ends on job lines)
    if not workflow.dryrun and os.path.exists("results/summary.nc"):
        print(
            "\nuqtrack: done. Findings: results/claims.md; numbers: results/summary.nc;"
            " figures: results/figures/; exports: results/export/."
            "\nOne page with all of it: snakemake --report report.html",
            file=sys.stderr,
        )
