import zipfile

import pytest

from uqtrack.download import fetch_ctc
from uqtrack.errors import InputError


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
