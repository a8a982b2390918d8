"""The estimators a command builds from its options (feature transformer, classifier)."""

from __future__ import annotations

from .. import defaults
from ..augment import AUGMENTATIONS
from . import options
from .errors import CommandError

__all__ = ["augmentations", "check_archs", "classifier_params", "make_transformer"]


def augmentations(values):
    """``--augment`` as the transformer's ``augment``: names, or None for ``none``."""
    values = list(values or [])
    if not values:
        return tuple(defaults.AUGMENTATIONS)
    if "none" in [v.lower() for v in values]:
        if len(values) > 1:
            raise CommandError("--augment 'none' cannot be combined with augmentation names.")
        return None
    return tuple(options.names(values, AUGMENTATIONS, option="--augment",
                               what="augmentation", alternatives=["none"]))


def check_archs(names, option):
    """Architecture names, judged against :data:`sklearn_ser.defaults.ARCHITECTURE_NAMES`
    so that a typo is reported before Keras is imported."""
    return options.names(names, defaults.ARCHITECTURE_NAMES, option=option,
                         what="architecture")


def classifier_params(args) -> dict:
    """Parameters of every :class:`~sklearn_ser.SERClassifier` the command trains."""
    params = {"epochs": args.epochs, "batch_size": args.batch_size,
              "validation_fraction": args.validation_fraction,
              "random_state": args.random_state}
    if args.learning_rate is not None:
        params["optimizer__learning_rate"] = args.learning_rate
    return params


def make_transformer(args, augment, *, verbose=0):
    """The :class:`~sklearn_ser.AudioFeatureTransformer` of the feature options."""
    from ..transformer import AudioFeatureTransformer

    return AudioFeatureTransformer(duration=args.duration, augment=augment,
                                   n_jobs=args.n_jobs, random_state=args.random_state,
                                   verbose=verbose)
