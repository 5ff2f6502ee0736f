import copy
import subprocess

import pytest
import yaml

from uqtrack import config as cfg
from uqtrack.errors import InputError
from uqtrack.splits import Part

from conftest import ROOT, needs_shared_data

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def _check(config):
    return cfg.load(config, SCHEMA, "my.yaml")


def _fails(config, *words):
    with pytest.raises(InputError) as err:
        _check(config)
    message = str(err.value)
    assert "\n" not in message and message.startswith("my.yaml: ")
    for word in words:
        assert word in message
    return message


def test_shipped_configs_are_valid():
    _check(DEFAULT)
    for name in ("config.yaml", "mechanics.yaml"):
        _check(yaml.safe_load((ROOT / ".test" / name).read_text()))


@needs_shared_data
def test_real_data_configs_are_valid(monkeypatch):
    monkeypatch.chdir(ROOT)  # their paths are relative to the checkout
    for path in (ROOT / "config" / "paper.yaml", ROOT / ".test" / "full.yaml"):
        _check(yaml.safe_load(path.read_text()))


def test_unknown_top_level_key_is_named():
    bad = {**DEFAULT, "stpes": [1]}
    _fails(bad, "'stpes'", "unknown key")


def test_unknown_nested_key_is_named_with_its_path():
    bad = copy.deepcopy(DEFAULT)
    bad["trackers"]["distance"]["sigmaa"] = 3
    _fails(bad, "trackers.distance", "'sigmaa'")
    bad = copy.deepcopy(DEFAULT)
    bad["datasets"]["sim-nuclei"]["calibraton"] = ["01"]
    _fails(bad, "datasets.sim-nuclei", "'calibraton'")


def test_wrong_type_and_unknown_method():
    bad = copy.deepcopy(DEFAULT)
    bad["samples"] = "ten"
    _fails(bad, "samples")
    bad = copy.deepcopy(DEFAULT)
    bad["methods"] = ["sm", "softmax"]
    _fails(bad, "methods.1")


def test_missing_dataset_folder(tmp_path):
    bad = copy.deepcopy(DEFAULT)
    bad["overview"] = []
    bad["datasets"] = {"real": {"path": str(tmp_path / "nope"), "calibration": ["01"], "evaluation": ["02"]}}
    _fails(bad, "datasets.real.path", "folder not found")
    (tmp_path / "there" / "01_GT" / "TRA").mkdir(parents=True)
    bad["datasets"]["real"]["path"] = str(tmp_path / "there")
    _fails(bad, "02_GT", "folder not found")


def test_overlapping_split():
    bad = copy.deepcopy(DEFAULT)
    bad["datasets"]["sim-nuclei"]["evaluation"] = ["01"]
    _fails(bad, "overlap")
    ok = copy.deepcopy(DEFAULT)
    ok["datasets"]["sim-nuclei"]["calibration"] = [{"seq": "01", "frames": [0, 20]}]
    ok["datasets"]["sim-nuclei"]["evaluation"] = [{"seq": "01", "frames": [20, 60]}]
    ok["datasets"]["sim-nuclei"]["steps"] = [1, 10]  # [0, 20] holds no pair at step 30
    ok["overview"] = []  # the default draws step 30
    _check(ok)


def test_parts_and_steps():
    ds = {"calibration": [{"seq": "01", "frames": [0, 9]}], "evaluation": [{"seq": "01", "frames": [10, 20]}],
          "steps": [1, 5]}
    dataset = cfg.Dataset.from_config("x", ds, [1, 10])
    assert dataset.parts("evaluation") == (Part("01", 10, 20),) and dataset.evaluation[0].as_dict() == {
        "seq": "01", "first": 10, "last": 20}
    assert dataset.sequences == ["01"]
    assert dataset.steps == (1, 5)
    assert cfg.Dataset.from_config("x", {"calibration": ["01"], "evaluation": ["02"]}, [1, 10]).steps == (1, 10)


def test_snakemake_stops_before_any_job_with_one_line(tmp_path, snakemake_bin):
    bad = copy.deepcopy(DEFAULT)
    bad["trackers"]["distance"]["apear_cost"] = 3
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(bad))
    run = subprocess.run(
        [*snakemake_bin, "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "--configfile", str(path), "-n"],
        capture_output=True, text=True,
    )
    assert run.returncode != 0
    lines = [line for line in (run.stdout + run.stderr).splitlines() if "apear_cost" in line]
    assert len(lines) == 1 and str(path) in lines[0]
    assert not (tmp_path / "results").exists()


def test_a_configfile_replaces_the_default_instead_of_merging(tmp_path, snakemake_bin):
    run = subprocess.run(
        [*snakemake_bin, "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
         "--configfile", str(ROOT / ".test" / "config.yaml"), "-n", "--workflow-profile", "none"],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "results/data/tiny" in run.stdout
    assert "sim-nuclei" not in run.stdout and "sim-colony" not in run.stdout


def test_tracker_entries_are_checked_per_type():
    bad = copy.deepcopy(DEFAULT)
    bad["trackers"]["distance"]["type"] = "nosuchmodule:Cls"
    _fails(bad, "trackers.distance", "cannot import")
    bad["trackers"]["distance"]["type"] = "uqtrack.trackers:DistanceTracker"  # a class, by path
    _check(bad)
    bad["trackers"]["distance"]["sigmaa"] = 1
    _fails(bad, "trackers.distance", "'sigmaa'")
    bad = copy.deepcopy(DEFAULT)
    bad["trackers"]["distance"]["step_scaling"] = "quadratic"
    _fails(bad, "trackers.distance.step_scaling")
    two = copy.deepcopy(DEFAULT)  # two variants of one type side by side
    two["trackers"]["near"] = {"type": "distance", "max_candidates": 3}
    _check(two)


def test_overview_entries_name_what_the_config_runs():
    bad = copy.deepcopy(DEFAULT)
    bad["overview"] = [{"dataset": "sim-nuclei", "step": 7, "tracker": "distance", "method": "as"}]
    _fails(bad, "overview.0.step")
    bad["overview"] = [{"dataset": "sim-nuclei", "step": 10, "tracker": "nope", "method": "as"}]
    _fails(bad, "overview.0.tracker")


def test_a_transformer_names_a_model():
    bad = copy.deepcopy(DEFAULT)
    bad["trackers"]["t"] = {"type": "transformer", "model": "missing"}
    _fails(bad, "trackers.t.model", "models:")
    bad["models"]["missing"] = {"train": {"iterations": 10}}
    _check(bad)
    bad["trackers"]["t"]["dropout"] = 1.5
    _fails(bad, "trackers.t.dropout")
    bad["trackers"]["t"]["dropout"] = 0.5
    bad["models"]["missing"]["train"]["window"] = 4  # trackastra's windows of frames
    _check(bad)
    bad["models"]["missing"]["train"]["window"] = 1
    _fails(bad, "models.missing", "window")


def test_a_tracker_without_type_is_of_its_built_in_name_or_stops():
    named = copy.deepcopy(DEFAULT)
    named["trackers"] = {"overlap": {}, "distance": {"sigma": 2.0}}
    _check(named)
    run = _check(named)
    assert {name: entry.type for name, entry in run.trackers.items()} == {"overlap": "overlap", "distance": "distance"}
    assert run.trackers["distance"].params["sigma"] == 2.0
    assert named["trackers"]["overlap"] == {}  # load() leaves the caller's config as given
    # an overlap entry is checked as an overlap tracker, not as a distance one
    named["trackers"]["overlap"]["sigma"] = 2.0
    _fails(named, "trackers.overlap", "'sigma'")
    typo = copy.deepcopy(DEFAULT)
    typo["trackers"]["hungarian"] = {}  # once silently a distance tracker called "hungarian"
    message = _fails(typo, "trackers.hungarian: no type", "'hungarian' is not a built-in type", "module:Class")
    assert message == (
        "my.yaml: trackers.hungarian: no type, and 'hungarian' is not a built-in type;"
        " give type: distance, overlap, activity, transformer or module:Class"
    )
    typo["trackers"]["hungarian"] = {"type": "distance"}
    _check(typo)


def test_a_tracker_without_type_stops_the_workflow_before_any_job(tmp_path, snakemake_bin):
    config = copy.deepcopy(DEFAULT)
    config["overview"] = []
    config.pop("export")  # it names the default's distance tracker
    for trackers, fails in (({"hungarian": {}}, True), ({"overlap": {}}, False)):
        config["trackers"] = trackers
        path = tmp_path / "typo.yaml"
        path.write_text(yaml.safe_dump(config))
        run = subprocess.run(
            [*snakemake_bin, "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "--configfile", str(path),
             "-n", "--workflow-profile", "none"],
            capture_output=True, text=True,
        )
        if not fails:
            assert run.returncode == 0, run.stderr[-2000:]
            continue
        assert run.returncode != 0
        lines = [line for line in (run.stdout + run.stderr).splitlines() if "hungarian" in line]
        assert lines == [f"uqtrack: config error: {path}: trackers.hungarian: no type, and 'hungarian'"
                         " is not a built-in type; give type: distance, overlap, activity, transformer or module:Class"]
        assert not (tmp_path / "results").exists()


def test_export_method_defaults_to_the_recommended_one(tmp_path):
    """`export: {tracker: distance}` exports with mm, the README's recommendation."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["export"] = {"tracker": "distance"}
    assert _check(config).export == cfg.Export(tracker="distance", method="mm", step=1)
    config["methods"] = ["sm", "as"]
    with pytest.raises(InputError, match="export.method: 'mm' is not in methods"):
        _check(config)


def test_a_bad_simulation_parameter_stops_at_load():
    """Once found only when the simulate job ran; now before any job, naming the key."""
    bad = copy.deepcopy(DEFAULT)
    bad["datasets"]["sim-nuclei"]["simulate"]["params"] = {"speed": -1}
    message = _fails(bad, "datasets.sim-nuclei.simulate.params", "'speed' must be >= 0")
    assert message == "my.yaml: datasets.sim-nuclei.simulate.params: simulation parameter 'speed' must be >= 0"
    bad["datasets"]["sim-nuclei"]["simulate"]["params"] = {"n_frame": 10}
    _fails(bad, "datasets.sim-nuclei.simulate.params", "unknown simulation parameter 'n_frame'")


def test_load_fills_the_schema_defaults():
    config = copy.deepcopy(DEFAULT)
    del config["steps"]
    config["trackers"]["t"] = {"type": "transformer", "model": "small"}
    run = _check(config)
    assert run.steps == (1, 10, 30, 50) and run.datasets["sim-nuclei"].steps == (1, 10, 30, 50)
    assert run.datasets["sim-colony"].steps == (1, 5, 10, 20)  # its own
    assert run.trackers["t"].params["appear_cost"] == 1 and run.trackers["overlap"].params["appear_cost"] == 10
    assert run.models["small"]["train"]["batch_size"] == 8
    assert run.config["datasets"]["sim-nuclei"]["annotated"] is True
    assert "annotated" not in config["datasets"]["sim-nuclei"]  # the given config is left as it was
    assert run.datasets["sim-nuclei"].simulate.n_frames == 61


def test_a_bad_simulation_parameter_stops_the_workflow_before_any_job(tmp_path, snakemake_bin):
    bad = copy.deepcopy(DEFAULT)
    bad["datasets"]["sim-colony"]["simulate"]["params"] = {"division_rate": 2}
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump(bad))
    run = subprocess.run(
        [*snakemake_bin, "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "--configfile", str(path), "-n",
         "--workflow-profile", "none"],
        capture_output=True, text=True,
    )
    assert run.returncode != 0
    lines = [line for line in (run.stdout + run.stderr).splitlines() if "simulation parameter" in line]
    assert lines == [f"uqtrack: config error: {path}: datasets.sim-colony.simulate.params:"
                     " simulation parameter 'division_rate' must be <= 1"]
    assert not (tmp_path / "results").exists()
