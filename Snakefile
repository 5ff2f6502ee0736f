# uqtrack: calibrated link probabilities for frame-to-frame cell trackers.
# Data flows one way: data -> track -> calibrate -> evaluate -> figures.
import os
import sys

from snakemake.utils import min_version, validate

# The workflow runs from a checkout without installing uqtrack: put src/ on the path
# for this process and for every job it starts.
_SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, _SRC)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [_SRC, os.environ.get("PYTHONPATH")]))

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/track.smk"
include: "workflow/rules/calibrate.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"


rule all:
    input:
        "results/summary.nc",
        FIGURES,
    default_target: True
