"""The SLURM profile (profiles/slurm) run for real on a SLURM cluster.

Skipped unless `sbatch` is on PATH and `sinfo` answers. To get a one-node cluster
on this machine: `bash tests/workflow/cluster/start_slurm.sh` (see tests/workflow/cluster/README.md).
With UQTRACK_REQUIRE_SLURM=1 (set by .ci/run, which starts that cluster) a missing
SLURM or executor plugin fails the test instead of skipping it.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]


def _slurm_answers() -> bool:
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return False
    try:
        proc = subprocess.run(["sinfo", "-h"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and proc.stdout.strip() != ""


REQUIRED = os.environ.get("UQTRACK_REQUIRE_SLURM") == "1"


def _missing() -> str | None:
    if not _slurm_answers():
        return "no SLURM here (sbatch/sinfo)"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed"
    return None


pytestmark = [pytest.mark.cluster, pytest.mark.slow]


@pytest.fixture(autouse=True)
def slurm_is_there():
    why = _missing()
    if why and REQUIRED:
        pytest.fail(f"UQTRACK_REQUIRE_SLURM=1 but {why}: see tests/workflow/cluster/README.md")
    if why:
        pytest.skip(why)


def _accounting_works() -> bool:
    """sacct exits non-zero ("accounting storage is disabled") without slurmdbd."""
    if shutil.which("sacct") is None:
        return False
    proc = subprocess.run(["sacct", "-X", "-n", "--name", "none"], capture_output=True, text=True)
    return proc.returncode == 0


def test_slurm_profile_runs_tiny_workflow(tmp_path):
    # Overrides for this test cluster only; the profile itself stays as users get it:
    # - without slurmdbd the plugin (2.x) would pick `sacct` for job states because
    #   the binary exists, and every poll would fail; squeue works as long as
    #   MinJobAge keeps finished jobs listed (start_slurm.sh sets 1 h);
    # - keep the per-job SLURM logs (deleted on success by default) as evidence;
    # - first status poll after 5 s instead of 40 s, then every 3 s (shorter test);
    # - the cluster has 2 CPUs in all (--cores), so no group job asks for more.
    extra = ["--slurm-keep-successful-logs", "--slurm-init-seconds-before-status-checks", "5",
             "--seconds-between-status-checks", "3", "--cores", "2"]
    if not _accounting_works():
        extra += ["--slurm-status-command", "squeue"]
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
         "--configfile", str(ROOT / ".test" / "mechanics.yaml"),
         "--profile", str(ROOT / "profiles" / "slurm"), *extra],
        capture_output=True, text=True, timeout=1800,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]

    # the jobs really went through sbatch, bundled into group jobs by the profile ...
    job_ids = re.findall(r"has been submitted with SLURM jobid (\d+)", output)
    # the plugin names each log folder group_<group>_<rules...>
    folders = {p.parent.name for p in (tmp_path / ".snakemake" / "slurm_logs").rglob("*.log")}
    groups = {name.split("_")[1] for name in folders if name.startswith("group_")}
    assert groups == {"data", "fit", "edges", "evaluate", "report"}, sorted(folders)
    assert 5 <= len(job_ids) <= 10, output[-3000:]  # the config's jobs in a handful of submissions
    logs = {p.stem for p in (tmp_path / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert set(job_ids) <= logs, (sorted(job_ids), sorted(logs))
    # ... and ran on a SLURM node (the job-side snakemake uses the slurm-jobstep executor)
    some_log = next((tmp_path / ".snakemake" / "slurm_logs").rglob(f"{job_ids[-1]}.log"))
    assert "--executor slurm-jobstep" in some_log.read_text()

    summary = xr.load_dataset(tmp_path / "results" / "summary.nc")
    assert set(summary["uq"].values) == {"sm", "as"}
    ece = summary["ece"].values
    assert ece.size > 0 and np.isfinite(ece).all()
    assert (tmp_path / "results" / "figures" / "ece_vs_step.pdf").stat().st_size > 1000
