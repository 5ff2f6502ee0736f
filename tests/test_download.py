import zipfile

import pytest

from uqtrack.download import fetch_ctc
from uqtrack.errors import InputError

from conftest import ROOT, SHARED_DATA, needs_shared_data


def test_unpacks_the_dataset_folder(tmp_path):
    archive = tmp_path / "Fluo-Test.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Fluo-Test/01_GT/TRA/man_track.txt", "1 0 0 0\n")
        z.writestr("Fluo-Test/01/t000.tif", b"")
    out = fetch_ctc(archive.as_uri(), tmp_path / "downloads" / "Fluo-Test")
    assert (out / "01_GT" / "TRA" / "man_track.txt").read_text() == "1 0 0 0\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["Fluo-Test"]  # no leftovers


def test_failures_name_the_url(tmp_path):
    with pytest.raises(InputError, match="download failed"):
        fetch_ctc((tmp_path / "missing.zip").as_uri(), tmp_path / "out")
    archive = tmp_path / "empty.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "nothing here")
    with pytest.raises(InputError, match="no <seq>_GT/TRA"):
        fetch_ctc(archive.as_uri(), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content", [b"", b"<html>Not found</html>", b"PK\x03\x04truncated"])
def test_a_cut_off_or_wrong_download_is_named(tmp_path, content):
    archive = tmp_path / "cut.zip"
    archive.write_bytes(content)
    with pytest.raises(InputError, match="not a readable zip archive") as info:
        fetch_ctc(archive.as_uri(), tmp_path / "out")
    assert "\n" not in str(info.value) and str(info.value).startswith(archive.as_uri())
    assert not (tmp_path / "out").exists()


def test_checksum_is_checked_before_unpacking(tmp_path):
    archive = tmp_path / "Fluo-Test.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Fluo-Test/01_GT/TRA/man_track.txt", "1 0 0 0\n")
    from uqtrack.download import sha256_of

    good = sha256_of(archive)
    fetch_ctc(archive.as_uri(), tmp_path / "ok", sha256=good.upper())
    with pytest.raises(InputError, match="checksum mismatch") as info:
        fetch_ctc(archive.as_uri(), tmp_path / "bad", sha256="0" * 64)
    assert "\n" not in str(info.value) and not (tmp_path / "bad").exists()


@needs_shared_data
@pytest.mark.slow
def test_the_workflow_downloads_once_from_a_local_zip(tmp_path, snakemake_bin):
    """A `download:` URL (here file:// of a zip built from ../shared/data) is fetched,
    checked, unpacked and tracked; a second run downloads nothing."""
    import subprocess

    import yaml

    from uqtrack.download import sha256_of

    src = SHARED_DATA / "ctc" / "Fluo-C2DL-MSC"
    archive = tmp_path / "Fluo-C2DL-MSC.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                z.write(path, f"Fluo-C2DL-MSC/{path.relative_to(src)}")
    config = {
        "steps": [1], "methods": ["sm"], "bootstrap": 20,
        "trackers": {"distance": {"type": "distance"}},
        "datasets": {"MSC": {"path": str(tmp_path / "absent"), "download": archive.as_uri(),
                             "sha256": sha256_of(archive), "calibration": ["01"], "evaluation": ["02"]}},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    # tracked: the edge tables of both sequences (the study after them is tested elsewhere)
    tracked = [f"results/edges/MSC/{seq}/step1/distance/sm/edges.parquet" for seq in ("01", "02")]
    cmd = [*snakemake_bin, *tracked, "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path / "w"),
           "--configfile", str(tmp_path / "c.yaml"), "--cores", "2"]
    first = subprocess.run(cmd, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-3000:]
    assert (tmp_path / "w/results/downloads/MSC/02_GT/TRA/man_track.txt").exists()
    assert all((tmp_path / "w" / t).exists() for t in tracked)
    again = subprocess.run([*cmd, "-n"], capture_output=True, text=True)
    assert again.returncode == 0 and "download" not in again.stdout.split("Job stats")[-1]
