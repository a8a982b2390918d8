"""Custom Keras layers of the architectures.

Every layer here is registered with :func:`keras.saving.register_keras_serializable` under the
``sklearn_ser`` package, so models that contain them survive ``model.save``, pickling and
joblib (scikeras pickles a Keras model by saving it) once this module has been imported.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["AttentionPooling1D", "ClipCentering", "StatisticsPooling1D"]


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


@keras.saving.register_keras_serializable(package="sklearn_ser")
class ClipCentering(keras.layers.Layer):
    """Subtract each clip's own mean over time from every feature.

    On log-mel or cepstral features the per-clip mean is mostly the recording channel and the
    speaker's vocal tract (microphone, room, timbre), which differ between corpora and speakers
    while the emotion lives in how the features move over time. Removing it is cepstral mean
    normalisation; on EmoDB with held-out speakers it lifts the unweighted average recall of
    ``cnn_gru`` from 0.60 to 0.70 (``benchmarks/accuracy/README.md``).

    Parameters
    ----------
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input and output shape ``(batch, time, features)``; no weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.models import ClipCentering
    >>> x = np.array([[[1.0, 10.0], [3.0, 20.0]]], dtype="float32")
    >>> np.asarray(ClipCentering()(x)).tolist()
    [[[-1.0, -5.0], [1.0, 5.0]]]
    """

    def call(self, inputs):
        return inputs - ops.mean(inputs, axis=1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="sklearn_ser")
class StatisticsPooling1D(keras.layers.Layer):
    """Mean and standard deviation over time, concatenated (x-vector style statistics pooling).

    The standard deviation sees how much a channel varies within the clip (the range of the
    pitch contour, the alternation of loud and soft syllables), which a mean or a last
    recurrent state blurs.

    Parameters
    ----------
    epsilon : float, default=1e-5
        Added to the variance before the square root, which keeps the gradient finite for a
        constant channel.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input shape ``(batch, time, channels)``, output shape ``(batch, 2 * channels)``: the
    means, then the standard deviations.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.models import StatisticsPooling1D
    >>> x = np.array([[[1.0], [3.0]]], dtype="float32")
    >>> np.round(np.asarray(StatisticsPooling1D(epsilon=0.0)(x)), 3).tolist()
    [[2.0, 1.0]]
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        mean = ops.mean(inputs, axis=1)
        variance = ops.mean(ops.square(inputs - ops.expand_dims(mean, axis=1)), axis=1)
        return ops.concatenate([mean, ops.sqrt(variance + self.epsilon)], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return (input_shape[0], None if channels is None else 2 * channels)

    def get_config(self):
        config = super().get_config()
        config["epsilon"] = self.epsilon
        return config
