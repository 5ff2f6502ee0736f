"""Checking the workflow config and reading what it means.

:func:`check` turns schema violations into one line naming the config file and the
key; the other functions answer the questions the rules ask (which sequences,
which steps, which frames belong to calibration or evaluation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from uqtrack import trackers
from uqtrack.errors import InputError

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
        a wrong type, a missing dataset folder, a split naming an unknown sequence.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        # best_match prefers the shallowest error; the deepest one names the key
        while error.context:
            error = jsonschema.exceptions.best_match(error.context)
        raise InputError(source, f"{_key_path(error)}: {_describe(error)}")
    for name, entry in config["trackers"].items():
        try:
            trackers.check_entry(entry)
        except ValueError as err:
            raise InputError(source, f"trackers.{name}: {err}") from None
        if "model" in entry and entry["model"] not in config.get("models", {}):
            raise InputError(source, f"trackers.{name}.model: {entry['model']!r} is not a name in models:")
    for i, entry in enumerate(config.get("overview", [])):
        for key, known in (("dataset", config["datasets"]), ("tracker", config["trackers"]),
                           ("method", config["methods"])):
            if entry[key] not in known:
                raise InputError(source, f"overview.{i}.{key}: {entry[key]!r} is not in {key}s of this config")
        if entry["step"] not in steps(config, entry["dataset"]):
            raise InputError(source, f"overview.{i}.step: {entry['dataset']} has no step {entry['step']}")
    for name, ds in config["datasets"].items():
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
