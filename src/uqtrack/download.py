"""Fetching Cell Tracking Challenge training data for config/paper.yaml."""

from __future__ import annotations

import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from uqtrack.errors import InputError


def fetch_ctc(url: str, out_dir: str | Path) -> Path:
    """Download a CTC training zip and unpack it so ``out_dir/<seq>_GT/TRA`` exists.

    The zips hold one top folder named after the dataset; its content is moved up.

    Raises
    ------
    InputError
        The download fails, the file is not a zip archive (cut off, or a web page),
        or the archive holds no ``<seq>_GT/TRA`` folder.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:  # same disk: the move is a rename
        archive = Path(tmp) / "data.zip"
        try:
            with urllib.request.urlopen(url, timeout=60) as response, archive.open("wb") as f:
                shutil.copyfileobj(response, f)
        except OSError as err:
            raise InputError(url, f"download failed ({err}); set datasets.<name>.path to a local copy") from None
        try:
            with zipfile.ZipFile(archive) as z:
                z.extractall(Path(tmp) / "unpacked")
        except (zipfile.BadZipFile, EOFError, OSError) as err:
            raise InputError(
                url,
                f"not a readable zip archive ({err}): a cut-off download or a wrong URL; "
                "rerun to download it again, or set datasets.<name>.path to a local copy",
            ) from None
        unpacked = Path(tmp) / "unpacked"
        tops = [p for p in unpacked.iterdir() if p.is_dir()]
        root = tops[0] if len(tops) == 1 and not list(unpacked.glob("*_GT")) else unpacked
        if not list(root.glob("*_GT/TRA")):
            raise InputError(url, "the archive holds no <seq>_GT/TRA folder")
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        shutil.move(str(root), out)  # unpacked beside, then moved: never half a dataset
    return out
