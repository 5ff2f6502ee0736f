"""The workflow config, read once.

:func:`load` checks a config against the JSON schema, fills in the schema's defaults
and runs the checks a schema cannot express (names that must refer to each other,
folders and frame ranges on disk, simulation parameters), all in one pass, and
returns a :class:`RunConfig`: frozen dataclasses from which the workflow derives its
datasets, steps, parts and sequences. A fault stops the load with one line naming the
config file and the key (:class:`~uqtrack.errors.InputError`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema import validators

from uqtrack import ctc, trackers
from uqtrack.errors import InputError
from uqtrack.lineage import frame_pairs
from uqtrack.simulate import SimParams, resolve_params
from uqtrack.splits import Part

ROLES = ("calibration", "evaluation")

#: Keys only a masks-only dataset (``annotated: false``) may have, and only an annotated one.
MASKS_ONLY_KEYS = ("masks", "track", "calibration_from")
ANNOTATED_KEYS = ("calibration", "evaluation", "steps")

#: Where a masks-only sequence's label images are by default (the CTC layout).
DEFAULT_MASKS = "{seq}_GT/TRA"


@dataclass(frozen=True)
class PreviousRun:
    """``calibration_from: {run, dataset}``: an annotated dataset of a previous run."""

    run: str  # that run's working directory (the folder holding its results/)
    dataset: str


@dataclass(frozen=True)
class Dataset:
    """One entry of ``datasets:``, with the schema's defaults and the global steps filled in."""

    name: str
    steps: tuple[int, ...]
    calibration: tuple[Part, ...] = ()
    evaluation: tuple[Part, ...] = ()
    annotated: bool = True
    #: masks only: the sequences to track, and what calibrates them
    track: tuple[str, ...] = ()
    calibration_from: str | PreviousRun | None = None
    masks: str = DEFAULT_MASKS
    #: the data's source: simulated, or a local folder (downloaded if missing)
    simulate: SimParams | None = None
    path: str | None = None
    download: str | None = None
    sha256: str | None = None
    allow_mixed_frame_sizes: bool = False

    @classmethod
    def from_config(
        cls, name: str, entry: Mapping[str, Any], steps: Iterable[int], source: str = "config"
    ) -> Dataset:
        """From the dataset's config entry; ``steps`` are the global ones (its own win).

        Raises
        ------
        InputError
            ``"<source>: datasets.<name>.simulate...: <fault>"`` for a bad preset or
            simulation parameter.
        """
        simulate = entry.get("simulate")
        ref = entry.get("calibration_from")
        return cls(
            name=name,
            steps=tuple(entry.get("steps", steps)),
            calibration=tuple(Part.from_config(p) for p in entry.get("calibration", [])),
            evaluation=tuple(Part.from_config(p) for p in entry.get("evaluation", [])),
            annotated=bool(entry.get("annotated", True)),
            track=tuple(entry.get("track", [])),
            calibration_from=PreviousRun(ref["run"], ref["dataset"]) if isinstance(ref, Mapping) else ref,
            masks=entry.get("masks", DEFAULT_MASKS),
            simulate=None if simulate is None else resolve_params(
                simulate["preset"], simulate.get("params"), f"{source}: datasets.{name}.simulate.params"
            ),
            path=entry.get("path"),
            download=entry.get("download"),
            sha256=entry.get("sha256"),
            allow_mixed_frame_sizes=bool(entry.get("allow_mixed_frame_sizes", False)),
        )

    def parts(self, role: str) -> tuple[Part, ...]:
        """The calibration or evaluation parts (none for a masks-only dataset)."""
        assert role in ROLES, role
        return self.calibration if role == "calibration" else self.evaluation

    @property
    def sequences(self) -> list[str]:
        """Every sequence the dataset tracks: its splits' (or ``track``), in first-mention order."""
        seen = dict.fromkeys(self.track)
        for part in self.calibration + self.evaluation:
            seen.setdefault(part.seq, None)
        return list(seen)

    def part_sequences(self, role: str) -> list[str]:
        """The distinct sequences of the calibration or evaluation parts, in order."""
        return list(dict.fromkeys(p.seq for p in self.parts(role)))

    @property
    def local_path(self) -> str | None:
        """The dataset's local folder if it exists, else None (simulated or to download)."""
        if self.path is not None and (self.download is None or Path(self.path).is_dir()):
            return self.path
        return None

    def masks_location(self, root: str, seq: str) -> str:
        """A sequence's label images: a folder or a glob (see :func:`uqtrack.ctc.find_label_images`).

        An annotated sequence's are its CTC tracking masks ``<seq>_GT/TRA/man_track*.tif``;
        a masks-only one's are where ``masks`` says, relative to ``root``.
        """
        if self.annotated:
            return str(Path(root) / f"{seq}_GT" / "TRA" / "man_track*.tif*")
        return str(Path(root) / self.masks.format(seq=seq))

    @property
    def calibration_origin(self) -> tuple[str | None, str]:
        """Where the fitted tracker and temperature that apply to this dataset come from.

        Returns
        -------
        run : str or None
            None for this run; for ``calibration_from: {run, dataset}``, that previous
            run's working directory.
        dataset : str
            The dataset itself, its ``calibration_from``, or the previous run's dataset.
        """
        ref = self.calibration_from
        if isinstance(ref, PreviousRun):
            return ref.run, ref.dataset
        return None, self.name if ref is None else ref

    @property
    def calibration_source(self) -> str:
        """:attr:`calibration_origin` as a label for users."""
        run, dataset = self.calibration_origin
        return dataset if run is None else f"{dataset} (run {Path(run)})"

    def calibrated_on(self, seq: str) -> str:
        """Whether, and on which frames, the temperature was fitted on sequence ``seq``."""
        mine = [p for p in self.calibration if p.seq == seq]
        if not mine:
            return "no"
        if all(p.first is None and p.last is None for p in mine):
            return "yes (in-sample: expect a closer match than on new data)"
        ranges = ", ".join(f"{p.first}-{p.last}" for p in mine)
        return f"on frames {ranges} of it (in-sample there)"


@dataclass(frozen=True)
class TrackerEntry:
    """One entry of ``trackers:``: its name, its type (spelled out where the name gave
    it) and every other key (prices, ``step_scaling``, the type's own), in config
    order, with the schema's defaults for its type filled in."""

    name: str
    type: str
    params: Mapping[str, Any]

    @property
    def model(self) -> str | None:
        """The ``models:`` name a transformer tracker uses, else None."""
        return self.params.get("model")

    def as_config(self, **replace: Any) -> dict[str, Any]:
        """The entry as :func:`uqtrack.trackers.make_tracker` and a rule's params take it."""
        return {"type": self.type, **self.params, **replace}


@dataclass(frozen=True)
class Export:
    """``export:``: how every tracked sequence is exported."""

    tracker: str
    method: str
    step: int


@dataclass(frozen=True)
class Overview:
    """One frame pair drawn with its links coloured by confidence (``overview:``)."""

    dataset: str
    step: int
    tracker: str
    method: str


#: RunConfig fields that are the config's values as they are
_AS_GIVEN = ("seed", "max_daughters", "samples", "topk", "map_solver", "time_limit", "asf_slack",
             "ts_fit", "ts_model", "ts_prior_sd", "bootstrap", "models")


@dataclass(frozen=True)
class RunConfig:
    """A checked config with the schema's defaults filled in (see ``config/README.md``)."""

    datasets: Mapping[str, Dataset]
    trackers: Mapping[str, TrackerEntry]
    methods: tuple[str, ...]
    steps: tuple[int, ...]
    seed: int
    max_daughters: int
    samples: int
    topk: str
    map_solver: str
    time_limit: float | None
    asf_slack: float | None
    ts_fit: str
    ts_model: str
    ts_prior_sd: float | str
    bootstrap: int
    #: association models by name: ``{train: {...}}``, ``{pretrained: name}`` or ``{folder: path}``
    models: Mapping[str, Mapping[str, Any]]
    overview: tuple[Overview, ...]
    export: Export | None
    #: the config as given, defaults filled in: what Snakemake's ``config`` holds
    config: Mapping[str, Any]

    @classmethod
    def from_config(cls, config: Mapping[str, Any], source: str = "config") -> RunConfig:
        """From a config the schema passed, with its defaults and tracker types filled in."""
        export = config.get("export")
        return cls(
            datasets={
                name: Dataset.from_config(name, entry, config["steps"], source)
                for name, entry in config["datasets"].items()
            },
            trackers={
                name: TrackerEntry(name, entry["type"], {k: v for k, v in entry.items() if k != "type"})
                for name, entry in config["trackers"].items()
            },
            methods=tuple(config["methods"]),
            steps=tuple(config["steps"]),
            **{key: config[key] for key in _AS_GIVEN},
            overview=tuple(Overview(**o) for o in config["overview"]),
            export=None if export is None else Export(**export),
            config=config,
        )

    @property
    def annotated(self) -> list[str]:
        """The datasets with tracking truth: the study's (masks-only ones are only exported)."""
        return [name for name, ds in self.datasets.items() if ds.annotated]

    @property
    def exported(self) -> list[tuple[str, str]]:
        """Every ``(dataset, seq)`` the export covers: all tracked sequences, if ``export`` is set."""
        if self.export is None:
            return []
        return [(name, seq) for name, ds in self.datasets.items() for seq in ds.sequences]


#: ``lent_files(run, dataset, export, model) -> (results folder, paths)``: where a
#: previous run's results are and which of its files an export needs (``model``: the
#: exported tracker's, or None; the workflow's ``paths.smk`` knows the layout; this
#: library builds no results path).
LentFiles = Callable[[str, str, Export, "str | None"], tuple[str, list[str]]]


def load(
    config: Mapping[str, Any], schema_path: str | Path, source: str = "config", lent_files: LentFiles | None = None
) -> RunConfig:
    """Check ``config`` against the JSON schema and the file system; fill in its defaults.

    ``config`` itself is left as given. ``lent_files`` locates what
    ``calibration_from: {run, dataset}`` borrows from a previous run; without it those
    files are not looked for.

    Raises
    ------
    InputError
        ``"<source>: <key>: <fault>"`` for the first fault found: an unknown key,
        a wrong type, a tracker entry without ``type`` whose name is not a built-in type
        (:func:`fill_tracker_types`), a bad simulation parameter, a missing dataset
        folder, a split naming an unknown sequence, a reversed frame range or one too
        short for a step, and, for data already on disk at ``path``, a frame range
        beyond its sequence or without a frame pair at some step (see :func:`check_frames`).
    """
    filled = copy.deepcopy(dict(config))
    fill_tracker_types(filled, source)
    schema = yaml.safe_load(Path(schema_path).read_text())
    error = jsonschema.exceptions.best_match(_FillingValidator(schema).iter_errors(filled))
    if error is not None:
        # best_match prefers the shallowest error; the deepest one names the key
        while error.context:
            error = jsonschema.exceptions.best_match(error.context)
        raise InputError(source, f"{_key_path(error)}: {_describe(error)}")
    run = RunConfig.from_config(filled, source)
    _check(run, source, lent_files)
    return run


def _fill_defaults(validator: Any, properties: Mapping[str, Any], instance: Any, schema: Any) -> Any:
    """The ``properties`` keyword, filling in each property's ``default`` where it is
    absent (as ``snakemake.utils.validate`` does, after jsonschema's FAQ)."""
    if isinstance(instance, dict):
        for name, spec in properties.items():
            if "default" in spec:
                instance.setdefault(name, copy.deepcopy(spec["default"]))
    yield from validators.Draft202012Validator.VALIDATORS["properties"](validator, properties, instance, schema)


_FillingValidator = validators.extend(validators.Draft202012Validator, {"properties": _fill_defaults})


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


def fill_tracker_types(config: dict[str, Any], source: str = "config") -> None:
    """Spell out, in place, the ``type`` of each tracker entry that leaves it out.

    An entry named after a built-in type (``trackers: {overlap: {}}``) is of that type;
    any other entry must say its type, so that a typo'd name never runs, silently, a
    tracker of some default type. Done before the schema check: the schema's defaults
    and keys depend on the type.

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


def _check(run: RunConfig, source: str, lent_files: LentFiles | None) -> None:
    """What the schema cannot say: names that refer to each other, and the data on disk."""
    for name, entry in run.trackers.items():
        try:
            trackers.check_entry(entry.as_config())
        except ValueError as err:
            raise InputError(source, f"trackers.{name}: {err}") from None
        if entry.model is not None and entry.model not in run.models:
            raise InputError(source, f"trackers.{name}.model: {entry.model!r} is not a name in models:")
    for name, ds in run.datasets.items():
        _check_ranges(ds, source)
        _check_split(ds, source)
        _check_kind(run, name, source, lent_files)
        if ds.path is not None and not (ds.download is not None and not Path(ds.path).exists()):
            root = Path(ds.path)
            if not root.is_dir():
                raise InputError(
                    source,
                    f"datasets.{name}.path: folder not found: {root}"
                    " (point it at a local copy, or give a `download` URL)",
                )
            for seq in ds.sequences if ds.annotated else []:
                tra = root / f"{seq}_GT" / "TRA"
                if not tra.is_dir():
                    raise InputError(source, f"datasets.{name}: folder not found: {tra}")
            for seq in ds.sequences:
                try:  # the label images are listed when the workflow is built
                    ctc.find_label_images(ds.masks_location(str(root), seq))
                except InputError as err:
                    where = "masks" if not ds.annotated else "path"
                    raise InputError(source, f"datasets.{name}.{where}: {err}") from None
            if ds.annotated:
                check_data(ds, root, source)
    _check_export(run, source)
    for i, view in enumerate(run.overview):
        for key, known in (("dataset", run.datasets), ("tracker", run.trackers), ("method", run.methods)):
            if getattr(view, key) not in known:
                raise InputError(source, f"overview.{i}.{key}: {getattr(view, key)!r} is not in {key}s of this config")
        if view.step not in run.datasets[view.dataset].steps:
            raise InputError(source, f"overview.{i}.step: {view.dataset} has no step {view.step}")


def _check_kind(run: RunConfig, name: str, source: str, lent_files: LentFiles | None) -> None:
    """An annotated dataset has a split; a masks-only one names what calibrates it."""
    ds, given = run.datasets[name], run.config["datasets"][name]
    key = f"datasets.{name}"
    if ds.annotated:
        for k in MASKS_ONLY_KEYS:
            if k in given:
                raise InputError(source, f"{key}.{k}: only for a masks-only dataset (annotated: false)")
        return
    for k in ANNOTATED_KEYS:
        if k in given:
            raise InputError(
                source,
                f"{key}.{k}: a masks-only dataset (annotated: false) has no truth to split or"
                " evaluate; it is tracked at export.step",
            )
    if run.export is None:
        raise InputError(source, f"{key} is masks-only: add export: {{tracker, method}} to say how to track it")
    ref = ds.calibration_from
    if isinstance(ref, PreviousRun):
        if lent_files is not None:
            _check_previous_run(run, ds, source, lent_files)
        return
    if ref is None or ref not in run.datasets:  # None: the schema requires it
        raise InputError(source, f"{key}.calibration_from: no dataset {ref!r} in this config")
    if not run.datasets[ref].annotated:
        raise InputError(source, f"{key}.calibration_from: {ref!r} is masks-only; name an annotated dataset")


def _check_previous_run(run: RunConfig, ds: Dataset, source: str, lent_files: LentFiles) -> None:
    """A previous run lends what the export needs: its fitted tracker, its temperature
    (same tracker, method and step) and, for a transformer, its model."""
    key = f"datasets.{ds.name}.calibration_from"
    previous, dataset = ds.calibration_origin
    export = run.export
    assert previous is not None and export is not None
    entry = run.trackers.get(export.tracker)  # an unknown one is _check_export's to name
    root, needed = lent_files(previous, dataset, export, entry.model if entry else None)
    if not Path(root).is_dir():
        raise InputError(source, f"{key}.run: no {Path(root).name}/ folder in {Path(root).parent}")
    for path in needed:
        if not Path(path).exists():
            raise InputError(
                source,
                f"{key}: {path} not found: that run did not fit tracker {export.tracker!r} with method "
                f"{export.method!r} at step {export.step} on dataset {dataset!r}",
            )


def _check_export(run: RunConfig, source: str) -> None:
    export = run.export
    if export is None:
        return
    if export.tracker not in run.trackers:
        raise InputError(
            source, f"export.tracker: {export.tracker!r} is not in trackers ({', '.join(run.trackers)})"
        )
    if export.method not in run.methods:
        raise InputError(
            source, f"export.method: {export.method!r} is not in methods ({', '.join(run.methods)})"
        )


def check_data(dataset: Dataset, root: str | Path, source: str = "config") -> None:
    """Check a dataset's frame ranges against the sequences found under ``root``.

    Sequences without a ``<seq>_GT/TRA`` folder there are skipped (not made yet).

    Raises
    ------
    InputError
        See :func:`check_frames`; a TRA folder without mask files.
    """
    for seq in dataset.sequences:
        tra = Path(root) / f"{seq}_GT" / "TRA"
        if tra.is_dir():
            # lists file names, reads no image
            check_frames(dataset, seq, ctc.find_frames(tra), source)


def _part_key(name: str, role: str, index: int, part: Part) -> str:
    return f"datasets.{name}.{role}.{index}" + (".frames" if part.first is not None else "")


def _check_ranges(dataset: Dataset, source: str) -> None:
    """Frame ranges that cannot hold a frame pair whatever the data."""
    for role in ROLES:
        for i, part in enumerate(dataset.parts(role)):
            first, last = part.first, part.last
            if first is None or last is None:
                continue
            key = _part_key(dataset.name, role, i, part)
            if first > last:
                raise InputError(
                    source, f"{key}: [{first}, {last}] is reversed (give [first, last], first <= last)"
                )
            too_long = [s for s in dataset.steps if last - first < s]
            if too_long:
                raise InputError(
                    source,
                    f"{key}: [{first}, {last}] holds no frame pair at step {too_long[0]} "
                    f"(a pair needs frames t and t + {too_long[0]} inside the range); "
                    f"widen the range or give datasets.{dataset.name}.steps",
                )


def check_frames(dataset: Dataset, seq: str, frames: Iterable[int], source: str = "config") -> None:
    """Check the dataset's parts on sequence ``seq`` against its frame numbers.

    A frame range must lie within the sequence, and every part (range or whole
    sequence) must hold at least one frame pair at every step of the dataset, as
    :func:`uqtrack.lineage.frame_pairs` and :func:`uqtrack.splits.select` form them:
    a part without one would leave nothing to calibrate or evaluate.

    Parameters
    ----------
    dataset
        The dataset (its name goes into the message).
    seq
        The sequence whose frames are given.
    frames
        Its frame numbers (mask files).
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
    name = dataset.name
    for role in ROLES:
        for i, part in enumerate(dataset.parts(role)):
            if part.seq != seq:
                continue
            key = _part_key(name, role, i, part)
            first, last = part.first, part.last
            if first is not None and last is not None and (first < lo or last > hi):
                raise InputError(
                    source,
                    f"{key}: [{first}, {last}] reaches beyond sequence {seq!r}, which has frames {lo}-{hi}",
                )
            what = f"[{first}, {last}] of sequence {seq!r}" if first is not None else f"sequence {seq!r}"
            for step in dataset.steps:
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


def _check_split(dataset: Dataset, source: str) -> None:
    """Calibration and evaluation must not share frame pairs."""
    for cal in dataset.calibration:
        for ev in dataset.evaluation:
            if cal.seq != ev.seq:
                continue
            lo = max(cal.first or 0, ev.first or 0)
            hi = min(_inf(cal.last), _inf(ev.last))
            if hi > lo:  # a shared frame pair needs two shared frames
                raise InputError(
                    source,
                    f"datasets.{dataset.name}: calibration and evaluation overlap in sequence {cal.seq!r}"
                    " (give disjoint frame ranges)",
                )


def _inf(value: int | None) -> float:
    return float("inf") if value is None else value
