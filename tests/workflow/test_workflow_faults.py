"""Bad data and configs met through the real Snakefile: one line, at the earliest point."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tifffile
import yaml

from uqtrack import ctc
from uqtrack.simulate import simulate_dataset

from conftest import ROOT, snakemake_command

pytestmark = pytest.mark.slow

SMALL = {"n_frames": 10, "shape": [96, 96], "n_initial": 8}


def snakemake(workdir: Path, config: dict, *extra: str) -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "my.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return subprocess.run(
        [*snakemake_command(), "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
         "--configfile", str(path), "--cores", "2", *extra],
        capture_output=True, text=True, timeout=600,
    )


def lines(proc: subprocess.CompletedProcess, start: str) -> list[str]:
    return [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith(start)]


def config(datasets: dict) -> dict:
    return {"seed": 1, "steps": [1], "samples": 2, "methods": ["sm"],
            "trackers": {"distance": {"sigma": "auto"}}, "datasets": datasets}


def test_a_reversed_range_stops_before_any_job(tmp_path):
    ds = {"simulate": {"preset": "nuclei", "params": SMALL},
          "calibration": [{"seq": "01", "frames": [0, 4]}], "evaluation": [{"seq": "01", "frames": [9, 5]}]}
    proc = snakemake(tmp_path, config({"tiny": ds}), "-n")
    assert proc.returncode != 0
    errors = lines(proc, "uqtrack: config error")
    assert len(errors) == 1 and "my.yaml: datasets.tiny.evaluation.0.frames: [9, 5] is reversed" in errors[0]
    assert "Traceback" not in proc.stderr and not (tmp_path / "results").exists()


def test_a_range_beyond_simulated_data_stops_once_the_data_exists(tmp_path):
    ds = {"simulate": {"preset": "nuclei", "params": SMALL},
          "calibration": [{"seq": "01", "frames": [0, 4]}], "evaluation": [{"seq": "01", "frames": [5, 30]}]}
    proc = snakemake(tmp_path, config({"tiny": ds}))
    assert proc.returncode != 0
    errors = lines(proc, "uqtrack ERROR")
    fault = "datasets.tiny.evaluation.0.frames: [5, 30] reaches beyond sequence '01', which has frames 0-9"
    assert len(errors) == 1 and fault in errors[0], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "results" / "prepared" / "tiny" / "01" / "detections.parquet").exists()
    # the next run knows the data: it stops before any job, naming the config file
    again = snakemake(tmp_path, config({"tiny": ds}))
    errors = lines(again, "uqtrack: config error")
    assert again.returncode != 0 and len(errors) == 1 and "my.yaml: " + fault in errors[0]
    assert "Job stats" not in again.stdout + again.stderr


def test_a_frame_of_another_size_stops_and_gaps_warn(tmp_path):
    data = tmp_path / "data"
    simulate_dataset(data, ["01", "02"], "nuclei", SMALL, seed=4)
    # 01: a long track loses frames inside its span (legal: a gap)
    tra1 = data / "01_GT" / "TRA"
    tracks = ctc.read_man_track(tra1 / "man_track.txt")
    track = tracks[tracks.end - tracks.begin >= 4].iloc[0]
    t = int(track.begin) + 2
    img = tifffile.imread(tra1 / f"man_track{t:03d}.tif")
    tifffile.imwrite(tra1 / f"man_track{t:03d}.tif", np.where(img == track.label, 0, img).astype(img.dtype))
    # 02: frame 3 swapped for one of another size (same labels, padded)
    tra2 = data / "02_GT" / "TRA"
    img = tifffile.imread(tra2 / "man_track003.tif")
    tifffile.imwrite(tra2 / "man_track003.tif", np.pad(img, ((0, 32), (0, 0))))
    ds = {"path": str(data), "calibration": ["01"], "evaluation": ["02"]}

    # --keep-going: the gap of 01 is found (rule lineage) whatever order the jobs run in
    proc = snakemake(tmp_path / "work", config({"real": ds}), "--keep-going")
    assert proc.returncode != 0
    errors = lines(proc, "uqtrack ERROR")
    assert len(errors) == 1, proc.stderr[-3000:]
    assert f"{tra2 / 'man_track003.tif'}: frame 3 is 128x96 pixels" in errors[0]
    assert "allow_mixed_frame_sizes: true" in errors[0]
    warnings = lines(proc, "uqtrack WARNING")
    assert len(warnings) == 1 and str(tra1) in warnings[0]
    assert f"track {track.label}: frames {t}" in warnings[0]
    stats = json.loads((tmp_path / "work/results/prepared/real/01/lineage.json").read_text())
    assert {"label": int(track.label), "frames": [t]} in stats["data_quality"]["gaps"]

    # the config key lets the odd frame through; the size is recorded, and the run's
    # data-quality page (in the report) lists both sequences' oddities with their frames
    allowed = snakemake(tmp_path / "work", config({"real": {**ds, "allow_mixed_frame_sizes": True}}))
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    stats = json.loads((tmp_path / "work/results/prepared/real/02/lineage.json").read_text())
    assert stats["data_quality"]["frame_sizes"]["128x96"] == [3]
    page = (tmp_path / "work/results/data_quality.md").read_text()
    assert "| 128x96: frames 3; 96x96: frames 0-2, 4-9 |" in page
    assert f"- real/01: track {track.label} missing from frames {t}" in page
    assert "track" in (tmp_path / "work/results/data_quality.html").read_text()
    shutil.rmtree(tmp_path / "work")
