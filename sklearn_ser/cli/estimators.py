"""The estimators a command builds from its options (feature transformer, classifier).

The ``--features`` vocabulary and the classical pipelines live in :mod:`.features`.
"""

from __future__ import annotations

from .. import defaults
from ..frontend.augment import AUGMENTATIONS
from . import options
from .errors import CommandError
from .features import make_features

__all__ = ["augmentations", "cache_folder", "check_archs", "classifier_params",
           "make_transformer"]


def augmentations(values, *, per_clip=False):
    """``--augment`` as the transformer's ``augment``: names, or None for ``none``.

    Not given (None), it is the seed's five, or none for per-clip features (functionals).
    """
    if values is None and per_clip:
        return None
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


def make_transformer(args, features, augment, *, verbose=0):
    """The feature transformer of the feature options (``features``: parsed --features)."""
    return make_features(features, duration=args.duration, augment=augment,
                         n_jobs=args.n_jobs, random_state=args.random_state, verbose=verbose,
                         memory=cache_folder(args))


def cache_folder(args):
    """``--cache`` (compare only) as the transformers' ``memory``: a folder name, or None."""
    folder = getattr(args, "cache", None)
    return None if folder is None else str(options.check_output_dir(folder, "--cache"))
