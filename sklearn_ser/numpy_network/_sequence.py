"""NumPy forward functions of the layers that read a sequence in order or attend over it:
GRU, LSTM, Bidirectional and MultiHeadAttention.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from ._config import _check_kwargs, _Layer, _merge_dims
from ._layers import _channels, _one_input
from ._ops import _FLOAT, _matmul_last, _softmax


def _rnn_settings(layer, shape):
    """The checked settings and weights of a GRU or LSTM layer (perhaps a wrapped one)."""
    units = layer.int_option("units")
    settings = {
        "cls": layer.cls,
        "units": units,
        "activation": layer.activation(default="tanh"),
        "recurrent_activation": layer.activation("recurrent_activation", "sigmoid"),
        "use_bias": layer.option("use_bias", True, allowed=(True, False)),
        "return_sequences": layer.option("return_sequences", False, allowed=(True, False)),
        "go_backwards": layer.option("go_backwards", False, allowed=(True, False)),
        "reset_after": layer.cls == "GRU" and layer.option("reset_after", True,
                                                           allowed=(True, False)),
    }
    layer.option("return_state", False, allowed=(False,))
    layer.option("stateful", False, allowed=(False,))
    # dropout is off at inference; unroll and cuDNN change the speed, not the result;
    # masks are refused at the call, so zero_output_for_mask has nothing to do;
    # unit_forget_bias is an initialiser
    for key in ("dropout", "recurrent_dropout", "unroll", "zero_output_for_mask",
                "use_cudnn", "implementation", "unit_forget_bias"):
        layer.option(key, None)
    layer.check_config()
    channels = _channels(layer, shape)
    gates = 3 if layer.cls == "GRU" else 4
    expected = [("kernel", (channels, gates * units)),
                ("recurrent_kernel", (units, gates * units))]
    if settings["use_bias"]:
        expected.append(("bias", (2, gates * units) if settings["reset_after"]
                         else (gates * units,)))
    settings["weights"] = layer.weights(expected, sub="cell/")
    return settings


def _recurrence(s):
    """The function running one GRU or LSTM over ``(batch, time, channels)``."""
    units, act, rec_act = s["units"], s["activation"], s["recurrent_activation"]
    act = act or (lambda x: x)
    rec_act = rec_act or (lambda x: x)
    kernel, recurrent = s["weights"][0], s["weights"][1]
    bias = s["weights"][2] if s["use_bias"] else None
    gru = s["cls"] == "GRU"
    reset_after = gru and s["reset_after"]
    if gru and bias is not None and reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, None

    def run(x):
        if s["go_backwards"]:
            x = x[:, ::-1]
        batch, frames, _ = x.shape
        # the input projections of all frames at once; only the recurrence loops over time
        projected = _matmul_last(x, kernel)
        if input_bias is not None:
            projected = projected + input_bias
        h = np.zeros((batch, units), dtype=_FLOAT)
        c = np.zeros((batch, units), dtype=_FLOAT)
        outputs = np.empty((batch, frames, units), dtype=_FLOAT) if s["return_sequences"] \
            else None
        for t in range(frames):
            xt = projected[:, t]
            if gru:
                if reset_after:
                    inner = h @ recurrent
                    if recurrent_bias is not None:
                        inner = inner + recurrent_bias
                    z = rec_act(xt[:, :units] + inner[:, :units])
                    r = rec_act(xt[:, units:2 * units] + inner[:, units:2 * units])
                    hh = act(xt[:, 2 * units:] + r * inner[:, 2 * units:])
                else:
                    inner = h @ recurrent[:, :2 * units]
                    z = rec_act(xt[:, :units] + inner[:, :units])
                    r = rec_act(xt[:, units:2 * units] + inner[:, units:])
                    hh = act(xt[:, 2 * units:] + (r * h) @ recurrent[:, 2 * units:])
                h = z * h + (1 - z) * hh
            else:
                gates = xt + h @ recurrent
                i = rec_act(gates[:, :units])
                f = rec_act(gates[:, units:2 * units])
                c = f * c + i * act(gates[:, 2 * units:3 * units])
                h = rec_act(gates[:, 3 * units:]) * act(c)
            if outputs is not None:
                outputs[:, t] = h
        # like Keras, a backward layer's sequence stays in its reading order
        return outputs if outputs is not None else h

    return run


def _build_rnn(layer, shapes, kwargs):
    shape = _one_input(layer, shapes, ndim=2)
    settings = _rnn_settings(layer, shape)
    _check_kwargs(layer, kwargs, {"initial_state": (None,)})
    out = (shape[0], settings["units"]) if settings["return_sequences"] \
        else (settings["units"],)
    return _recurrence(settings), out


def _wrapped_rnn(layer, config, role):
    """The GRU or LSTM layer wrapped by the Bidirectional ``layer`` (``role``: which one)."""
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise layer.malformed(f"has no config for its {role}")
    inner = _Layer(dict(config, name=config["config"].get("name")), layer.model, layer.store,
                   f"{layer.path}/{role}", owner=layer)
    inner.check_class(builtin=True)
    if inner.cls not in ("GRU", "LSTM"):
        raise inner.unsupported("is wrapped in a Bidirectional", "only GRU and LSTM")
    return inner


def _build_bidirectional(layer, shapes, kwargs):
    shape = _one_input(layer, shapes, ndim=2)
    merge = layer.option("merge_mode", "concat", allowed=("concat", "sum", "ave", "mul"))
    forward_config = layer.option("layer")
    backward_config = layer.option("backward_layer", None)
    if backward_config is None and isinstance(forward_config, dict):
        # Keras makes the backward layer from the forward one, reading the other way
        inner = dict(forward_config.get("config") or {})
        inner["go_backwards"] = not inner.get("go_backwards", False)
        inner["name"] = f"backward_{inner.get('name')}"
        backward_config = dict(forward_config, config=inner)
    forward, backward = (
        _rnn_settings(_wrapped_rnn(layer, config, role), shape)
        for config, role in ((forward_config, "forward_layer"),
                             (backward_config, "backward_layer")))
    if forward["return_sequences"] != backward["return_sequences"]:
        raise layer.malformed("has forward and backward layers that disagree on "
                              "return_sequences")
    _check_kwargs(layer, kwargs, {"initial_state": (None,)})
    run_forward, run_backward = _recurrence(forward), _recurrence(backward)
    sequences = forward["return_sequences"]
    combine = {
        "concat": lambda a, b: np.concatenate([a, b], axis=-1),
        "sum": np.add,
        "ave": lambda a, b: (a + b) / _FLOAT(2),
        "mul": np.multiply,
    }[merge]

    def bidirectional(x):
        y, y_rev = run_forward(x), run_backward(x)
        if sequences:
            y_rev = y_rev[:, ::-1]
        return combine(y, y_rev)

    units = forward["units"] + backward["units"] if merge == "concat" else forward["units"]
    if merge != "concat" and forward["units"] != backward["units"]:
        raise layer.malformed("merges forward and backward layers of different sizes")
    return bidirectional, ((shape[0], units) if sequences else (units,))


def _build_multi_head_attention(layer, shapes, kwargs):
    query_shape, value_shape, key_shape = shapes
    for shape in shapes:
        if len(shape) != 2:
            raise layer.unsupported(f"gets an input of rank {len(shape) + 1}",
                                    "only (batch, time, channels)")
    heads = layer.int_option("num_heads")
    key_dim = layer.int_option("key_dim")
    value_dim = layer.option("value_dim", None)
    value_dim = key_dim if value_dim is None else layer.int_option("value_dim")
    use_bias = layer.option("use_bias", True, allowed=(True, False))
    layer.option("use_gate", False, allowed=(False,))
    layer.option("sliding_window", None, allowed=(None,))
    layer.option("dropout", None)  # attention dropout is off at inference
    layer.option("flash_attention", None)  # a kernel choice, same result
    axes = layer.option("attention_axes", None)
    if axes is not None:
        axes = axes if isinstance(axes, (list, tuple)) else [axes]
        if [a if a >= 0 else 3 + a for a in axes] != [1]:
            raise layer.unsupported(f"has attention_axes={axes!r}")
    out_dim = layer.option("output_shape", None)
    if isinstance(out_dim, (list, tuple)) and len(out_dim) == 1:
        out_dim = out_dim[0]
    d_query, d_value, d_key = (_channels(layer, s) for s in shapes)
    if out_dim is None:
        out_dim = d_query
    elif isinstance(out_dim, bool) or not isinstance(out_dim, Integral) or out_dim < 1:
        raise layer.unsupported(f"has output_shape={layer.config['output_shape']!r}")
    if _merge_dims(value_shape[0], key_shape[0]) is False:
        raise layer.malformed("gets value and key of different lengths")

    def projection(sub, channels, size, n_out=None):
        expected = [("kernel", (channels, heads, size) if n_out is None
                     else (heads, size, n_out))]
        if use_bias:
            expected.append(("bias", (heads, size) if n_out is None else (n_out,)))
        weights = layer.weights(expected, sub=f"{sub}/")
        return weights[0], (weights[1] if use_bias else None)

    wq, bq = projection("query_dense", d_query, key_dim)
    wk, bk = projection("key_dense", d_key, key_dim)
    wv, bv = projection("value_dense", d_value, value_dim)
    wo, bo = projection("output_dense", None, value_dim, out_dim)
    wq, wk, wv = (w.reshape(w.shape[0], -1) for w in (wq, wk, wv))
    wo = wo.reshape(heads * value_dim, out_dim)
    scale = _FLOAT(1.0 / math.sqrt(float(key_dim)))
    _check_kwargs(layer, kwargs, {
        "attention_mask": (None,), "query_mask": (None,), "value_mask": (None,),
        "key_mask": (None,), "return_attention_scores": (False,), "use_causal_mask": (False,),
    })

    def project(x, w, b, size):
        out = _matmul_last(x, w).reshape(x.shape[0], x.shape[1], heads, size)
        return out + b if b is not None else out

    def attend(query, value, key):
        q = project(query, wq, bq, key_dim) * scale
        k = project(key, wk, bk, key_dim)
        v = project(value, wv, bv, value_dim)
        # (batch, heads, target, source), softmax over the source frames
        weights = _softmax(np.einsum("bsnh,btnh->bnts", k, q), axis=-1)
        attended = np.einsum("bnts,bsnh->btnh", weights, v)
        out = _matmul_last(attended.reshape(*attended.shape[:2], -1), wo)
        return out + bo if bo is not None else out

    return attend, (query_shape[0], out_dim)
