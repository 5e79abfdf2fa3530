"""Stable variable names: the attribute path that reaches a variable from its model.

Keras variable paths are not stable: they carry per-process instance counters (`forward_lstm_2`,
`seed_generator_17`) and depend on where a layer was first called (a projection used by the model
lands under the model, not the layer that owns it). Checkpoints need names that are the same in
every process for the same code, so they are built here from the object tree instead:
`encoder/layers/0/forward_layer/cell/kernel`, `decoder/attention/v`, `decoder/dropout/seed_generator/state`.
"""

from __future__ import annotations

import keras


def _children(obj) -> list[tuple[str, object]]:
    """(attribute path, layer or seed generator) directly held by `obj`, in attribute order."""
    found = []
    for attr, value in vars(obj).items():
        if attr.startswith("_"):
            continue
        if isinstance(value, (keras.layers.Layer, keras.random.SeedGenerator)):
            found.append((attr, value))
        elif isinstance(value, (list, tuple)):
            found += [(f"{attr}/{i}", v) for i, v in enumerate(value)
                      if isinstance(v, (keras.layers.Layer, keras.random.SeedGenerator))]
    return found


def variable_names(model: keras.layers.Layer) -> dict[str, keras.Variable]:
    """{stable name: variable} for every variable of `model`; each variable under its first path."""
    named: dict[str, keras.Variable] = {}
    seen_objects: set[int] = set()

    def visit(obj, prefix: str) -> None:
        if id(obj) in seen_objects:
            return
        seen_objects.add(id(obj))
        if isinstance(obj, keras.random.SeedGenerator):
            named[f"{prefix}state"] = obj.state
            return
        for v in obj._trainable_variables + obj._non_trainable_variables:  # created by this layer itself
            named[prefix + v.name] = v
        for attr, child in _children(obj):
            visit(child, f"{prefix}{attr}/")
        for i, child in enumerate(getattr(obj, "_layers", [])):  # a Sequential holds its layers in order only
            visit(child, f"{prefix}layers/{i}/")
        for sg in obj._seed_generators:  # Keras' own seed generators (recurrent dropout) have no attribute
            visit(sg, f"{prefix}seed_generator/")

    visit(model, "")
    unique = {id(v): n for n, v in reversed(named.items())}  # a shared variable keeps its first name
    names = {n: v for n, v in named.items() if unique[id(v)] == n}
    missing = [v.path for v in model.variables if id(v) not in unique]
    if missing:
        raise RuntimeError(f"variables out of reach of the attribute walk: {missing}")
    return names
