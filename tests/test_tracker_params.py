"""Each built-in tracker key is declared once, as a field of its class (:func:`param`);
the config schema's per-type ``$defs`` and config/README.md's tables must agree with it.

Agreement, per type and key: the same key set; the same default where the schema or
the README states one (``auto`` for a key declared ``auto=True``, none for a required
one, the README's ``—``); the same bounds, choices, JSON type and nullability in the
schema; a description in the class's numpy Parameters section (the key's meaning lives
there; the schema and README may word it for their readers).

Config-only keys, which no class field declares: ``type`` (picks the class) and
``step_scaling`` (its default is the class's ``default_step_scaling``, checked against
the text of the schema and the README). ``step_scale`` is a field but not a config key
(set by ``make_tracker``).
"""

import dataclasses
import inspect
import re

import pytest
import yaml

from uqtrack.trackers import COMMON_KEYS, TRACKER_TYPES, ActivityTracker, DistanceTracker, Tracker, TransformerTracker

from conftest import ROOT

SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
README = (ROOT / "config" / "README.md").read_text()
CONFIG_ONLY = ("type", "step_scaling")
REQUIRED = "—"  # the README's default of a key the config must give
JSON_TYPES = {"float": "number", "int": "integer", "str": "string"}


def declared(cls: type[Tracker]) -> dict[str, dataclasses.Field]:
    """The class's config keys: its fields declared with ``param``."""
    return {f.name: f for f in dataclasses.fields(cls) if f.metadata.get("param")}


def config_default(f: dataclasses.Field):
    """What the config means when it leaves the key out."""
    if f.metadata["required"]:
        return REQUIRED
    return "auto" if f.metadata["auto"] else f.default


def documented(cls: type[Tracker]) -> set[str]:
    """Names the Parameters sections of the class and its bases describe."""
    names: set[str] = set()
    for klass in cls.__mro__:
        doc = inspect.cleandoc(klass.__dict__.get("__doc__") or "")
        section = doc.partition("Parameters\n----------\n")[2]
        for line in re.findall(r"^([a-z_]\w*(?:, [a-z_]\w*)*) :", section, re.M):
            names.update(line.split(", "))
    return names


def schema_keys(type_name: str) -> dict[str, dict]:
    """Each key of the type's ``$defs`` entry, merged with the common tracker definition."""
    common = SCHEMA["$defs"]["tracker"]["properties"]
    own = SCHEMA["$defs"][type_name]["properties"]
    return {key: {**common.get(key, {}), **spec} for key, spec in own.items()}


def described(spec: dict) -> dict:
    """What a key's schema allows: its numeric bounds, choices, types, ``auto``."""
    alternatives = spec.get("oneOf", [spec])
    out = {"auto": False, "types": set(), "bounds": {}, "enum": None}
    for alt in alternatives:
        if alt.get("const") == "auto":
            out["auto"] = True
            continue
        if "enum" in alt:
            values = [v for v in alt["enum"] if v != "auto"]
            out["auto"] |= "auto" in alt["enum"]
            out["enum"] = tuple(values)
            out["types"].add("string")
        types = alt.get("type", [])
        out["types"].update([types] if isinstance(types, str) else types)
        out["bounds"].update({k: alt[k] for k in ("minimum", "exclusiveMinimum", "exclusiveMaximum") if k in alt})
    return out


def readme_tables() -> dict[str, dict[str, str]]:
    """``{section: {key: default cell}}``: ``common`` (``trackers.<name>``) and each ``type: X``."""
    tables: dict[str, dict[str, str]] = {}
    section = None
    for line in README.splitlines():
        if line.startswith("#"):
            head = re.match(r"#+ `(?:type: )?(\S+?)`", line)
            name = head.group(1) if head else None
            section = "common" if name == "trackers.<name>" else name if name in TRACKER_TYPES else None
            continue
        if section is None or not line.startswith("| `"):
            continue
        key_cell, default_cell = [c.strip() for c in line.strip().strip("|").split("|")[:2]]
        keys = re.findall(r"`(\w+)`", key_cell)
        defaults = default_cell.split(", ") if len(keys) > 1 else [default_cell]
        assert len(defaults) == len(keys), f"config/README.md: row {key_cell} has {default_cell!r}"
        tables.setdefault(section, {}).update(zip(keys, defaults))
    return tables


def step_scalings(text: str) -> dict[str, str]:
    """``{type: scaling}`` from text such as "distance, overlap: `linear`; transformer: `none`"."""
    out = {}
    for names, scaling in re.findall(r"((?:\w+, )*\w+): (linear|none)\b", text.replace("`", "")):
        out.update(dict.fromkeys(names.split(", "), scaling))
    return out


def _same(a, b) -> bool:
    """Equal, a string never equal to a number (10 and 10.0 are the same default)."""
    return a == b and isinstance(a, str) == isinstance(b, str)


def schema_disagreements(type_name: str, cls: type[Tracker]) -> list[str]:
    fields = declared(cls)
    keys = schema_keys(type_name)
    where = f"schema $defs.{type_name}"
    out = [f"{where}: {k!r} is a field of {cls.__name__} but not in the schema" for k in fields.keys() - keys.keys()]
    out += [f"{where}: {k!r} is in the schema but no field of {cls.__name__}"
            for k in keys.keys() - fields.keys() - set(CONFIG_ONLY)]
    required = set(SCHEMA["$defs"][type_name].get("required", []))
    for key in sorted(fields.keys() & keys.keys()):
        f, spec, meta = fields[key], keys[key], fields[key].metadata
        said = described(spec)
        if "default" in spec and not _same(spec["default"], config_default(f)):
            out.append(f"{where}.{key}: default {spec['default']!r}, the class means {config_default(f)!r}")
        if (key in required) != meta["required"]:
            out.append(f"{where}.{key}: required is {key in required} in the schema, {meta['required']} in the class")
        bounds = {k: meta[k] for k in ("minimum", "exclusiveMinimum", "exclusiveMaximum") if k in meta}
        if said["bounds"] != bounds:
            out.append(f"{where}.{key}: bounds {said['bounds']} in the schema, {bounds} in the class")
        if said["auto"] != meta["auto"]:
            out.append(f"{where}.{key}: auto {'allowed' if said['auto'] else 'not allowed'} in the schema, "
                       f"auto={meta['auto']} in the class")
        if said["enum"] is not None or "enum" in meta:
            if set(said["enum"] or ()) != set(meta.get("enum", ())):
                out.append(f"{where}.{key}: choices {said['enum']} in the schema, {meta.get('enum')} in the class")
        base, _, null = str(f.type).partition(" | ")
        types = {JSON_TYPES[base]} | ({"null"} if null == "None" else set())
        if said["types"] != types:
            out.append(f"{where}.{key}: types {sorted(said['types'])} in the schema, {f.type} in the class")
        if key not in documented(cls):
            out.append(f"{cls.__name__}.{key}: not described in the class's Parameters section")
    scaling = step_scalings(SCHEMA["$defs"]["tracker"]["properties"]["step_scaling"]["description"])
    if scaling.get(type_name) != cls.default_step_scaling:
        out.append(f"schema step_scaling: default {scaling.get(type_name)!r} for {type_name}, "
                   f"the class's is {cls.default_step_scaling!r}")
    return out


def readme_disagreements(type_name: str, cls: type[Tracker]) -> list[str]:
    tables = readme_tables()
    common, own = tables.get("common", {}), tables.get(type_name, {})
    base = declared(Tracker)
    where = f"config/README.md `type: {type_name}`"
    fields = declared(cls)
    # a common key is in the common table, unless the type declares its own default
    overridden = {k for k in base if fields[k].default != base[k].default}
    expected = (fields.keys() - base.keys()) | overridden
    out = [f"{where}: no row for {k!r}" for k in sorted(expected - own.keys())]
    out += [f"{where}: row {k!r} is no key of {cls.__name__}" for k in sorted(own.keys() - expected)]
    for key in sorted(expected & own.keys()):
        cell = own[key]
        stated = REQUIRED if cell == REQUIRED else yaml.safe_load(cell)
        if not _same(stated, config_default(fields[key])):
            out.append(f"{where}.{key}: default {cell!r}, the class means {config_default(fields[key])!r}")
    scaling = step_scalings(common.get("step_scaling", ""))
    if scaling.get(type_name) != cls.default_step_scaling:
        out.append(f"config/README.md step_scaling: default {scaling.get(type_name)!r} for {type_name}, "
                   f"the class's is {cls.default_step_scaling!r}")
    return out


def test_common_keys_agree():
    """The keys every type takes: the base class, the schema's tracker definition and the README."""
    base = declared(Tracker)
    common = SCHEMA["$defs"]["tracker"]["properties"]
    table = readme_tables()["common"]
    problems = []
    for name, keys in (("schema $defs.tracker", set(common)), ("config/README.md `trackers.<name>`", set(table)),
                       ("uqtrack.trackers.COMMON_KEYS", set(COMMON_KEYS))):
        if keys != set(base) | set(CONFIG_ONLY):
            problems.append(f"{name}: keys {sorted(keys)}, expected {sorted(set(base) | set(CONFIG_ONLY))}")
    for key, f in base.items():
        # a per-type default belongs in each type's $defs: the workflow fills in the
        # schema's defaults, so one stated here would override the type's own
        if "default" in common.get(key, {}):
            problems.append(f"schema $defs.tracker.{key}: states a default; state it per type")
        if key in table and not _same(yaml.safe_load(table[key]), f.default):
            problems.append(f"config/README.md `trackers.<name>`.{key}: default {table[key]!r}, "
                            f"the class means {f.default!r}")
    assert not problems, "\n".join(problems)


def test_every_type_has_a_schema_definition_and_a_readme_table():
    tables = readme_tables()
    missing = [t for t in TRACKER_TYPES if t not in SCHEMA["$defs"] or t not in tables]
    assert not missing, f"tracker types without a schema $defs entry or README table: {missing}"


def test_schema_agrees_with_the_tracker_classes():
    problems = [p for name, cls in TRACKER_TYPES.items() for p in schema_disagreements(name, cls)]
    assert not problems, "\n".join(problems)


def test_readme_agrees_with_the_tracker_classes():
    problems = [p for name, cls in TRACKER_TYPES.items() for p in readme_disagreements(name, cls)]
    assert not problems, "\n".join(problems)


def test_the_check_itself_catches_a_disagreement(monkeypatch):
    """A changed default, bound or key shows up by type and key."""
    spec = SCHEMA["$defs"]["distance"]["properties"]
    monkeypatch.setitem(spec, "perturb_var", {**spec["perturb_var"], "default": 0.2, "minimum": 1})
    monkeypatch.setitem(spec, "extra", {"type": "number"})
    problems = "\n".join(schema_disagreements("distance", TRACKER_TYPES["distance"]))
    assert "$defs.distance.perturb_var: default 0.2, the class means 0.1" in problems
    assert "$defs.distance.perturb_var: bounds {'minimum': 1}" in problems
    assert "'extra' is in the schema but no field of DistanceTracker" in problems
    text = README.replace("| `radius` | 1 |", "| `radius` | 2 |").replace("| `kappa` |", "| `kapa` |")
    monkeypatch.setitem(globals(), "README", text)
    problems = "\n".join(readme_disagreements("overlap", TRACKER_TYPES["overlap"]))
    assert "`type: overlap`.radius: default '2', the class means 1.0" in problems
    assert "`type: overlap`: no row for 'kappa'" in problems and "row 'kapa' is no key" in problems


def test_a_declared_bound_is_enforced():
    for make, message in ((lambda: DistanceTracker(sigma=0.0), "sigma must be > 0"),
                          (lambda: DistanceTracker(max_distance=-1.0), "max_distance must be > 0"),
                          (lambda: ActivityTracker(activity_source="auto"), "activity_source must be one of"),
                          (lambda: TransformerTracker(dropout=1.0), "dropout must be < 1"),
                          (lambda: DistanceTracker(appear_cost=float("nan")), "appear_cost must be >= 0")):
        with pytest.raises(ValueError, match=message):
            make()
    assert DistanceTracker(max_distance=None).max_distance is None
