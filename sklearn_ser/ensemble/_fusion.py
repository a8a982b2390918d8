"""The fusion of the deep default and openSMILE functionals: :func:`make_fusion_classifier`."""

from __future__ import annotations

from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import Pipeline

from .. import defaults
from ..classifier import SERClassifier
from ..transformers.audio_features import AudioFeatureTransformer
from ..transformers.smile import make_functionals_pipeline

__all__ = ["make_fusion_classifier"]


def make_fusion_classifier(*, augment=defaults.AUGMENTATIONS, arch=defaults.ARCHITECTURE,
                           feature_set=defaults.FUSION_FEATURE_SET, C=defaults.FUNCTIONALS_C,
                           weights=None, n_jobs=None, random_state=None):
    """A soft-voting fusion of the deep default and openSMILE functionals, on audio.

    Returns an unfitted :class:`~sklearn.ensemble.VotingClassifier` (``voting="soft"``) of

    - ``"deep"``: ``Pipeline([("features", AudioFeatureTransformer(augment=augment)),
      ("clf", SERClassifier(arch))])``, the library's target pipeline;
    - ``"compare"``: :func:`~sklearn_ser.transformers.smile.make_functionals_pipeline`, i.e.
      ``Pipeline([("features", OpenSmileTransformer(feature_set)), ("scale",
      StandardScaler()), ("clf", LogisticRegression(C, class_weight="balanced"))])``.

    Both take the same inputs (audio paths or waveforms, as
    :class:`~sklearn_ser.AudioFeatureTransformer`), so the fusion does too; its
    ``predict_proba`` is the (weighted) mean of theirs. The openSMILE member needs
    ``pip install sklearn-ser[opensmile]``; the error at ``fit`` says so.

    Parameters
    ----------
    augment : tuple of str or None, default=the five seed augmentations
        Training-time augmentations of the deep member (its transformer's ``augment``).
    arch : str, default="cnn_gru"
        Architecture of the deep member.
    feature_set : str, default="ComParE_2016"
        openSMILE feature set of the classic member.
    C : float, default=0.1
        Inverse regularisation strength of the logistic regression.
    weights : sequence of 2 floats or None, default=None
        Weights of (deep, compare) in the mean of probabilities; None weighs them equally,
        which is what was measured: choose other weights on validation speakers only.
    n_jobs : int or None, default=None
        Processes for the feature extraction of both members.
    random_state : int, RandomState instance or None, default=None
        Seeds the deep member's augmentations and training (the logistic regression's lbfgs
        solver is deterministic).

    Returns
    -------
    fusion : sklearn.ensemble.VotingClassifier
        Unfitted; ``named_estimators["deep"]`` and ``named_estimators["compare"]`` are its
        members.

    Examples
    --------
    >>> from sklearn_ser.ensemble import make_fusion_classifier
    >>> fusion = make_fusion_classifier(random_state=0)
    >>> [name for name, _ in fusion.estimators], fusion.voting
    (['deep', 'compare'], 'soft')
    >>> fusion.set_params(deep__clf__epochs=10).get_params()["deep__clf__epochs"]
    10
    >>> fusion.get_params()["compare__clf__C"]
    0.1
    """
    deep = Pipeline([
        ("features", AudioFeatureTransformer(augment=augment, n_jobs=n_jobs,
                                             random_state=random_state)),
        ("clf", SERClassifier(arch, random_state=random_state)),
    ])
    compare = make_functionals_pipeline(feature_set, C=C, n_jobs=n_jobs)
    return VotingClassifier([("deep", deep), ("compare", compare)], voting="soft",
                            weights=weights)
