"""What a model file may not decide: parameters of the caller's machine, and method names.

A parameter naming a path, a cache, a download or network access is the business of whoever
loads the model, not of the file: a ``memory`` folder restored from a file makes joblib
unpickle whatever an attacker put in that folder, and a model folder or Hub id decides what
is read or downloaded. :data:`CALLER_PARAMS` lists them per class; :class:`CallerParams`
applies the rule while a file is decoded.
"""

from __future__ import annotations

import inspect

__all__ = ["CALLER_PARAMS", "CallerParams", "check_attribute"]

_CACHE = "a cache folder on this machine, whose files joblib unpickles"

#: Parameters never taken from a model file: public class name -> parameter -> what it names.
#: On load each one gets the value the caller passes in ``params`` (by its routed name, as
#: ``features__memory``), else its default. Those in :data:`MUST_BE_GIVEN` are refused
#: instead when the file recorded a value other than the default and the caller gave none,
#: since a default would silently change what the model computes.
CALLER_PARAMS = {
    "sklearn_ser.AudioFeatureTransformer": {"memory": _CACHE},
    "sklearn_ser.OpenSmileTransformer": {"memory": _CACHE},
    "sklearn_ser.SpeechEmbeddingTransformer": {
        "model": "the pretrained model to read from disk or download",
        "revision": "the revision of the pretrained model to download",
        "cache_dir": "the folder downloads are kept in",
        "local_files_only": "whether the network may be used",
    },
    "sklearn_ser.WhisperTransformer": {
        "model_dir": "the folder the weights are read from",
        "allow_download": "whether the network may be used",
    },
    "sklearn.pipeline.Pipeline": {"memory": _CACHE},
}
#: Caller parameters whose recorded value changes what the model computes.
MUST_BE_GIVEN = frozenset({("sklearn_ser.SpeechEmbeddingTransformer", "model"),
                           ("sklearn_ser.SpeechEmbeddingTransformer", "revision")})


def _defaults(cls) -> dict:
    return {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()
            if p.default is not p.empty}


class CallerParams:
    """The caller's values for :data:`CALLER_PARAMS`, applied estimator by estimator.

    Parameters
    ----------
    given : dict or None
        Routed name (``"features__memory"``) -> value, from ``load(..., params=...)``.
    fail : callable
        Raises the ModelFileError of the file being loaded, given a reason.
    """

    def __init__(self, given, fail):
        if given is None:
            given = {}
        if not isinstance(given, dict) or not all(isinstance(k, str) for k in given):
            raise TypeError("params must be a dict of routed parameter names (such as "
                            f"'features__memory') to values, got {type(given).__name__}.")
        self.given, self.fail, self.used = dict(given), fail, set()

    def apply(self, name: str, cls, params: dict, prefix: str) -> dict:
        """``params`` of one estimator with every caller parameter replaced."""
        restricted = CALLER_PARAMS.get(name, {})
        if not restricted:
            return params
        defaults = _defaults(cls)
        params = dict(params)
        for param, what in restricted.items():
            routed = f"{prefix}{param}"
            if routed in self.given:
                params[param] = self.given[routed]
                self.used.add(routed)
                continue
            default = defaults.get(param)
            recorded = params.get(param, default)
            if (name, param) in MUST_BE_GIVEN and recorded != default:
                self.fail(
                    f"records {routed}={recorded!r} for its {cls.__name__}: {what}, which a "
                    f"model file may not choose. If you trust it, pass it: sklearn_ser.load("
                    f"path, params={{{routed!r}: {recorded!r}}}).")
            if param in params:
                params[param] = default
        return params

    def check_all_used(self, path) -> None:
        """Refuse caller values that matched no parameter (a typo would go unnoticed)."""
        unused = sorted(set(self.given) - self.used)
        if unused:
            allowed = sorted(f"{c.rsplit('.', 1)[-1]}.{p}" for c, ps in CALLER_PARAMS.items()
                             for p in ps)
            raise ValueError(f"params names {unused}, which match no parameter of the "
                             f"estimators in '{path}' that the caller sets; those are "
                             f"{', '.join(allowed)}, by their routed names (as in "
                             "set_params).")


def check_attribute(cls, attr, fail) -> None:
    """Refuse a fitted attribute that is not a plain name, or that would shadow a method.

    An instance attribute named like a method (``transform``), a property or any other
    descriptor of the class replaces it for that object: the model would fail later with
    ``'str' object is not callable``, or run something the class never meant to.
    """
    if not (isinstance(attr, str) and attr.isidentifier()) or attr.startswith("__"):
        fail(f"has an invalid attribute name {attr!r} for {cls.__name__}.")
    static = inspect.getattr_static(cls, attr, None)
    if static is not None and (callable(static) or hasattr(static, "__get__")):
        fail(f"sets an attribute {attr!r} on {cls.__name__}, which is the name of one of its "
             "methods or properties; a saved model never does (the file was crafted or "
             "damaged).")
