# uqtrack: calibrated link probabilities for frame-to-frame cell trackers.
# Data flows one way: data -> track -> calibrate -> evaluate -> figures.
from snakemake.utils import min_version, validate

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
