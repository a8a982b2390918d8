"""The functional graph of a model: the builder of each layer class, the order the layers
run in, and nested models.
"""

from __future__ import annotations

import itertools
from numbers import Integral

from ._config import (
    _TENSOR,
    UnsupportedNetworkError,
    _bind,
    _check_dtype,
    _check_kwargs,
    _Layer,
    _merge_shapes,
    _Ref,
    _snake_case,
    _unique_name,
)
from ._layers import (
    _build_activation,
    _build_attention_pooling1d,
    _build_batch_normalization,
    _build_clip_centering,
    _build_concatenate,
    _build_conv1d,
    _build_dense,
    _build_global_pooling1d,
    _build_identity,
    _build_layer_normalization,
    _build_max_pooling1d,
    _build_merge,
    _build_normalization,
    _build_statistics_pooling1d,
)
from ._sequence import _build_bidirectional, _build_multi_head_attention, _build_rnn

_BUILDERS = {
    "Activation": _build_activation,
    "Dropout": _build_identity,
    "Normalization": _build_normalization,
    "Conv1D": _build_conv1d,
    "BatchNormalization": _build_batch_normalization,
    "LayerNormalization": _build_layer_normalization,
    "Dense": _build_dense,
    "MaxPooling1D": _build_max_pooling1d,
    "GlobalAveragePooling1D": _build_global_pooling1d,
    "GlobalMaxPooling1D": _build_global_pooling1d,
    "GRU": _build_rnn,
    "LSTM": _build_rnn,
    "Bidirectional": _build_bidirectional,
    "MultiHeadAttention": _build_multi_head_attention,
    "Concatenate": _build_concatenate,
    **{cls: _build_merge for cls in ("Add", "Subtract", "Multiply", "Average", "Maximum",
                                     "Minimum")},
}
_OWN_BUILDERS = {
    "ClipCentering": _build_clip_centering,
    "StatisticsPooling1D": _build_statistics_pooling1d,
    "AttentionPooling1D": _build_attention_pooling1d,
}
_MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}
_MODELS = ("Functional", "Sequential")
_KNOWN = {"InputLayer", *_MODELS, *_BUILDERS, *_OWN_BUILDERS}


# ----------------------------------------------------------------------------- graphs


def _input_shape(layer):
    """The shape (without batch) an InputLayer declares, after checking its settings."""
    layer.check_class(builtin=True)
    if "batch_shape" in layer.config:
        shape = layer.option("batch_shape")
    else:
        shape = layer.option("batch_input_shape")
    if not isinstance(shape, list) or len(shape) < 2 or not all(
            d is None or (isinstance(d, Integral) and d > 0) for d in shape):
        raise layer.malformed(f"has batch_shape={shape!r}")
    for key in ("sparse", "ragged", "optional"):
        layer.option(key, False, allowed=(False,))
    layer.check_config()
    return tuple(shape[1:])


class _Graph:
    """A Functional (or Sequential) model config: its layers and the order of their calls."""

    def __init__(self, entry, store, path, parent=None):
        self.cls = entry.get("class_name")
        config = entry.get("config")
        self.name = (config or {}).get("name", "?")
        where = f"model {self.name!r}" + (f" (in model {parent!r})" if parent else "")
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"The {where} has no list of layers in its config.")
        allowed = {"name", "trainable", "layers"} | (
            {"input_layers", "output_layers"} if self.cls == "Functional"
            else {"dtype", "build_input_shape"})
        for key in config:
            if key not in allowed:
                raise UnsupportedNetworkError(f"The {where} ({self.cls}) has the config "
                                              f"option {key!r}, which the NumPy runtime "
                                              "does not implement.")
        _check_dtype(config.get("dtype"), lambda what, hint: UnsupportedNetworkError(
            f"The {where} {what}, which the NumPy runtime does not implement ({hint})."))
        used, self.layers = {}, {}
        entries = config["layers"]
        if self.cls == "Sequential":
            entries = self._sequential_entries(entries, config.get("build_input_shape"),
                                               where)
        for entry in entries:
            layer = _Layer(entry, self.name, store, "")
            # a Sequential's InputLayer is not in model.layers, so it has no weights path
            if not (self.cls == "Sequential" and layer.cls == "InputLayer"):
                layer.path = f"{path}layers/{_unique_name(_snake_case(layer.cls), used)}"
            if layer.name in self.layers:
                raise ValueError(f"The {where} has two layers named {layer.name!r}.")
            self.layers[layer.name] = layer
        if self.cls == "Sequential":
            names = list(self.layers)
            self.inputs, self.outputs = [_Ref(names[0], 0, 0)], [_Ref(names[-1], 0, 0)]
        else:
            self.inputs = self._io_refs(config.get("input_layers"), "input_layers", where)
            self.outputs = self._io_refs(config.get("output_layers"), "output_layers", where)
        for kind, refs in (("inputs", self.inputs), ("outputs", self.outputs)):
            if len(refs) != 1:
                raise UnsupportedNetworkError(
                    f"The {where} has {len(refs)} {kind}; the NumPy runtime implements "
                    f"models of one input and one output.")
        if self.layers[self.inputs[0].layer].cls != "InputLayer":
            raise ValueError(f"The {where} has an input that is not an InputLayer.")

    @staticmethod
    def _sequential_entries(entries, build_shape, where):
        if not entries or not all(isinstance(e, dict) for e in entries):
            raise ValueError(f"The {where} has no layers, or layer entries that are not "
                             "Keras layer configs.")
        entries = [dict(e, name=e.get("name", (e.get("config") or {}).get("name")))
                   for e in entries]
        if entries[0].get("class_name") != "InputLayer":
            if not isinstance(build_shape, list):
                raise UnsupportedNetworkError(f"The {where} (Sequential) has no input shape.")
            entries.insert(0, {"class_name": "InputLayer", "module": "keras.layers",
                               "name": f"{entries[0]['name']}_input",
                               "config": {"batch_shape": build_shape}})
        # a Sequential config has no graph: each layer is called on the previous output
        for previous, entry in itertools.pairwise(entries):
            entry["inbound_nodes"] = [{"args": [{"class_name": _TENSOR, "config": {
                "keras_history": [previous["name"], 0, 0]}}], "kwargs": {}}]
        return entries

    def _io_refs(self, value, key, where):
        if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise UnsupportedNetworkError(f"The {where} has {key}={value!r}, which the NumPy "
                                          "runtime does not implement.")
        refs = [_Ref.parse(v, f"The {key} of the {where}") for v in value]
        for ref in refs:
            layer = self.layers.get(ref.layer)
            if layer is None:
                raise ValueError(f"The {key} of the {where} name an unknown layer "
                                 f"{ref.layer!r}.")
            if ref.tensor:
                raise UnsupportedNetworkError(f"The {where} takes output {ref.tensor} of "
                                              f"layer {ref.layer!r}; multi-output layers "
                                              "are not implemented.")
            if layer.cls == "Functional":
                # Keras counts a nested model's own node first in input_layers and
                # output_layers (though not in the inbound nodes of other layers)
                ref.node -= 1
        return refs

    def compile(self, input_shapes):
        """The function of the model on a list of arrays, and its output shapes."""
        (ref,) = self.inputs
        layer = self.layers[ref.layer]
        declared = _input_shape(layer)
        shape = _merge_shapes(declared, input_shapes[0])
        if shape is None:
            raise ValueError(f"The model {self.name!r} takes inputs of shape {declared}, but "
                             f"is given {input_shapes[0]}.")
        shapes = {ref.key: shape}
        unknown = [f"{layer.name!r} ({layer.cls})" for layer in self.layers.values()
                   if layer.cls not in _KNOWN]
        if unknown:
            # all of them: Keras adds its own operations around some layers (Masking)
            raise UnsupportedNetworkError(
                f"The model {self.name!r} has layers or operations of classes the NumPy "
                f"runtime does not implement: {', '.join(unknown)}.")
        pending = []
        for layer in self.layers.values():
            if layer.cls == "InputLayer":
                if layer.nodes:
                    raise ValueError(f"The {layer.label} has inbound nodes.")
                if layer.name != ref.layer:
                    raise UnsupportedNetworkError(f"The model {self.name!r} has an unused "
                                                  f"input {layer.name!r}.")
                continue
            builder, positional = self._builder(layer)
            for index, node in enumerate(layer.nodes):
                inputs, kwargs = _bind(layer, node, positional)
                pending.append((layer, index, builder, inputs, kwargs))
        steps = []
        while pending:
            waiting = []
            for layer, index, builder, inputs, kwargs in pending:
                refs = [r for v in inputs.values() for r in (v if isinstance(v, list) else [v])
                        if r is not None]
                for r in refs:
                    if r.layer not in self.layers:
                        raise ValueError(f"An inbound node of the {layer.label} refers to an "
                                         f"unknown layer {r.layer!r}.")
                if not all(r.key in shapes for r in refs):
                    waiting.append((layer, index, builder, inputs, kwargs))
                    continue
                # before the weights, which a half-precision layer stores in its dtype
                _check_dtype(layer.config.get("dtype"), layer.unsupported)
                fn, keys, out = builder(layer, inputs, kwargs, shapes)
                layer.check_config()
                shapes[(layer.name, index)] = out
                steps.append((fn, keys, (layer.name, index)))
            if len(waiting) == len(pending):
                names = sorted({layer.name for layer, *_ in waiting})
                raise ValueError(f"The model {self.name!r} has calls of layers {names} whose "
                                 "inputs are never computed (a cycle, or a missing node).")
            pending = waiting
        output_keys = [r.key for r in self.outputs]
        for key in output_keys:
            if key not in shapes:
                raise ValueError(f"The model {self.name!r} outputs call {key[1]} of layer "
                                 f"{key[0]!r}, which does not exist.")
        return self._schedule(steps, [ref.key], output_keys), [shapes[k] for k in output_keys]

    def _builder(self, layer):
        """The builder of a layer's calls, and how its tensor arguments are passed."""
        if layer.cls in _MODELS:
            layer.check_class(builtin=True)
            return _build_model, None
        if layer.cls in _BUILDERS:
            layer.check_class(builtin=True)
            build = _BUILDERS[layer.cls]
            positional = ("query", "value", "key") if layer.cls == "MultiHeadAttention" \
                else None
        elif layer.cls in _OWN_BUILDERS:
            layer.check_class(builtin=False)
            build, positional = _OWN_BUILDERS[layer.cls], None
        else:
            raise UnsupportedNetworkError(
                f"The {layer.label} is of a class the NumPy runtime does not implement.")
        merge = layer.cls in _MERGES

        def builder(layer, inputs, kwargs, shapes):
            if positional is None:
                refs = inputs["inputs"]
                if not merge and len(refs) != 1:
                    raise layer.unsupported(f"is called on {len(refs)} tensors")
            else:
                if inputs.get("query") is None or inputs.get("value") is None:
                    raise layer.malformed("is called without query and value")
                if inputs.get("key") is None:
                    inputs = dict(inputs, key=inputs["value"])
                refs = [inputs[name] for name in positional]
            fn, out = build(layer, [shapes[r.key] for r in refs], kwargs)
            return fn, [r.key for r in refs], out

        return builder, positional

    @staticmethod
    def _schedule(steps, input_keys, output_keys):
        """Run only the calls the outputs need, freeing each array after its last use."""
        needed, kept = set(output_keys), []
        for fn, keys, out in reversed(steps):
            if out in needed:
                needed.update(keys)
                kept.append((fn, keys, out))
        kept.reverse()
        last_use = {}
        for i, (_, keys, _) in enumerate(kept):
            for key in keys:
                last_use[key] = i
        plan = [(fn, keys, out, [k for k in set(keys) if last_use[k] == i
                                 and k not in output_keys])
                for i, (fn, keys, out) in enumerate(kept)]

        def run(arrays):
            values = dict(zip(input_keys, arrays))
            for fn, keys, out, done in plan:
                values[out] = fn(*(values[k] for k in keys))
                for key in done:
                    del values[key]
            return [values[k] for k in output_keys]

        return run


def _build_model(layer, inputs, kwargs, shapes):
    """A nested Functional or Sequential model, called as a layer."""
    refs = inputs["inputs"]
    if layer._graph is None:
        entry = {"class_name": layer.cls, "config": layer.config}
        layer._graph = _Graph(entry, layer.store, layer.path + "/", parent=layer.model)
        layer._used.update(layer.config)  # _Graph checked the model's config
    if len(refs) != 1:
        raise layer.unsupported(f"is called on {len(refs)} tensors")
    _check_kwargs(layer, kwargs)
    run, (out,) = layer._graph.compile([shapes[refs[0].key]])
    return (lambda x: run([x])[0]), [refs[0].key], out
