"""The arithmetic the layers share, in float32 as Keras computes it."""

from __future__ import annotations

import numpy as np

_FLOAT = np.float32


# ----------------------------------------------------------------------------- numerics


def _sigmoid(x):
    # the tanh form cannot overflow in exp, and keeps float32
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_ACTIVATIONS = {
    "linear": None,
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softmax": _softmax,
}


def _matmul_last(x, w):
    """``x @ w`` over the last axis of ``x``, as one matrix product whatever its rank."""
    if x.ndim == 2:
        return x @ w
    return (x.reshape(-1, x.shape[-1]) @ w).reshape(*x.shape[:-1], w.shape[-1])


def _same_padding(n, size, stride):
    """TensorFlow's "same" padding: ``ceil(n / stride)`` outputs, the extra at the end."""
    out = -(-n // stride)
    total = max((out - 1) * stride + size - n, 0)
    return out, total // 2, total - total // 2
