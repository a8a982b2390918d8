"""Custom Keras layers of the architectures.

Every layer here is registered with :func:`keras.saving.register_keras_serializable` under the
``sklearn_ser`` package, so models that contain them survive ``model.save``, pickling and
joblib (scikeras pickles a Keras model by saving it) once this module has been imported.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["AttentionPooling1D"]


@keras.saving.register_keras_serializable(package="sklearn_ser")
class AttentionPooling1D(keras.layers.Layer):
    """Additive attention pooling over time: a learned weighted mean of the frames.

    Each frame ``h_t`` gets a score ``v . tanh(W h_t + b)``; a softmax over time turns the
    scores into weights and the output is ``sum_t weight_t * h_t``. Unlike global average
    pooling, the network learns which frames carry the emotion (stressed syllables, for
    example) and lets silence or padding count for little.

    Parameters
    ----------
    units : int, default=64
        Size of the hidden scoring layer ``W``.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input shape ``(batch, time, channels)``, output shape ``(batch, channels)``. A boolean
    mask over ``(batch, time)`` is honoured: masked frames get no weight.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.models import AttentionPooling1D
    >>> layer = AttentionPooling1D(units=8)
    >>> tuple(layer(np.ones((2, 5, 3), dtype="float32")).shape)
    (2, 3)
    """

    def __init__(self, units: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.supports_masking = True

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                "AttentionPooling1D needs a known number of channels (last input axis), "
                f"got input shape {input_shape}."
            )
        self.score_kernel = self.add_weight(
            name="score_kernel", shape=(channels, self.units), initializer="glorot_uniform"
        )
        self.score_bias = self.add_weight(name="score_bias", shape=(self.units,),
                                          initializer="zeros")
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units, 1), initializer="glorot_uniform"
        )

    def call(self, inputs, mask=None):
        hidden = ops.tanh(ops.matmul(inputs, self.score_kernel) + self.score_bias)
        scores = ops.matmul(hidden, self.score_vector)  # (batch, time, 1)
        if mask is not None:
            # masked frames get a large negative score, hence ~zero weight after the softmax
            keep = ops.expand_dims(ops.cast(mask, scores.dtype), axis=-1)
            scores = scores + (1.0 - keep) * -1e9
        # softmax over time written out: keras.ops.softmax warns on a one-frame axis, which
        # is a legitimate input here (2-D features are sequences of one frame)
        scores = ops.exp(scores - ops.max(scores, axis=1, keepdims=True))
        weights = scores / ops.sum(scores, axis=1, keepdims=True)
        return ops.sum(weights * inputs, axis=1)

    def compute_mask(self, inputs, mask=None):
        # the time axis is pooled away, so no mask propagates
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config
