"""Building blocks shared by the architectures, and the checks of their hyperparameters.

The blocks take and return Keras tensors (functional API), so an architecture reads as the
sequence of blocks it stacks.
"""

from __future__ import annotations

from numbers import Integral, Real

import keras

__all__ = [
    "check_fraction",
    "check_input_shape",
    "check_positive_int",
    "classification_head",
    "cnn_extractor",
    "conv_filters",
    "self_attention_block",
    "sequence_input",
]


def check_positive_int(name: str, value, *, allow_none: bool = False):
    """Return ``value`` as int if it is a positive integer, else raise a ValueError naming it."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"Hyperparameter '{name}' must be a positive integer, got {value!r}.")
    return int(value)


def check_fraction(name: str, value) -> float:
    """Return ``value`` as float if it lies in [0, 1), else raise a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < 1:
        raise ValueError(f"Hyperparameter '{name}' must be a float in [0, 1), got {value!r}.")
    return float(value)


def conv_filters(filters) -> tuple[int, ...]:
    """Normalise ``filters`` (an int or a sequence of ints, one per conv block) to a tuple."""
    if isinstance(filters, Integral) and not isinstance(filters, bool):
        filters = (filters,)
    try:
        filters = tuple(filters)
    except TypeError:
        raise ValueError(
            "Hyperparameter 'filters' must be a positive integer or a non-empty sequence of "
            f"positive integers (one convolution block each), got {filters!r}."
        ) from None
    if not filters:
        raise ValueError("Hyperparameter 'filters' must name at least one convolution block.")
    return tuple(check_positive_int("filters", f) for f in filters)


def check_input_shape(input_shape) -> tuple:
    """Validate ``(n_frames, n_features)``; ``n_frames`` may be None (any length)."""
    try:
        n_frames, n_features = input_shape
    except (TypeError, ValueError):
        raise ValueError(
            f"input_shape must be (n_frames, n_features), got {input_shape!r}."
        ) from None
    if n_frames is not None:
        n_frames = check_positive_int("input_shape[0] (n_frames)", n_frames)
    n_features = check_positive_int("input_shape[1] (n_features)", n_features)
    return n_frames, n_features


def sequence_input(input_shape) -> keras.KerasTensor:
    """The model input: a batch of ``(n_frames, n_features)`` sequences."""
    return keras.Input(shape=check_input_shape(input_shape), name="frames")


def cnn_extractor(x, *, filters, kernel_size, pool_size, dropout):
    """Convolution blocks over time: Conv1D -> BatchNorm -> ReLU -> MaxPool -> Dropout.

    The convolution has no bias because the batch normalisation that follows has its own
    shift. Pooling uses ``padding="same"`` so that short sequences (down to a single frame)
    still pass through every block.
    """
    kernel_size = check_positive_int("kernel_size", kernel_size)
    pool_size = check_positive_int("pool_size", pool_size)
    dropout = check_fraction("dropout", dropout)
    for i, n_filters in enumerate(conv_filters(filters), start=1):
        x = keras.layers.Conv1D(n_filters, kernel_size, padding="same", use_bias=False,
                                name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = keras.layers.Activation("relu", name=f"conv{i}_relu")(x)
        if pool_size > 1:
            x = keras.layers.MaxPooling1D(pool_size, padding="same", name=f"conv{i}_pool")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"conv{i}_dropout")(x)
    return x


def self_attention_block(x, *, heads, key_dim, dropout):
    """Multi-head self-attention over time with a residual connection and LayerNorm."""
    heads = check_positive_int("heads", heads)
    key_dim = check_positive_int("key_dim", key_dim)
    dropout = check_fraction("dropout", dropout)
    attended = keras.layers.MultiHeadAttention(
        num_heads=heads, key_dim=key_dim, dropout=dropout, name="self_attention"
    )(x, x)
    x = keras.layers.Add(name="self_attention_residual")([x, attended])
    return keras.layers.LayerNormalization(name="self_attention_norm")(x)


def classification_head(x, n_classes, *, dense_units, dropout):
    """Optional hidden Dense layer, then softmax probabilities over ``n_classes``."""
    n_classes = check_positive_int("n_classes", n_classes)
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}.")
    dense_units = check_positive_int("dense_units", dense_units, allow_none=True)
    dropout = check_fraction("dropout", dropout)
    if dense_units:
        x = keras.layers.Dense(dense_units, activation="relu", name="dense")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="dense_dropout")(x)
    # float32 output keeps the probabilities exact under a mixed-precision policy
    return keras.layers.Dense(n_classes, activation="softmax", dtype="float32",
                              name="probabilities")(x)
