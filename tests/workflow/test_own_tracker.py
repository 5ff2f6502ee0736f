"""The README's own-tracker example, copied verbatim, runs through the workflow."""

import re
import subprocess

import pytest
import xarray as xr
import yaml

from conftest import ROOT, snakemake_command

pytestmark = pytest.mark.slow


def _readme_block(after: str, lang: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(after)
    return re.search(rf"```{lang}\n(.*?)```", text[start:], re.S).group(1)


def test_readme_tracker_runs_in_the_workflow(tmp_path):
    (tmp_path / "my_tracker.py").write_text(_readme_block("## Your own tracker", "python"))
    trackers = yaml.safe_load(_readme_block("and name it in the config", "yaml"))["trackers"]
    config = yaml.safe_load((ROOT / ".test" / "config.yaml").read_text())
    config.update(trackers=trackers, methods=["sm", "fpa"], overview=[])
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    proc = subprocess.run(
        [*snakemake_command(), "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
         "--configfile", str(tmp_path / "config.yaml"), "--cores", "2"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = xr.load_dataset(tmp_path / "results" / "summary.nc")
    assert list(summary["tracker"].values) == ["distance", "area"]
    acc = summary["accuracy"].sel(tracker="area", uq="sm", step=1)
    assert float(acc.squeeze()) > 0.95  # the tiny simulated data is easy at step 1
