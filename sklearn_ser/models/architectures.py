"""The five architectures of the seed recipe, as pure Keras 3 functional builders.

Every builder has the signature ``builder(input_shape, n_classes, **hyperparameters)`` and
returns a new, uncompiled :class:`keras.Model` mapping ``(batch, n_frames, n_features)``
sequences to softmax probabilities ``(batch, n_classes)``. ``n_frames`` may be None: every
architecture pools or summarises time, so one model accepts any sequence length.

The hyperparameters share one vocabulary, so a grid over architectures can keep the same
settings; each builder takes only the ones its layers use:

========================  ============================================================
``filters``               int or sequence of ints: one convolution block per entry
``kernel_size``           convolution width in frames
``pool_size``             max-pooling factor over time after each block (1: none)
``dropout``               dropout rate after each block and in the head
``units``                 recurrent units (per direction) and attention-pooling size
``heads``, ``key_dim``    multi-head self-attention
``dense_units``           hidden Dense layer of the head (None: straight to softmax)
``bidirectional``         ``cnn_gru``: read the sequence both ways
``pooling``               ``cnn_gru``: summarise time by statistics or the last state
========================  ============================================================

Trainable parameters with the defaults, for 94 frames x 20 features and 6 classes (measured
with ``benchmarks/bench_training.py``):

==============================  ==========
``cnn``                           64,582
``cnn_gru``                       79,622
``cnn_bilstm``                   155,206
``cnn_bilstm_bigru_attention``   238,022
``cnn_mha_bilstm_bigru``         263,046
==============================  ==========
"""

from __future__ import annotations

import keras

from .blocks import (
    check_positive_int,
    classification_head,
    cnn_extractor,
    self_attention_block,
    sequence_input,
)
from .layers import AttentionPooling1D, StatisticsPooling1D

__all__ = [
    "build_cnn",
    "build_cnn_bilstm",
    "build_cnn_bilstm_bigru_attention",
    "build_cnn_gru",
    "build_cnn_mha_bilstm_bigru",
]

def _cnn_front(input_shape, filters, kernel_size, pool_size, dropout):
    """The input and the convolution blocks every architecture starts with."""
    inputs = sequence_input(input_shape)
    return inputs, cnn_extractor(inputs, filters=filters, kernel_size=kernel_size,
                                 pool_size=pool_size, dropout=dropout)


def _head(inputs, x, n_classes, dense_units, dropout, *, name):
    """The classification head on the clip summary ``x``, and the finished model."""
    outputs = classification_head(x, n_classes, dense_units=dense_units, dropout=dropout)
    return keras.Model(inputs, outputs, name=name)


def _bidirectional(layer_cls, units, *, return_sequences, name):
    units = check_positive_int("units", units)
    return keras.layers.Bidirectional(
        layer_cls(units, return_sequences=return_sequences), name=name
    )


def build_cnn(input_shape, n_classes, *, filters=(64, 128), kernel_size=5, pool_size=2,
              dropout=0.3, dense_units=64):
    """CNN only (seed Model 2): convolution blocks, then global average and max pooling.

    Parameters
    ----------
    input_shape : tuple of (int or None, int)
        ``(n_frames, n_features)`` of one clip; ``n_frames`` may be None.
    n_classes : int
        Number of classes (at least 2).
    filters : int or sequence of int, default=(64, 128)
        Output channels of each convolution block.
    kernel_size : int, default=5
        Convolution width in frames.
    pool_size : int, default=2
        Max-pooling factor over time after each block.
    dropout : float, default=0.3
        Dropout rate after each block and after the hidden Dense layer.
    dense_units : int or None, default=64
        Width of the hidden Dense layer; None goes straight to the softmax.

    Returns
    -------
    model : keras.Model
        Uncompiled; 64,582 trainable parameters with the defaults for (94, 20) and 6 classes.

    Examples
    --------
    >>> from sklearn_ser.models import build_cnn
    >>> model = build_cnn((94, 20), 6, filters=(8, 16), dense_units=None)
    >>> model.output_shape
    (None, 6)
    """
    inputs, x = _cnn_front(input_shape, filters, kernel_size, pool_size, dropout)
    # average pooling summarises the whole clip, max pooling keeps short salient events
    x = keras.layers.Concatenate(name="global_pool")([
        keras.layers.GlobalAveragePooling1D(name="global_avg")(x),
        keras.layers.GlobalMaxPooling1D(name="global_max")(x),
    ])
    return _head(inputs, x, n_classes, dense_units, dropout, name="cnn")


def build_cnn_bilstm(input_shape, n_classes, *, filters=(64, 128), kernel_size=5, pool_size=2,
                     dropout=0.3, units=64, dense_units=64):
    """CNN + bidirectional LSTM (seed Model 3): the LSTM's last states summarise the clip.

    Parameters
    ----------
    input_shape, n_classes, filters, kernel_size, pool_size, dropout, dense_units
        As in :func:`build_cnn`.
    units : int, default=64
        LSTM units per direction.

    Returns
    -------
    model : keras.Model
        Uncompiled; 155,206 trainable parameters with the defaults for (94, 20) and 6 classes.

    Examples
    --------
    >>> from sklearn_ser.models import build_cnn_bilstm
    >>> build_cnn_bilstm((94, 20), 4, filters=8, units=8).output_shape
    (None, 4)
    """
    inputs, x = _cnn_front(input_shape, filters, kernel_size, pool_size, dropout)
    x = _bidirectional(keras.layers.LSTM, units, return_sequences=False, name="bilstm")(x)
    return _head(inputs, x, n_classes, dense_units, dropout, name="cnn_bilstm")


def build_cnn_gru(input_shape, n_classes, *, filters=(64, 128), kernel_size=5, pool_size=2,
                  dropout=0.3, units=32, bidirectional=True, pooling="stats",
                  dense_units=None):
    """CNN + GRU (seed Model 4), tuned for held-out speakers: the library's default.

    The convolution blocks see short-time spectral patterns, a GRU reads them in order and
    the clip is summarised by the mean and standard deviation of the GRU's outputs over time
    (:class:`~sklearn_ser.models.StatisticsPooling1D`). The seed summarised it by the GRU's
    last state; with statistics pooling and a bidirectional GRU of 32 units the
    speaker-independent recall on EmoDB is higher and the model smaller (the experiments
    are in ``benchmarks/accuracy/``).

    Parameters
    ----------
    input_shape, n_classes, filters, kernel_size, pool_size, dropout
        As in :func:`build_cnn`.
    units : int, default=32
        GRU units (per direction when bidirectional).
    bidirectional : bool, default=True
        Read the sequence in both directions.
    pooling : {"stats", "last"}, default="stats"
        ``"stats"``: mean and standard deviation of the GRU outputs over time, then dropout;
        ``"last"``: the GRU's final state (the seed's Model 4).
    dense_units : int or None, default=None
        Width of a hidden Dense layer before the softmax; None goes straight to it.

    Returns
    -------
    model : keras.Model
        Uncompiled; 79,622 trainable parameters with the defaults for (94, 20) and 6 classes.

    Examples
    --------
    >>> from sklearn_ser.models import build_cnn_gru
    >>> build_cnn_gru((94, 20), 6, filters=8, units=8).output_shape
    (None, 6)
    >>> build_cnn_gru((94, 20), 6, filters=8, units=8, bidirectional=False,
    ...               pooling="last", dense_units=16).output_shape
    (None, 6)
    """
    if pooling not in ("stats", "last"):
        raise ValueError(f"Hyperparameter 'pooling' must be 'stats' or 'last', got {pooling!r}.")
    if not isinstance(bidirectional, bool):
        raise ValueError(
            f"Hyperparameter 'bidirectional' must be True or False, got {bidirectional!r}."
        )
    inputs, x = _cnn_front(input_shape, filters, kernel_size, pool_size, dropout)
    sequences = pooling == "stats"
    gru = keras.layers.GRU(check_positive_int("units", units), return_sequences=sequences,
                           name="gru")
    x = (keras.layers.Bidirectional(gru, name="bigru") if bidirectional else gru)(x)
    if sequences:
        x = StatisticsPooling1D(name="stats_pool")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="pool_dropout")(x)
    return _head(inputs, x, n_classes, dense_units, dropout, name="cnn_gru")


def build_cnn_bilstm_bigru_attention(input_shape, n_classes, *, filters=(64, 128),
                                     kernel_size=5, pool_size=2, dropout=0.3, units=64,
                                     dense_units=64):
    """CNN + BiLSTM + BiGRU + attention pooling over time (seed Model 1).

    Parameters
    ----------
    input_shape, n_classes, filters, kernel_size, pool_size, dropout, dense_units
        As in :func:`build_cnn`.
    units : int, default=64
        LSTM and GRU units per direction, and size of the attention scoring layer.

    Returns
    -------
    model : keras.Model
        Uncompiled; 238,022 trainable parameters with the defaults for (94, 20) and 6 classes.

    Examples
    --------
    >>> from sklearn_ser.models import build_cnn_bilstm_bigru_attention
    >>> build_cnn_bilstm_bigru_attention((94, 20), 6, filters=8, units=8).output_shape
    (None, 6)
    """
    inputs, x = _cnn_front(input_shape, filters, kernel_size, pool_size, dropout)
    x = _bidirectional(keras.layers.LSTM, units, return_sequences=True, name="bilstm")(x)
    x = _bidirectional(keras.layers.GRU, units, return_sequences=True, name="bigru")(x)
    x = AttentionPooling1D(units, name="attention_pool")(x)
    return _head(inputs, x, n_classes, dense_units, dropout, name="cnn_bilstm_bigru_attention")


def build_cnn_mha_bilstm_bigru(input_shape, n_classes, *, filters=(64, 128), kernel_size=5,
                               pool_size=2, dropout=0.3, heads=4, key_dim=16, units=64,
                               dense_units=64):
    """CNN + multi-head self-attention + BiLSTM + BiGRU (seed Model 5).

    The self-attention block (residual connection and LayerNorm) lets every frame look at
    the whole clip before the recurrent layers; the BiGRU's last states summarise it.

    Parameters
    ----------
    input_shape, n_classes, filters, kernel_size, pool_size, dropout, dense_units
        As in :func:`build_cnn`.
    heads : int, default=4
        Attention heads.
    key_dim : int, default=16
        Size of each head's queries and keys.
    units : int, default=64
        LSTM and GRU units per direction.

    Returns
    -------
    model : keras.Model
        Uncompiled; 263,046 trainable parameters with the defaults for (94, 20) and 6 classes.

    Examples
    --------
    >>> from sklearn_ser.models import build_cnn_mha_bilstm_bigru
    >>> build_cnn_mha_bilstm_bigru((94, 20), 6, filters=8, heads=2, key_dim=4,
    ...                            units=8).output_shape
    (None, 6)
    """
    inputs, x = _cnn_front(input_shape, filters, kernel_size, pool_size, dropout)
    x = self_attention_block(x, heads=heads, key_dim=key_dim, dropout=dropout)
    x = _bidirectional(keras.layers.LSTM, units, return_sequences=True, name="bilstm")(x)
    x = _bidirectional(keras.layers.GRU, units, return_sequences=False, name="bigru")(x)
    return _head(inputs, x, n_classes, dense_units, dropout, name="cnn_mha_bilstm_bigru")
