"""Checking the workflow config and reading what it means.

:func:`check` turns schema violations into one line naming the config file and the
key; the other functions answer the questions the rules ask (which sequences,
which steps, which frames belong to calibration or evaluation).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from uqtrack.errors import InputError
from uqtrack.lineage import frame_pairs

ROLES = ("calibration", "evaluation")


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    """One short sentence for the most specific schema error."""
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        hint = f"; known keys: {', '.join(known)}" if known else ""
        return f"unknown key {', '.join(map(repr, extra))}{hint}"
    if error.validator in ("oneOf", "anyOf") and isinstance(error.instance, dict):
        if "calibration" in error.instance:
            return "give either simulate, or path and/or download"
    if error.validator == "propertyNames":
        return f"bad name {error.instance!r}: use letters, digits and _ . + -"
    return error.message


def check(config: dict[str, Any], schema_path: str | Path, source: str = "config") -> None:
    """Validate ``config`` against the JSON schema and the file system.

    Raises
    ------
    InputError
        ``"<source>: <key>: <fault>"`` for the first fault found: an unknown key,
        a wrong type, a missing dataset folder, a split naming an unknown sequence,
        a reversed frame range or one too short for a step, and, for data already
        on disk at ``path``, a frame range beyond its sequence or without a frame
        pair at some step (see :func:`check_frames`).
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        # best_match prefers the shallowest error; the deepest one names the key
        while error.context:
            error = jsonschema.exceptions.best_match(error.context)
        raise InputError(source, f"{_key_path(error)}: {_describe(error)}")
    # the schema's defaults are filled in later (snakemake.utils.validate)
    with_defaults = {"steps": schema["properties"]["steps"]["default"], **config}
    for name, ds in config["datasets"].items():
        _check_ranges(ds, source, name, steps(with_defaults, name))
        _check_split(ds, f"{source}", f"datasets.{name}")
        if "path" in ds and not ("download" in ds and not Path(ds["path"]).exists()):
            root = Path(ds["path"])
            if not root.is_dir():
                raise InputError(
                    source,
                    f"datasets.{name}.path: folder not found: {root}"
                    " (point it at a local copy, or give a `download` URL)",
                )
            for seq in sequences(ds):
                tra = root / f"{seq}_GT" / "TRA"
                if not tra.is_dir():
                    raise InputError(source, f"datasets.{name}: folder not found: {tra}")
            check_data(with_defaults, name, root, source)


def check_data(config: dict[str, Any], name: str, root: str | Path, source: str = "config") -> None:
    """Check a dataset's frame ranges against the sequences found under ``root``.

    Sequences without a ``<seq>_GT/TRA`` folder there are skipped (not made yet).

    Raises
    ------
    InputError
        See :func:`check_frames`; a TRA folder without mask files.
    """
    from uqtrack.ctc import find_frames  # reads no image, lists file names

    ds = config["datasets"][name]
    for seq in sequences(ds):
        tra = Path(root) / f"{seq}_GT" / "TRA"
        if tra.is_dir():
            check_frames(ds, name, seq, find_frames(tra), steps(config, name), source)


def _part_key(name: str, role: str, index: int, part: dict[str, Any]) -> str:
    ranged = part["first"] is not None
    return f"datasets.{name}.{role}.{index}" + (".frames" if ranged else "")


def _check_ranges(dataset: dict[str, Any], source: str, name: str, step_list: list[int]) -> None:
    """Frame ranges that cannot hold a frame pair whatever the data."""
    for role in ROLES:
        for i, part in enumerate(parts(dataset, role)):
            first, last = part["first"], part["last"]
            if first is None:
                continue
            key = _part_key(name, role, i, part)
            if first > last:
                raise InputError(
                    source, f"{key}: [{first}, {last}] is reversed (give [first, last], first <= last)"
                )
            too_long = [s for s in step_list if last - first < s]
            if too_long:
                raise InputError(
                    source,
                    f"{key}: [{first}, {last}] holds no frame pair at step {too_long[0]} "
                    f"(a pair needs frames t and t + {too_long[0]} inside the range); "
                    f"widen the range or give datasets.{name}.steps",
                )


def check_frames(
    dataset: dict[str, Any],
    name: str,
    seq: str,
    frames: Iterable[int],
    step_list: Iterable[int],
    source: str = "config",
) -> None:
    """Check the dataset's parts on sequence ``seq`` against its frame numbers.

    A frame range must lie within the sequence, and every part (range or whole
    sequence) must hold at least one frame pair at every step of the dataset, as
    :func:`uqtrack.lineage.frame_pairs` and :func:`uqtrack.splits.select` form them:
    a part without one would leave nothing to calibrate or evaluate.

    Parameters
    ----------
    dataset, name
        The dataset's config and its name (for the key in the message).
    seq
        The sequence whose frames are given.
    frames
        Its frame numbers (mask files).
    step_list
        The dataset's steps.
    source
        What the message names first (the config file).

    Raises
    ------
    InputError
        ``"<source>: datasets.<name>.<role>.<i>[.frames]: <fault>"``.
    """
    present = sorted({int(t) for t in frames})
    if not present:
        return
    lo, hi = present[0], present[-1]
    for role in ROLES:
        for i, part in enumerate(parts(dataset, role)):
            if part["seq"] != seq:
                continue
            key = _part_key(name, role, i, part)
            first, last = part["first"], part["last"]
            if first is not None and (first < lo or last > hi):
                raise InputError(
                    source,
                    f"{key}: [{first}, {last}] reaches beyond sequence {seq!r}, which has frames {lo}-{hi}",
                )
            what = f"[{first}, {last}] of sequence {seq!r}" if first is not None else f"sequence {seq!r}"
            for step in step_list:
                pairs = [
                    (t, t2)
                    for t, t2 in frame_pairs(present, int(step))
                    if (first is None or t >= first) and (last is None or t2 <= last)
                ]
                if not pairs:
                    raise InputError(
                        source,
                        f"{key}: {what} holds no frame pair at step {step} (frames {lo}-{hi} are kept "
                        f"every {step} from frame {lo}); give datasets.{name}.steps without {step}"
                        + (" or widen the range" if first is not None else ""),
                    )


def local_path(dataset: dict[str, Any]) -> str | None:
    """The dataset's local folder if it exists, else None (simulated or to download)."""
    path = dataset.get("path")
    if path is not None and ("download" not in dataset or Path(path).is_dir()):
        return path
    return None


def _check_split(dataset: dict[str, Any], source: str, key: str) -> None:
    """Calibration and evaluation must not share frame pairs."""
    for cal in parts(dataset, "calibration"):
        for ev in parts(dataset, "evaluation"):
            if cal["seq"] != ev["seq"]:
                continue
            lo = max(cal["first"] or 0, ev["first"] or 0)
            hi = min(_inf(cal["last"]), _inf(ev["last"]))
            if hi > lo:  # a shared frame pair needs two shared frames
                raise InputError(
                    source,
                    f"{key}: calibration and evaluation overlap in sequence {cal['seq']!r}"
                    " (give disjoint frame ranges)",
                )


def _inf(value: int | None) -> float:
    return float("inf") if value is None else value


def parts(dataset: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """The calibration or evaluation parts: ``{"seq", "first", "last"}`` each.

    A part is a whole sequence (``first``/``last`` None) or a frame range of one,
    for datasets with a single sequence.
    """
    out = []
    for part in dataset[role]:
        if isinstance(part, str):
            out.append({"seq": part, "first": None, "last": None})
        else:
            first, last = part["frames"]
            out.append({"seq": part["seq"], "first": first, "last": last})
    return out


def sequences(dataset: dict[str, Any]) -> list[str]:
    """Every sequence named by the dataset's splits, in first-mention order."""
    seen: dict[str, None] = {}
    for role in ROLES:
        for part in parts(dataset, role):
            seen.setdefault(part["seq"], None)
    return list(seen)


def part_sequences(dataset: dict[str, Any], role: str) -> list[str]:
    """The distinct sequences of the calibration or evaluation parts, in order."""
    return list(dict.fromkeys(p["seq"] for p in parts(dataset, role)))


def steps(config: dict[str, Any], dataset: str) -> list[int]:
    """The dataset's own steps, or the global ones."""
    return list(config["datasets"][dataset].get("steps", config["steps"]))
