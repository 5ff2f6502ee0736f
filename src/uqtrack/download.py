"""Fetching Cell Tracking Challenge training data for config/paper.yaml."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from uqtrack.errors import InputError


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_ctc(url: str, out_dir: str | Path, sha256: str | None = None) -> Path:
    """Download a CTC training zip and unpack it so ``out_dir/<seq>_GT/TRA`` exists.

    The zips hold one top folder named after the dataset; its content is moved up.
    The workflow calls this once per dataset: the unpacked folder is the rule's
    output, so a dataset that is present is never downloaded again.

    Parameters
    ----------
    url : str
        ``http(s)://`` or ``file://``.
    out_dir : path
        The dataset folder to make.
    sha256 : str, optional
        The archive's expected SHA-256 (hex); checked before unpacking.

    Raises
    ------
    InputError
        The download fails, its checksum differs, the file is not a zip archive
        (cut off, or a web page), or the archive holds no ``<seq>_GT/TRA`` folder.
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
        if sha256 is not None and (got := sha256_of(archive)) != sha256.lower():
            raise InputError(
                url,
                f"checksum mismatch: sha256 {got}, expected {sha256.lower()} (a cut-off or changed "
                "download); rerun to download it again, or fix datasets.<name>.sha256",
            )
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
