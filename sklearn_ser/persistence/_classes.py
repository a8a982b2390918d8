"""Which estimators the safe format stores itself, and what each may tell it.

A class name read from a model file is looked up in :data:`NATIVE_CLASSES`, never imported
from the file's words. Persistence knows no estimator beyond this table; a native class may
tell it more:

``_persistence_derived`` (class attribute, tuple of str)
    Fitted attributes not stored, because loading rebuilds them.
``_persistence_restore()`` (method)
    Called on a loaded estimator once its parameters and attributes are set: rebuilds the
    derived attributes.
``_PERSISTENCE_STAND_INS`` (in the module the table names)
    ``{class name: {runtime: class name}}``: the class :func:`load` builds instead with a
    runtime other than Keras. The stand-in's classmethod
    ``_from_persistence_state(params, attributes)`` makes it from the stored parameters and
    fitted attributes (networks read by that runtime) and raises ValueError if they do not
    fit together. The module is imported, never the stored class, whose import may load
    the framework the runtime avoids.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["NATIVE_CLASSES", "TRUSTED_TYPES", "native_class", "native_name", "stand_in_class"]

#: Classes stored natively (public name -> module, class). Their children may be Keras models.
NATIVE_CLASSES = {
    "sklearn_ser.AudioFeatureTransformer": ("sklearn_ser.transformers.audio_features",
                                            "AudioFeatureTransformer"),
    "sklearn_ser.SERClassifier": ("sklearn_ser.classifier", "SERClassifier"),
    "sklearn_ser.OpenSmileTransformer": ("sklearn_ser.transformers.smile", "OpenSmileTransformer"),
    "sklearn_ser.SpeechEmbeddingTransformer": ("sklearn_ser.transformers.embeddings",
                                               "SpeechEmbeddingTransformer"),
    "sklearn_ser.WhisperTransformer": ("sklearn_ser.transformers.whisper", "WhisperTransformer"),
    # the head of the pretrained Whisper model: stored natively, loading it needs neither
    # skops nor what skops imports (scikit-learn's every estimator and, through its array
    # API support, PyTorch when installed)
    "sklearn.preprocessing.StandardScaler": ("sklearn.preprocessing", "StandardScaler"),
    "sklearn.linear_model.LogisticRegression": ("sklearn.linear_model", "LogisticRegression"),
    "sklearn.pipeline.Pipeline": ("sklearn.pipeline", "Pipeline"),
    "sklearn.pipeline.FeatureUnion": ("sklearn.pipeline", "FeatureUnion"),
    "sklearn.ensemble.VotingClassifier": ("sklearn.ensemble", "VotingClassifier"),
}

#: Types skops.io may rebuild beyond its own defaults (builtins, numpy, scipy, scikit-learn
#: estimators): the helpers that common classical steps keep after fitting. All are
#: scikit-learn's own; anything else in a skops member is refused, naming the type.
TRUSTED_TYPES = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.chi2",
    "sklearn.feature_selection._mutual_info.mutual_info_classif",
)

def native_name(obj) -> str | None:
    """The public name under which ``obj`` is stored natively, or None."""
    cls = type(obj)
    for name, (module, qualname) in NATIVE_CLASSES.items():
        # the module is loaded if an instance exists: no import (and no TensorFlow) needed
        mod = sys.modules.get(module)
        if mod is not None and getattr(mod, qualname, None) is cls:
            return name
    return None


def native_class(name: str):
    """The class of public name ``name`` (imported: only for a name of the table)."""
    module, qualname = NATIVE_CLASSES[name]
    return getattr(importlib.import_module(module), qualname)


def stand_in_class(name: str, runtime: str):
    """The class loaded in place of native class ``name`` with ``runtime``, or None."""
    module, qualname = NATIVE_CLASSES[name]
    package = importlib.import_module(module)
    stand_ins = getattr(package, "_PERSISTENCE_STAND_INS", {}).get(qualname, {})
    return getattr(package, stand_ins[runtime]) if runtime in stand_ins else None
