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

from uqtrack import ctc, trackers
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
        if "calibration" in error.instance or "track" in error.instance:
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
    for name, ds in config["datasets"].items():
        _check_split(ds, f"{source}", f"datasets.{name}")
        _check_kind(config, name, source)
        if "path" in ds and not ("download" in ds and not Path(ds["path"]).exists()):
            root = Path(ds["path"])
            if not root.is_dir():
                raise InputError(
                    source,
                    f"datasets.{name}.path: folder not found: {root}"
                    " (point it at a local copy, or give a `download` URL)",
                )
            for seq in sequences(ds) if annotated(ds) else []:
                tra = root / f"{seq}_GT" / "TRA"
                if not tra.is_dir():
                    raise InputError(source, f"datasets.{name}: folder not found: {tra}")
            for seq in sequences(ds):
                try:  # the label images are listed when the workflow is built
                    ctc.find_label_images(masks_location(ds, str(root), seq))
                except InputError as err:
                    where = "masks" if not annotated(ds) else "path"
                    raise InputError(source, f"datasets.{name}.{where}: {err}") from None
    _check_export(config, source)
    for i, entry in enumerate(config.get("overview", [])):
        for key, known in (("dataset", config["datasets"]), ("tracker", config["trackers"]),
                           ("method", config["methods"])):
            if entry[key] not in known:
                raise InputError(source, f"overview.{i}.{key}: {entry[key]!r} is not in {key}s of this config")
        if entry["step"] not in steps(config, entry["dataset"]):
            raise InputError(source, f"overview.{i}.step: {entry['dataset']} has no step {entry['step']}")


#: Keys only a masks-only dataset (``annotated: false``) may have, and only an annotated one.
MASKS_ONLY_KEYS = ("masks", "track", "calibration_from")
ANNOTATED_KEYS = ("calibration", "evaluation", "steps")


def _check_kind(config: dict[str, Any], name: str, source: str) -> None:
    """An annotated dataset has a split; a masks-only one names what calibrates it."""
    ds = config["datasets"][name]
    key = f"datasets.{name}"
    if annotated(ds):
        for k in MASKS_ONLY_KEYS:
            if k in ds:
                raise InputError(source, f"{key}.{k}: only for a masks-only dataset (annotated: false)")
        return
    for k in ANNOTATED_KEYS:
        if k in ds:
            raise InputError(
                source,
                f"{key}.{k}: a masks-only dataset (annotated: false) has no truth to split or"
                " evaluate; it is tracked at export.step",
            )
    ref = ds["calibration_from"]
    if ref not in config["datasets"]:
        raise InputError(source, f"{key}.calibration_from: no dataset {ref!r} in this config")
    if not annotated(config["datasets"][ref]):
        raise InputError(source, f"{key}.calibration_from: {ref!r} is masks-only; name an annotated dataset")
    if "export" not in config:
        raise InputError(source, f"{key} is masks-only: add export: {{tracker, method}} to say how to track it")


def _check_export(config: dict[str, Any], source: str) -> None:
    export = config.get("export")
    if export is None:
        return
    if export["tracker"] not in config["trackers"]:
        raise InputError(
            source, f"export.tracker: {export['tracker']!r} is not in trackers ({', '.join(config['trackers'])})"
        )
    if export["method"] not in config["methods"]:
        raise InputError(
            source, f"export.method: {export['method']!r} is not in methods ({', '.join(config['methods'])})"
        )


def annotated(dataset: dict[str, Any]) -> bool:
    """Does the dataset come with tracking truth (``man_track.txt``)?"""
    return bool(dataset.get("annotated", True))


#: Where a masks-only sequence's label images are by default (the CTC layout).
DEFAULT_MASKS = "{seq}_GT/TRA"


def masks_location(dataset: dict[str, Any], root: str, seq: str) -> str:
    """A sequence's label images: a folder or a glob (see :func:`uqtrack.ctc.find_label_images`).

    An annotated sequence's are its CTC tracking masks ``<seq>_GT/TRA/man_track*.tif``;
    a masks-only one's are where ``masks`` says, relative to ``root``.
    """
    if annotated(dataset):
        return str(Path(root) / f"{seq}_GT" / "TRA" / "man_track*.tif*")
    return str(Path(root) / dataset.get("masks", DEFAULT_MASKS).format(seq=seq))


def calibration_source(config: dict[str, Any], name: str) -> str:
    """The dataset whose fitted tracker and temperature apply to dataset ``name``."""
    return config["datasets"][name].get("calibration_from", name)


#: What the export writes per sequence; annotated sequences also get :data:`EXPORT_CHECK`.
EXPORT_FILES = ("{seq}_RES", "tracks.geff", "links.tsv", "proofread.md", "proofread.tsv")
EXPORT_CHECK = ("check.md", "check.tsv")


def export_targets(config: dict[str, Any]) -> list[str]:
    """Every file and folder of ``results/export`` the config asks for."""
    return [
        f"results/export/{name}/{seq}/{f.format(seq=seq)}"
        for name, seq in exported(config)
        for f in EXPORT_FILES + (EXPORT_CHECK if annotated(config["datasets"][name]) else ())
    ]


def export_inputs(config: dict[str, Any], dataset: str, seq: str) -> dict[str, str]:
    """The exported edge table, the temperature that calibrates it (the dataset's own,
    or its ``calibration_from``'s: same tracker, method and step) and the detections."""
    e = config["export"]
    cell = f"step{e['step']}/{e['tracker']}/{e['method']}"
    return {
        "edges": f"results/edges/{dataset}/{seq}/{cell}/edges.parquet",
        "temperature": f"results/temperature/{calibration_source(config, dataset)}/{cell}.json",
        "detections": f"results/prepared/{dataset}/{seq}/detections.parquet",
        "stats": f"results/prepared/{dataset}/{seq}/stats.json",
    }


def calibrated_on(dataset: dict[str, Any], seq: str) -> str:
    """Whether, and on which frames, the temperature was fitted on this sequence."""
    mine = [p for p in parts(dataset, "calibration") if p["seq"] == seq]
    if not mine:
        return "no"
    if all(p["first"] is None and p["last"] is None for p in mine):
        return "yes (in-sample: expect a closer match than on new data)"
    ranges = ", ".join(f"{p['first']}-{p['last']}" for p in mine)
    return f"on frames {ranges} of it (in-sample there)"


def exported(config: dict[str, Any]) -> list[tuple[str, str]]:
    """Every ``(dataset, seq)`` the export covers: all tracked sequences, if ``export`` is set."""
    if "export" not in config:
        return []
    return [(name, seq) for name, ds in config["datasets"].items() for seq in sequences(ds)]


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
    for part in dataset.get(role, []):  # a masks-only dataset has neither role
        if isinstance(part, str):
            out.append({"seq": part, "first": None, "last": None})
        else:
            first, last = part["frames"]
            out.append({"seq": part["seq"], "first": first, "last": last})
    return out


def sequences(dataset: dict[str, Any]) -> list[str]:
    """Every sequence the dataset tracks: its splits' (or ``track``), in first-mention order."""
    seen: dict[str, None] = dict.fromkeys(dataset.get("track", []))
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
