"""Keras architectures for speech emotion recognition, selected by name.

A builder is a pure function ``(input_shape, n_classes, **hyperparameters) -> keras.Model``
mapping ``(batch, n_frames, n_features)`` sequences to softmax class probabilities.
:class:`~sklearn_ser.SERClassifier` picks one with ``arch=`` (a name from
:data:`ARCHITECTURES` or your own builder) and routes ``model__<name>`` parameters to it.
Importing this package registers the custom layers with Keras, which pickled models need.

Examples
--------
>>> from sklearn_ser.models import ARCHITECTURES, get_builder
>>> sorted(ARCHITECTURES)
['cnn', 'cnn_bilstm', 'cnn_bilstm_bigru_attention', 'cnn_gru', 'cnn_mha_bilstm_bigru']
>>> model = get_builder("cnn_gru")((94, 20), 6, filters=8, units=8)
>>> model.output_shape
(None, 6)
"""

from .architectures import (
    build_cnn,
    build_cnn_bilstm,
    build_cnn_bilstm_bigru_attention,
    build_cnn_gru,
    build_cnn_mha_bilstm_bigru,
)
from .layers import AttentionPooling1D, ClipCentering, StatisticsPooling1D
from .registry import ARCHITECTURES, HYPERPARAMETERS, builder_hyperparameters, get_builder

__all__ = [
    "ARCHITECTURES",
    "HYPERPARAMETERS",
    "AttentionPooling1D",
    "ClipCentering",
    "StatisticsPooling1D",
    "build_cnn",
    "build_cnn_bilstm",
    "build_cnn_bilstm_bigru_attention",
    "build_cnn_gru",
    "build_cnn_mha_bilstm_bigru",
    "builder_hyperparameters",
    "get_builder",
]
