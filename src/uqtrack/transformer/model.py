"""The association model: a trackastra ``TrackingTransformer``, its inputs, and its files.

A model folder is trackastra's own layout, so trackastra can read ours and we can
read its pretrained models:

* ``config.yaml``: the transformer's constructor arguments;
* ``model.pt``: its weights (a torch state dict);
* ``train_config.yaml``: ``features`` (what the model sees besides coordinates:
  ``none`` or trackastra's ``wrfeat``) and, for models trained here, how they were
  trained (``uqtrack`` key).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from uqtrack.errors import InputError
from uqtrack.files import atomic_dir
from uqtrack.transformer._trackastra import (
    PRETRAINED_URLS,
    TrackingTransformer,
    download_pretrained,
)

__all__ = ["FEATURES", "AssociationModel", "load_model", "save_model", "seeded_torch", "torch_threads"]

#: What a model can see besides the centroids: nothing, or trackastra's seven
#: region features of a 2D cell (equivalent diameter, mean intensity of the
#: percentile-normalised image, inertia tensor, closeness to the image border).
FEATURES = ("none", "wrfeat")
_FILES = ("config.yaml", "model.pt", "train_config.yaml")


@dataclass
class AssociationModel:
    """A trackastra association transformer and what it needs as input.

    Attributes
    ----------
    net : trackastra.model.TrackingTransformer
        The network; kept in eval mode (MC dropout switches only its attention
        modules to training mode, for one call).
    features : str
        ``"none"``: the model sees the cells' centroids only; ``"wrfeat"``: also
        trackastra's region features, computed from label masks and raw images.
    info : dict
        The rest of ``train_config.yaml`` (how the model was trained).
    """

    net: TrackingTransformer
    features: str = "none"
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.features not in FEATURES:
            raise ValueError(f"features must be one of {FEATURES}, got {self.features!r}")
        if self.net.config["coord_dim"] != 2:
            raise ValueError(f"only 2D models are supported, got coord_dim {self.net.config['coord_dim']}")
        self.net.eval()

    @property
    def config(self) -> dict[str, Any]:
        """The transformer's constructor arguments (``config.yaml``)."""
        return dict(self.net.config)

    @property
    def window(self) -> int:
        """Frames the model sees at once (trackastra's ``window``; 2: frame pairs)."""
        return int(self.net.config.get("window", 2))

    @property
    def cutoff(self) -> float:
        """Pairs of cells farther apart than this (pixels) have probability 0."""
        return float(self.net.config["spatial_pos_cutoff"])


def _read_folder(folder: Path, source: str) -> AssociationModel:
    missing = [f for f in ("config.yaml", "model.pt") if not (folder / f).is_file()]
    if missing:
        raise InputError(folder, f"not a model folder: {', '.join(missing)} missing")
    try:
        train: dict[str, Any] = {}
        if (folder / "train_config.yaml").is_file():
            train = yaml.safe_load((folder / "train_config.yaml").read_text()) or {}
        net = TrackingTransformer.from_folder(folder, map_location="cpu")  # weights_only
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, yaml.YAMLError) as exc:
        raise InputError(folder, f"cannot load the model ({source}): {exc}") from None
    features = train.pop("features", "none")
    if features not in FEATURES:
        raise InputError(folder / "train_config.yaml",
                         f"features {features!r} are not supported (only {', '.join(FEATURES)})")
    try:
        return AssociationModel(net, features, train)
    except ValueError as exc:
        raise InputError(folder, str(exc)) from None


def load_model(spec: str | os.PathLike[str], download_dir: str | os.PathLike[str] | None = None
               ) -> AssociationModel:
    """Load a model from a local folder, or a trackastra pretrained model by name.

    Parameters
    ----------
    spec : str or path
        A folder written by :func:`save_model` (or any trackastra model folder), or
        the name of a trackastra pretrained model (``general_2d``, ``ctc``), which is
        downloaded once (network needed) into ``download_dir``.
    download_dir : path, optional
        Where pretrained models are kept; trackastra's default user data folder if None.

    Returns
    -------
    AssociationModel
        In eval mode, on the CPU.

    Raises
    ------
    InputError
        The folder is not a model folder or cannot be read, the name is neither a
        folder nor a pretrained model, or the download fails (one line).
    """
    path = Path(spec)
    if path.is_dir():
        return _read_folder(path, "local folder")
    name = str(spec)
    if name not in PRETRAINED_URLS:
        raise InputError(name, "no such model folder, and not a trackastra pretrained model "
                         f"(known: {', '.join(sorted(PRETRAINED_URLS))})")
    try:
        folder = download_pretrained(name, None if download_dir is None else Path(download_dir))
    except Exception as exc:  # requests' errors, a bad zip, a full disk: all one line
        raise InputError(name, f"cannot download the pretrained model (network needed): "
                         f"{type(exc).__name__}: {exc}") from None
    return _read_folder(Path(folder), "pretrained")


def save_model(model: AssociationModel, folder: str | os.PathLike[str]) -> None:
    """Write a model folder atomically (a temporary folder renamed into place).

    Parameters
    ----------
    model : AssociationModel
    folder : path
        Must not exist, or be empty: a model is never overwritten piecemeal.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder}: exists and is not an empty folder")
    with atomic_dir(folder) as tmp:
        (tmp / "config.yaml").write_text(yaml.safe_dump(model.config, sort_keys=True))
        torch.save(model.net.state_dict(), tmp / "model.pt")
        train = {"features": model.features, **model.info}
        (tmp / "train_config.yaml").write_text(yaml.safe_dump(train, sort_keys=True))


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run a block with torch's intra-op threads set to ``threads`` (None: unchanged).

    On small inputs one thread is the fastest (measured: 3 ms per forward pass
    against 46 ms with 2 threads on a busy 2-core machine) and workflow jobs run
    side by side anyway.
    """
    old = torch.get_num_threads()
    if threads is not None and threads != old:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        if torch.get_num_threads() != old:
            torch.set_num_threads(old)


@contextmanager
def seeded_torch(seed: int) -> Iterator[None]:
    """Run a block with torch's global generator seeded, then restore it.

    Dropout inside ``scaled_dot_product_attention`` draws from torch's global
    generator (it takes no generator argument), so this is how a passed numpy
    generator decides it without disturbing anyone else's torch randomness.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield
