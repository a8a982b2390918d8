"""NumPy forward functions of the element-wise, convolution, normalisation, dense, pooling
and merge layers: each ``_build_<layer>`` checks a layer's config and returns ``(function,
output shape)``.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ._config import _KERAS_EPSILON, _REQUIRED, _check_kwargs, _merge_dims, _merge_shapes
from ._ops import _FLOAT, _matmul_last, _same_padding, _softmax

# ----------------------------------------------------------------------------- layers
#
# Each builder takes the layer, the shapes of its inputs (without the batch axis; None for
# an unknown length) and the call's other arguments, checks them, and returns the function
# of the call on NumPy arrays and the shape of its output.


def _one_input(layer, shapes, ndim=None):
    if len(shapes) != 1:
        raise layer.unsupported(f"is called on {len(shapes)} tensors")
    (shape,) = shapes
    if ndim is not None and len(shape) != ndim:
        raise layer.unsupported(f"gets an input of rank {len(shape) + 1} (batch included)",
                                f"only rank {ndim + 1}")
    return shape


def _channels(layer, shape):
    if shape[-1] is None:
        raise layer.malformed("has an input with an unknown number of channels")
    return shape[-1]


def _last_axis(layer, key, ndim, default=-1):
    """Check that option ``key`` names only the last axis of an input of rank ``ndim``."""
    axis = layer.option(key, default)
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if len(axes) != 1 or axes[0] not in (-1, ndim - 1):
        raise layer.unsupported(f"has {key}={axis!r}", "only the last axis")


def _build_identity(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    if layer.cls == "Dropout":
        for key in ("rate", "noise_shape"):  # dropout is the identity at inference
            layer.option(key, None)
    _check_kwargs(layer, kwargs)
    return (lambda x: x), shape


def _build_activation(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    fn = layer.activation(default=_REQUIRED)
    _check_kwargs(layer, kwargs)
    return (fn or (lambda x: x)), shape


def _build_clip_centering(layer, shapes, kwargs):
    shape = _one_input(layer, shapes, ndim=2)
    _check_kwargs(layer, kwargs)
    return (lambda x: x - x.mean(axis=1, keepdims=True)), shape


def _build_normalization(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    _last_axis(layer, "axis", len(shape) + 1)
    channels = _channels(layer, shape)
    invert = layer.option("invert", False, allowed=(False, True))
    mean, variance = layer.option("mean", None), layer.option("variance", None)
    if (mean is None) != (variance is None):
        raise layer.malformed("has only one of mean and variance in its config")
    if mean is None:
        # adapted, not given: the statistics are weights (count only matters to adapt)
        mean, variance, _ = layer.weights([("mean", (channels,)), ("variance", (channels,)),
                                           ("count", ())])
    stats = []
    for label, value in (("mean", mean), ("variance", variance)):
        try:
            value = np.asarray(value, dtype=_FLOAT)
        except (TypeError, ValueError):
            raise layer.malformed(f"has a {label} that is not numbers") from None
        if value.size == 1:
            value = np.full(channels, value.reshape(()), dtype=_FLOAT)
        elif value.size != channels or any(d != 1 for d in value.shape[:-1]):
            raise layer.unsupported(f"has a {label} of shape {value.shape} for "
                                    f"{channels} channels")
        stats.append(value.reshape(channels))
    mean, variance = stats
    std = np.maximum(np.sqrt(variance), _FLOAT(_KERAS_EPSILON))
    _check_kwargs(layer, kwargs)
    if invert:
        return (lambda x: mean + x * std), shape
    return (lambda x: (x - mean) / std), shape


def _build_conv1d(layer, shapes, kwargs):
    steps, channels = _one_input(layer, shapes, ndim=2)
    channels = _channels(layer, (channels,))
    filters = layer.int_option("filters")
    size = layer.int_option("kernel_size", single=True)
    for key in ("strides", "dilation_rate"):
        if layer.int_option(key, 1, single=True) != 1:
            raise layer.unsupported(f"has {key}={layer.config[key]!r}", "only 1")
    if layer.int_option("groups", 1) != 1:
        raise layer.unsupported(f"has groups={layer.config['groups']!r}")
    padding = layer.option("padding", "valid", allowed=("valid", "same", "causal"))
    layer.option("data_format", "channels_last", allowed=("channels_last", None))
    activation = layer.activation()
    use_bias = layer.option("use_bias", True, allowed=(True, False))
    expected = [("kernel", (size, channels, filters))]
    if use_bias:
        expected.append(("bias", (filters,)))
    weights = layer.weights(expected)
    kernel, bias = weights[0], (weights[1] if use_bias else None)
    if padding == "same":
        # TensorFlow puts the odd padding frame at the end
        before, after = (size - 1) // 2, size - 1 - (size - 1) // 2
    elif padding == "causal":
        before, after = size - 1, 0
    else:
        before = after = 0
    if steps is not None:
        steps = steps + before + after - size + 1
        if steps < 1:
            raise layer.malformed(f"gets {shapes[0][0]} frames, fewer than its kernel")
    _check_kwargs(layer, kwargs)

    def conv(x):
        if before or after:
            x = np.pad(x, ((0, 0), (before, after), (0, 0)))
        batch, frames, _ = x.shape
        n_out = frames - size + 1
        if n_out < 1:
            raise ValueError(f"The {layer.label} gets sequences of {frames - before - after} "
                             f"frames, fewer than its kernel of {size}.")
        # one matrix product per kernel tap over all frames, then shifted and summed
        flat = x.reshape(batch * frames, -1)
        out = None
        for tap in range(size):
            part = (flat @ kernel[tap]).reshape(batch, frames, filters)[:, tap:tap + n_out]
            out = part if out is None else out + part
        if bias is not None:
            out = out + bias
        return activation(out) if activation else out

    return conv, (steps, filters)


def _normalization_options(layer, shapes):
    """What Keras's BatchNormalization and LayerNormalization share: one input normalised
    over its last axis, and the ``epsilon``, ``center`` and ``scale`` options."""
    shape = _one_input(layer, shapes)
    _last_axis(layer, "axis", len(shape) + 1)
    epsilon = float(layer.option("epsilon", 1e-3))
    center = layer.option("center", True, allowed=(True, False))
    scale = layer.option("scale", True, allowed=(True, False))
    return shape, _channels(layer, shape), epsilon, center, scale


def _build_batch_normalization(layer, shapes, kwargs):
    shape, channels, epsilon, center, scale = _normalization_options(layer, shapes)
    renorm = layer.option("renorm", False, allowed=(True, False))
    for key in ("momentum", "synchronized", "renorm_clipping", "renorm_momentum"):
        layer.option(key, None)  # training only: inference uses the moving statistics
    names = [n for n, on in (("gamma", scale), ("beta", center)) if on]
    names += ["moving_mean", "moving_variance"]
    if renorm:
        names += ["moving_stddev", "renorm_mean", "renorm_stddev"]
    weights = dict(zip(names, layer.weights([(n, (channels,)) for n in names])))
    # tf.nn.batch_normalization's arithmetic: x * inv + (beta - mean * inv)
    inv = 1.0 / np.sqrt(weights["moving_variance"] + _FLOAT(epsilon))
    if scale:
        inv = inv * weights["gamma"]
    shift = -weights["moving_mean"] * inv
    if center:
        shift = shift + weights["beta"]
    inv, shift = inv.astype(_FLOAT), shift.astype(_FLOAT)
    _check_kwargs(layer, kwargs)
    return (lambda x: x * inv + shift), shape


def _build_layer_normalization(layer, shapes, kwargs):
    shape, channels, epsilon, center, scale = _normalization_options(layer, shapes)
    epsilon = _FLOAT(epsilon)
    rms = layer.option("rms_scaling", False, allowed=(True, False))
    names = [n for n, on in (("gamma", scale or rms), ("beta", center and not rms)) if on]
    weights = dict(zip(names, layer.weights([(n, (channels,)) for n in names])))
    gamma, beta = weights.get("gamma"), weights.get("beta")
    _check_kwargs(layer, kwargs)

    def normalize(x):
        if rms:
            # Keras's rms_scaling divides by the standard deviation, without centring
            out = x / np.sqrt(x.var(axis=-1, keepdims=True) + epsilon)
            return out * gamma if gamma is not None else out
        mean = x.mean(axis=-1, keepdims=True)
        inv = 1.0 / np.sqrt(np.square(x - mean).mean(axis=-1, keepdims=True) + epsilon)
        if gamma is not None:
            inv = inv * gamma
        out = x * inv - mean * inv
        return out + beta if beta is not None else out

    return normalize, shape


def _build_dense(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    channels = _channels(layer, shape)
    units = layer.int_option("units")
    activation = layer.activation()
    use_bias = layer.option("use_bias", True, allowed=(True, False))
    layer.option("quantization_config", None, allowed=(None,))
    expected = [("kernel", (channels, units))] + ([("bias", (units,))] if use_bias else [])
    weights = layer.weights(expected)
    kernel, bias = weights[0], (weights[1] if use_bias else None)
    _check_kwargs(layer, kwargs)

    def dense(x):
        out = _matmul_last(x, kernel)
        if bias is not None:
            out = out + bias
        return activation(out) if activation else out

    return dense, (*shape[:-1], units)


def _build_max_pooling1d(layer, shapes, kwargs):
    steps, channels = _one_input(layer, shapes, ndim=2)
    size = layer.int_option("pool_size", 2, single=True)
    stride = layer.option("strides", None)
    stride = size if stride is None else layer.int_option("strides", single=True)
    padding = layer.option("padding", "valid", allowed=("valid", "same"))
    layer.option("data_format", "channels_last", allowed=("channels_last", None))
    _check_kwargs(layer, kwargs)

    def geometry(n):
        if padding == "same":
            return _same_padding(n, size, stride)
        if n < size:
            raise ValueError(f"The {layer.label} gets sequences of {n} frames, fewer than "
                             f"its pool size of {size}.")
        return (n - size) // stride + 1, 0, 0

    if steps is not None:
        steps = geometry(steps)[0]

    def pool(x):
        n_out, before, after = geometry(x.shape[1])
        if before or after:
            # padded frames never win the maximum, as in TensorFlow
            x = np.pad(x, ((0, 0), (before, after), (0, 0)), constant_values=-np.inf)
        span = (n_out - 1) * stride + 1
        out = x[:, 0:span:stride]
        for tap in range(1, size):
            out = np.maximum(out, x[:, tap:tap + span:stride])
        return out

    return pool, (steps, channels)


def _build_global_pooling1d(layer, shapes, kwargs):
    _, channels = _one_input(layer, shapes, ndim=2)
    layer.option("data_format", "channels_last", allowed=("channels_last", None))
    keepdims = layer.option("keepdims", False, allowed=(True, False))
    reduce = np.mean if layer.cls == "GlobalAveragePooling1D" else np.max
    _check_kwargs(layer, kwargs)
    return ((lambda x: reduce(x, axis=1, keepdims=keepdims)),
            (1, channels) if keepdims else (channels,))


def _build_statistics_pooling1d(layer, shapes, kwargs):
    _, channels = _one_input(layer, shapes, ndim=2)
    epsilon = _FLOAT(layer.option("epsilon", 1e-5))
    _check_kwargs(layer, kwargs)

    def pool(x):
        mean = x.mean(axis=1)
        variance = np.square(x - mean[:, None]).mean(axis=1)
        return np.concatenate([mean, np.sqrt(variance + epsilon)], axis=-1)

    return pool, (None if channels is None else 2 * channels,)


def _build_attention_pooling1d(layer, shapes, kwargs):
    shape = _one_input(layer, shapes, ndim=2)
    channels = _channels(layer, shape)
    units = layer.int_option("units", 64)
    kernel, bias, vector = layer.weights([("score_kernel", (channels, units)),
                                          ("score_bias", (units,)),
                                          ("score_vector", (units, 1))])
    _check_kwargs(layer, kwargs)

    def pool(x):
        scores = _matmul_last(np.tanh(_matmul_last(x, kernel) + bias), vector)
        return (_softmax(scores, axis=1) * x).sum(axis=1)

    return pool, (channels,)


def _merge_fn(cls):
    def fold(op):
        def merge(*xs):
            out = xs[0]
            for x in xs[1:]:
                out = op(out, x)
            return out
        return merge

    return {
        "Add": fold(np.add),
        "Multiply": fold(np.multiply),
        "Maximum": fold(np.maximum),
        "Minimum": fold(np.minimum),
        "Average": lambda *xs: fold(np.add)(*xs) / _FLOAT(len(xs)),
        "Subtract": lambda a, b: a - b,
    }[cls]


def _build_merge(layer, shapes, kwargs):
    if layer.cls == "Subtract" and len(shapes) != 2:
        raise layer.malformed(f"is called on {len(shapes)} tensors instead of 2")
    shape = shapes[0]
    for other in shapes[1:]:
        shape = _merge_shapes(shape, other)
        if shape is None:
            raise layer.unsupported(f"merges tensors of shapes {shapes}",
                                    "only tensors of one shape")
    _check_kwargs(layer, kwargs)
    return _merge_fn(layer.cls), shape


def _build_concatenate(layer, shapes, kwargs):
    ndim = len(shapes[0])
    axis = layer.option("axis", -1)
    if (isinstance(axis, bool) or not isinstance(axis, Integral)
            or not -ndim <= axis <= ndim or axis == 0):
        raise layer.unsupported(f"has axis={axis!r}")
    axis = axis - 1 if axis > 0 else ndim + axis  # without the batch axis
    merged = list(shapes[0])
    for shape in shapes[1:]:
        if len(shape) != ndim:
            raise layer.malformed(f"concatenates tensors of different ranks: {shapes}")
        for i, dim in enumerate(shape):
            if i == axis:
                merged[i] = None if merged[i] is None or dim is None else merged[i] + dim
            else:
                merged[i] = _merge_dims(merged[i], dim)
                if merged[i] is False:
                    raise layer.malformed(f"concatenates tensors of shapes {shapes}")
    _check_kwargs(layer, kwargs)
    return (lambda *xs: np.concatenate(xs, axis=axis + 1)), tuple(merged)
