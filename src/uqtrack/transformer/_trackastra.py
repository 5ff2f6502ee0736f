"""The parts of trackastra this package uses, imported without side effects.

Importing ``trackastra.model`` runs ``logging.basicConfig(level=INFO)`` (in its
``model_api``), which would make every INFO message of the whole program appear on
stderr; the root logger is restored here. ``torchvision``, which trackastra
requires, is never imported: next to the CPU build of torch its compiled operators
do not load (``operator torchvision::nms does not exist``).
"""

from __future__ import annotations

import logging


def _quiet_import():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from trackastra.data.wrfeat import WRFeatures
        from trackastra.model import TrackingTransformer
        from trackastra.model.model_parts import RelativePositionalAttention
        from trackastra.model.pretrained import _MODELS, download_pretrained
        from trackastra.utils import normalize
    finally:
        for h in root.handlers[:]:
            if h not in handlers:
                root.removeHandler(h)
        root.setLevel(level)
    return (WRFeatures, TrackingTransformer, RelativePositionalAttention, _MODELS,
            download_pretrained, normalize)


(
    WRFeatures,
    TrackingTransformer,
    RelativePositionalAttention,
    PRETRAINED_URLS,
    download_pretrained,
    normalize_image,
) = _quiet_import()

__all__ = [
    "PRETRAINED_URLS",
    "RelativePositionalAttention",
    "TrackingTransformer",
    "WRFeatures",
    "download_pretrained",
    "normalize_image",
]
