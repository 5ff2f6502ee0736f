"""Checking the workflow config and reading what it means.

:func:`check` turns schema violations into one line naming the config file and the
key; the other functions answer the questions the rules ask (which sequences,
which steps, which frames belong to calibration or evaluation).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from uqtrack import ctc, trackers
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
        if "calibration" in error.instance or "track" in error.instance:
            return "give either simulate, or path and/or download"
    if error.validator == "propertyNames":
        return f"bad name {error.instance!r}: use letters, digits and _ . + -"
    return error.message


#: ``lent_files(run, dataset, export, tracker_entry) -> (results folder, paths)``: where a
#: previous run's results are and which of its files an export needs (the workflow's
#: ``paths.smk`` knows the layout; this library builds no results path).
LentFiles = Callable[[str, str, dict[str, Any], dict[str, Any]], tuple[str, list[str]]]


def check(
    config: dict[str, Any], schema_path: str | Path, source: str = "config", lent_files: LentFiles | None = None
) -> None:
    """Validate ``config`` against the JSON schema and the file system.

    ``lent_files`` locates what ``calibration_from: {run, dataset}`` borrows from a
    previous run; without it those files are not looked for.

    Raises
    ------
    InputError
        ``"<source>: <key>: <fault>"`` for the first fault found: an unknown key,
        a wrong type, a missing dataset folder, a split naming an unknown sequence,
        a tracker entry without ``type`` whose name is not a built-in type
        (:func:`fill_tracker_types`), a reversed frame range or one too short for a step, and, for data already
        on disk at ``path``, a frame range beyond its sequence or without a frame
        pair at some step (see :func:`check_frames`).
    """
    config = copy.deepcopy(config)  # checked with its tracker types spelled out, left as given
    fill_tracker_types(config, source)
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
    # the schema's defaults are filled in later (snakemake.utils.validate); the checks
    # below read the few they need from the schema itself
    with_defaults = {"steps": schema["properties"]["steps"]["default"], **config}
    if "export" in config:
        for key, spec in schema["properties"]["export"]["properties"].items():
            if "default" in spec:
                config["export"].setdefault(key, spec["default"])
    for name, ds in config["datasets"].items():
        _check_ranges(ds, source, name, steps(with_defaults, name))
        _check_split(ds, f"{source}", f"datasets.{name}")
        _check_kind(config, name, source, lent_files)
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
            if annotated(ds):
                check_data(with_defaults, name, root, source)
    _check_export(config, source)
    for i, entry in enumerate(config.get("overview", [])):
        for key, known in (("dataset", config["datasets"]), ("tracker", config["trackers"]),
                           ("method", config["methods"])):
            if entry[key] not in known:
                raise InputError(source, f"overview.{i}.{key}: {entry[key]!r} is not in {key}s of this config")
        if entry["step"] not in steps(config, entry["dataset"]):
            raise InputError(source, f"overview.{i}.step: {entry['dataset']} has no step {entry['step']}")


def fill_tracker_types(config: dict[str, Any], source: str = "config") -> None:
    """Spell out, in place, the ``type`` of each tracker entry that leaves it out.

    An entry named after a built-in type (``trackers: {overlap: {}}``) is of that type;
    any other entry must say its type, so that a typo'd name never runs, silently, a
    tracker of some default type.

    Raises
    ------
    InputError
        ``"<source>: trackers.<name>: no type, ..."`` for an entry without ``type``
        whose name is not a built-in type.
    """
    entries = config.get("trackers")
    if not isinstance(entries, dict):
        return  # the schema names that fault
    for name, entry in entries.items():
        if not isinstance(entry, dict) or "type" in entry:
            continue
        if name not in trackers.TRACKER_TYPES:
            raise InputError(
                source,
                f"trackers.{name}: no type, and {name!r} is not a built-in type; give type: "
                f"{', '.join(trackers.TRACKER_TYPES)} or module:Class",
            )
        entry["type"] = name


#: Keys only a masks-only dataset (``annotated: false``) may have, and only an annotated one.
MASKS_ONLY_KEYS = ("masks", "track", "calibration_from")
ANNOTATED_KEYS = ("calibration", "evaluation", "steps")


def _check_kind(config: dict[str, Any], name: str, source: str, lent_files: LentFiles | None) -> None:
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
    if "export" not in config:
        raise InputError(source, f"{key} is masks-only: add export: {{tracker, method}} to say how to track it")
    ref = ds["calibration_from"]
    if isinstance(ref, dict):
        if lent_files is not None:
            _check_previous_run(config, name, source, lent_files)
        return
    if ref not in config["datasets"]:
        raise InputError(source, f"{key}.calibration_from: no dataset {ref!r} in this config")
    if not annotated(config["datasets"][ref]):
        raise InputError(source, f"{key}.calibration_from: {ref!r} is masks-only; name an annotated dataset")


def _check_previous_run(config: dict[str, Any], name: str, source: str, lent_files: LentFiles) -> None:
    """A previous run lends what the export needs: its fitted tracker, its temperature
    (same tracker, method and step) and, for a transformer, its model."""
    key = f"datasets.{name}.calibration_from"
    run, dataset = calibration_origin(config, name)
    assert run is not None
    export = config["export"]
    root, needed = lent_files(run, dataset, export, config["trackers"].get(export["tracker"], {}))
    if not Path(root).is_dir():
        raise InputError(source, f"{key}.run: no {Path(root).name}/ folder in {Path(root).parent}")
    for path in needed:
        if not Path(path).exists():
            raise InputError(
                source,
                f"{key}: {path} not found: that run did not fit tracker {export['tracker']!r} with method "
                f"{export['method']!r} at step {export.get('step', 1)} on dataset {dataset!r}",
            )


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


def calibration_origin(config: dict[str, Any], name: str) -> tuple[str | None, str]:
    """Where the fitted tracker and temperature that apply to dataset ``name`` come from.

    Returns
    -------
    run : str or None
        None for this run; for ``calibration_from: {run, dataset}``, that previous
        run's working directory.
    dataset : str
        The dataset itself, its ``calibration_from``, or the previous run's dataset.
    """
    ref = config["datasets"][name].get("calibration_from", name)
    if isinstance(ref, dict):
        return ref["run"], ref["dataset"]
    return None, ref


def calibration_source(config: dict[str, Any], name: str) -> str:
    """The dataset whose fitted tracker and temperature apply to dataset ``name``, and
    the previous run that made them, if it was not this one (a label for users)."""
    run, dataset = calibration_origin(config, name)
    return dataset if run is None else f"{dataset} (run {Path(run)})"


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


def check_data(config: dict[str, Any], name: str, root: str | Path, source: str = "config") -> None:
    """Check a dataset's frame ranges against the sequences found under ``root``.

    Sequences without a ``<seq>_GT/TRA`` folder there are skipped (not made yet).

    Raises
    ------
    InputError
        See :func:`check_frames`; a TRA folder without mask files.
    """
    ds = config["datasets"][name]
    for seq in sequences(ds):
        tra = Path(root) / f"{seq}_GT" / "TRA"
        if tra.is_dir():
            # lists file names, reads no image
            check_frames(ds, name, seq, ctc.find_frames(tra), steps(config, name), source)


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
