"""Readers of intermediates fail with one line; writers record provenance, deterministically."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import xarray as xr

from uqtrack import files
from uqtrack.errors import InputError

TABLE = pd.DataFrame({"t": np.arange(5, dtype=np.int64), "p": np.linspace(0, 1, 5)})
DATASET = xr.Dataset({"ece": ("step", [0.1, 0.2])}, coords={"step": [1, 10]})
RECORD = files.provenance({"seed": 7, "steps": [1]}, rule="test", wildcards={"dataset": "x"})

WRITE = {
    "parquet": lambda path, **kw: files.write_parquet(TABLE, path, **kw),
    "json": lambda path, **kw: files.write_json({"temperature": 1.5}, path, **kw),
    "tsv": lambda path, **kw: files.write_tsv(TABLE, path, **kw),
    "nc": lambda path, **kw: files.write_netcdf(DATASET, path, **kw),
}
READ = {
    "parquet": files.read_parquet,
    "json": files.read_json,
    "tsv": files.read_tsv,
    "nc": files.read_netcdf,
}
NEEDS = {"parquet": ["t", "p"], "json": ["temperature"], "tsv": ["t", "p"], "nc": ["ece"]}  # as the scripts ask

def assert_content_unchanged(kind: str, got) -> None:
    """What a reader returned is what was written (provenance aside)."""
    if kind in ("parquet", "tsv"):
        pd.testing.assert_frame_equal(got[list(TABLE.columns)].reset_index(drop=True), TABLE)
    elif kind == "json":
        assert {k: v for k, v in got.items() if k != "provenance"} == {"temperature": 1.5}
    else:
        xr.testing.assert_equal(got[list(DATASET.data_vars)], DATASET)


DAMAGE = {
    "garbage": lambda data: b"this is not what you think it is\n" * 3,
    "zero bytes": lambda data: b"",
    "first half": lambda data: data[: len(data) // 2],
    "last byte cut": lambda data: data[:-1],
    "bytes flipped": lambda data: data[:8] + bytes(b ^ 0xFF for b in data[8:40]) + data[40:],
}


def one_line(fn) -> str:
    with pytest.raises(InputError) as info:
        fn()
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("kind", list(WRITE))
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_intermediate_is_named_with_what_to_do(tmp_path, kind, damage):
    path = tmp_path / f"thing.{kind}"
    WRITE[kind](path)
    assert_content_unchanged(kind, READ[kind](path, NEEDS[kind]))  # the comparison holds when intact
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    try:
        got = READ[kind](path, NEEDS[kind])
    except InputError as err:
        message = str(err)
        assert "\n" not in message and message.startswith(f"{path}: ")
        assert "delete it and rerun" in message
    else:
        # some damage leaves a readable file (a TSV cut by its last byte, a flipped
        # byte in JSON indentation...): then the content must be unchanged
        assert damage in ("last byte cut", "bytes flipped"), f"{damage} {kind} read without error"
        assert_content_unchanged(kind, got)


@pytest.mark.parametrize("kind", list(WRITE))
def test_missing_folder_and_wrong_format(tmp_path, kind):
    path = tmp_path / f"thing.{kind}"
    assert "missing; rerun" in one_line(lambda: READ[kind](path))
    path.mkdir()
    assert "is a folder" in one_line(lambda: READ[kind](path))
    path.rmdir()
    other = {"parquet": "json", "json": "parquet", "tsv": "parquet", "nc": "json"}[kind]
    WRITE[other](path)
    assert "delete it and rerun" in one_line(lambda: READ[kind](path, NEEDS[kind]))


def test_required_columns_keys_and_variables(tmp_path):
    for kind, want in [("parquet", ["t", "mother"]), ("tsv", ["t", "mother"]), ("nc", ["ece", "ause_p"])]:
        path = tmp_path / f"x.{kind}"
        WRITE[kind](path)
        message = one_line(lambda kind=kind, path=path, want=want: READ[kind](path, want))
        assert "lacks" in message and want[1] in message and "delete it and rerun" in message
    WRITE["json"](tmp_path / "x.json")
    assert "lacks key(s) tau" in one_line(lambda: files.read_json(tmp_path / "x.json", ["tau"]))


@pytest.mark.parametrize("kind", list(WRITE))
def test_provenance_is_recorded_and_stripped_on_reading(tmp_path, kind):
    path = tmp_path / f"thing.{kind}"
    WRITE[kind](path, provenance=RECORD)
    if kind == "parquet":
        stored = json.loads(pq.read_schema(path).metadata[b"provenance"])
        pd.testing.assert_frame_equal(files.read_parquet(path), TABLE)
    elif kind == "json":
        stored = json.loads(path.read_text())["provenance"]
        assert files.read_json(path) == {"temperature": 1.5}
    elif kind == "tsv":
        stored = json.loads(files.sidecar(path).read_text())
        assert path.read_text().splitlines()[0] == "t\tp"  # the table itself stays plain
    else:
        stored = json.loads(xr.load_dataset(path, engine="scipy").attrs["provenance"])
        assert "provenance" not in files.read_netcdf(path).attrs
        xr.testing.assert_identical(files.read_netcdf(path), DATASET)
    assert stored == RECORD


def test_provenance_content():
    record = files.provenance({"seed": 3, "a": [1, 2]}, rule="edges", wildcards={"step": "10"})
    assert record["seed"] == 3 and record["rule"] == "edges" and record["wildcards"] == {"step": "10"}
    assert record["config_sha256"] == files.config_hash({"a": [1, 2], "seed": 3})  # key order does not matter
    assert record["config_sha256"] != files.config_hash({"seed": 4, "a": [1, 2]})
    for package in ("uqtrack", "numpy", "pandas", "scipy", "highspy", "pulp", "snakemake", "python"):
        assert record["versions"][package]
    commit = record["git_commit"]
    assert commit is None or len(commit.split("+")[0]) == 40
    text = json.dumps(record)
    assert os.uname().nodename not in text  # no host name


def test_the_same_content_gives_the_same_bytes_in_a_fresh_process(tmp_path):
    """No time stamp or other per-run state: two processes write identical files."""
    script = (
        "import sys, numpy as np, pandas as pd, xarray as xr\n"
        "from uqtrack import files\n"
        "out = sys.argv[1]\n"
        "rec = files.provenance({'seed': 1})\n"
        "t = pd.DataFrame({'a': np.arange(3)})\n"
        "with files.use_provenance(rec):\n"
        "    files.write_parquet(t, out + '/a.parquet'); files.write_json({'x': 1}, out + '/a.json')\n"
        "    files.write_tsv(t, out + '/a.tsv'); files.write_netcdf(xr.Dataset({'v': ('i', [1.0])}), out + '/a.nc')\n"
    )
    for run in ("one", "two"):
        (tmp_path / run).mkdir()
        subprocess.run([sys.executable, "-c", script, str(tmp_path / run)], check=True)
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == ["a.json", "a.nc", "a.parquet", "a.tsv", "a.tsv.provenance.json"]
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_use_provenance_is_scoped(tmp_path):
    with files.use_provenance(RECORD):
        files.write_json({"a": 1}, tmp_path / "in.json")
    files.write_json({"a": 1}, tmp_path / "out.json")
    assert "provenance" in json.loads((tmp_path / "in.json").read_text())
    assert json.loads((tmp_path / "out.json").read_text()) == {"a": 1}


def test_figure_metadata_is_reproducible():
    with files.use_provenance(RECORD):
        pdf = files.figure_metadata("pdf")
        png = files.figure_metadata("png")
    assert pdf["CreationDate"] is None and json.loads(pdf["Subject"]) == RECORD
    assert json.loads(png["provenance"]) == RECORD
    assert files.figure_metadata("pdf") == {"CreationDate": None}


def test_partials_of_a_killed_writer_are_removed(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with files.atomic_path(tmp_path / "a" / "edges.parquet") as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt  # an interrupted writer cleans up after itself ...
    assert list((tmp_path / "a").iterdir()) == []
    # ... a killed one cannot: what it leaves has a recognisable name
    (tmp_path / "a" / ".edges.parquet.partial-x1y2.parquet").write_bytes(b"half")
    (tmp_path / "b" / ".tiny.partial-abc").mkdir(parents=True)
    (tmp_path / "b" / ".tiny.partial-abc" / "man_track.txt").write_text("1 0 0 0\n")
    (tmp_path / "a" / "edges.parquet").write_bytes(b"done")
    (tmp_path / "a" / ".hidden").write_bytes(b"not ours")
    removed = files.remove_partials(tmp_path)
    assert len(removed) == 2
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [".hidden", "edges.parquet"]
    assert list((tmp_path / "b").iterdir()) == []
