# uqtrack: calibrated link probabilities for frame-to-frame cell trackers.
# Data flows one way: data -> track -> calibrate -> evaluate -> figures.
import os
import sys

from snakemake.utils import min_version, validate

# The workflow runs from a checkout even where uqtrack is not installed (conda envs):
# src/ goes on the path of this process and of every job it starts.
sys.path.insert(0, os.path.join(workflow.basedir, "src"))
from uqtrack.scripting import recover_from_killed_run, share_library

share_library()

min_version("9.0")


# every results/ path (the rules' patterns, the export's targets): first, as all use it
include: "workflow/rules/paths.smk"


# A run killed with SIGKILL leaves Snakemake's lock behind, and every later run would
# stop until `--unlock`. The run lock tells a dead run's leftovers from a live run's
# (see recover_from_killed_run); incomplete outputs are redone by
# `rerun-incomplete` in profiles/default. Jobs (cluster nodes) leave this alone.
if workflow.is_main_process:
    _removed = recover_from_killed_run(RESULTS)
    if _removed:
        print(
            "uqtrack: cleared what an interrupted run left behind "
            f"({len(_removed)} item(s): {', '.join(_removed[:3])}...); resuming",
            file=sys.stderr,
        )


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
        # the study needs annotated data; a run that only exports masks-only movies
        # (calibrated by a previous run) has none
        STUDY if ANNOTATED else [],
        EXPORTS,
        intermediates(),  # so that a deleted intermediate is remade


onsuccess:
    # where a finished run's outputs are (the terminal otherwise ends on job lines)
    if not workflow.dryrun and os.path.exists(SUMMARY):
        exports = f" exports: {EXPORT_DIR}/;" if EXPORTS else ""
        print(
            f"\nuqtrack: done. Findings: {CLAIMS['markdown']}; numbers: {SUMMARY};"
            f" data quality: {DATA_QUALITY['markdown']};"
            f" figures: {FIGURES_DIR}/;{exports} logs: logs/."
            "\nOne page with all of it: snakemake --report report.html",
            file=sys.stderr,
        )
    elif not workflow.dryrun and EXPORTS:
        print(f"\nuqtrack: done. Exports: {EXPORT_DIR}/; logs: logs/.", file=sys.stderr)
