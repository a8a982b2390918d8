"""``--features`` and ``--baselines``: which features a command extracts, and classical rows.

The vocabulary, judged before any data is loaded:

- ``mel``: the library's frame features (:class:`~sklearn_ser.AudioFeatureTransformer`),
  what the deep architectures learn from by default.
- ``smile-lld:SET``: openSMILE's low-level descriptors of ``SET`` (e.g. ``eGeMAPSv02``), frame
  sequences of ``--duration`` for the deep architectures, augmentable like ``mel``.
- ``egemaps``, ``compare``, ``smile:SET``: openSMILE functionals (eGeMAPSv02, ComParE_2016, any
  set), one vector per whole clip, as papers report them; a classical estimator learns from
  them (``train``; ``compare --baselines``).

A baseline is ``FUNCTIONALS+ESTIMATOR`` (``compare+logreg``, ``egemaps+svc``): StandardScaler
and the estimator of :data:`ESTIMATORS` on those functionals. openSMILE is an optional extra;
asking for it without the package is a one-line error saying how to install it.
``whisper+logreg`` is :func:`sklearn_ser.pretrained.recipe` (Whisper's encoder pooled over
each whole clip); ``whisper+svc`` the same features with the SVC.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import defaults
from .errors import CommandError

__all__ = ["ESTIMATORS", "FUNCTIONALS", "FeatureSet", "baseline_pipelines",
           "classical_pipeline", "make_features", "parse_baseline", "parse_features"]

#: Short names of openSMILE functionals sets.
FUNCTIONALS = {"egemaps": "eGeMAPSv02", "compare": "ComParE_2016"}
#: Classical estimators behind StandardScaler, by name, with the regularisation found best on
#: EmoDB's held-out speakers with ComParE_2016 (the figures are in docs/accuracy.rst).
ESTIMATORS = ("logreg", "svc")
#: The baseline features of the pretrained recipe: Whisper's encoder pooled per clip.
WHISPER = "whisper"
_SMILE, _SMILE_LLD = "smile:", "smile-lld:"
_SYNTAX = (f"'mel', 'smile-lld:SET', {', '.join(repr(k) for k in FUNCTIONALS)} or "
           "'smile:SET' (SET: an openSMILE feature set such as eGeMAPSv02)")


@dataclass(frozen=True)
class FeatureSet:
    """A parsed ``--features`` value: ``kind`` is "frames" (mel), "lld" or "functionals"."""

    text: str
    kind: str
    smile_set: str | None = None

    @property
    def per_clip(self) -> bool:
        """One vector per clip (functionals): for classical estimators, not for the networks."""
        return self.kind == "functionals"

    def describe(self) -> str:
        if self.kind == WHISPER:
            return "Whisper base encoder, mean and std over each clip"
        if self.kind == "frames":
            return "mel (AudioFeatureTransformer frame features)"
        what = "functionals" if self.per_clip else "low-level descriptors"
        return f"openSMILE {self.smile_set} {what}"


def _smile_set(name, option, text):
    """openSMILE's spelling of a feature set (any case), or a one-line error."""
    try:
        import opensmile
    except ImportError as exc:
        raise CommandError(f"{option} {text} needs openSMILE, an optional extra: "
                           "pip install 'sklearn-ser[opensmile]'.") from exc
    known = list(opensmile.FeatureSet.__members__)
    by_lower = {k.lower(): k for k in known}
    if name.lower() not in by_lower:
        raise CommandError(f"{option} {text}: unknown openSMILE feature set {name!r}; "
                           f"choose from {', '.join(known)}.")
    return by_lower[name.lower()]


def parse_features(text, option="--features", *, also=()) -> FeatureSet:
    """``text`` as a :class:`FeatureSet`; an openSMILE set is checked against the package.

    ``also`` names further choices the command accepts itself (they are only listed in the
    error of an unknown set).
    """
    lowered = text.strip().lower()
    if lowered == "mel":
        return FeatureSet(text, "frames")
    if lowered in FUNCTIONALS:
        return FeatureSet(text, "functionals", _smile_set(FUNCTIONALS[lowered], option, text))
    for prefix, kind in ((_SMILE_LLD, "lld"), (_SMILE, "functionals")):
        if lowered.startswith(prefix) and lowered[len(prefix):]:
            return FeatureSet(text, kind, _smile_set(text.strip()[len(prefix):], option, text))
    choices = "".join(f"{c!r}, " for c in also) + _SYNTAX
    raise CommandError(f"{option}: unknown feature set {text!r}; choose from {choices}.")


def make_features(features: FeatureSet, *, duration, augment, n_jobs, random_state,
                  verbose=0, memory=None):
    """The feature transformer of a :class:`FeatureSet` (its first pipeline step).

    ``memory`` (a folder) caches the features of each clip (``compare --cache``).
    """
    from ..transformers.audio_features import AudioFeatureTransformer

    if features.kind == "frames":
        return AudioFeatureTransformer(duration=duration, augment=augment, n_jobs=n_jobs,
                                       random_state=random_state, verbose=verbose,
                                       memory=memory)
    from ..transformers.smile import OpenSmileTransformer

    if features.per_clip:
        if augment:
            raise CommandError(
                f"--augment: openSMILE functionals ({features.text}) are one vector per clip "
                "and cannot carry augmented views; use --augment none, or frame features "
                "(mel, smile-lld:SET).")
        # each whole clip at its own rate: the functionals papers report (process_file's)
        return OpenSmileTransformer(features.smile_set, input_sr=defaults.SAMPLE_RATE,
                                    n_jobs=n_jobs, verbose=verbose, memory=memory)
    # sequences of a fixed length at one rate (a whole number of frames for every corpus),
    # trimmed like the mel frames so that the same --duration holds the same speech
    return OpenSmileTransformer(features.smile_set, level="lld", sr=defaults.SAMPLE_RATE,
                                duration=duration, top_db=defaults.TOP_DB,
                                augment=augment, n_jobs=n_jobs, random_state=random_state,
                                verbose=verbose, memory=memory)


def classical_pipeline(features: FeatureSet, estimator: str, *, n_jobs=None,
                       random_state=None, verbose=0, memory=None):
    """``Pipeline([features, StandardScaler, estimator])`` on openSMILE functionals, or the
    pretrained recipe's pipeline on Whisper's pooled encoder (``whisper``)."""
    from ..transformers.smile import make_functionals_pipeline

    final = None  # the logistic regression of defaults.FUNCTIONALS_C, or the recipe's
    if estimator == "svc":
        from sklearn.svm import SVC

        final = SVC(class_weight="balanced", random_state=random_state)
    if features.kind == WHISPER:
        from ..pretrained import recipe

        model = recipe(random_state=random_state, verbose=verbose)
        return model if final is None else model.set_params(clf=final)
    return make_functionals_pipeline(features.smile_set, estimator=final,
                                     input_sr=defaults.SAMPLE_RATE, n_jobs=n_jobs,
                                     verbose=verbose, memory=memory)


def parse_baseline(text, option="--baselines") -> tuple[FeatureSet, str]:
    """``FUNCTIONALS+ESTIMATOR`` as (features, estimator name)."""
    features, plus, estimator = text.strip().rpartition("+")
    if not plus or estimator.lower() not in ESTIMATORS or not features:
        raise CommandError(
            f"{option}: {text!r} is not FEATURES+ESTIMATOR; FEATURES: "
            f"{', '.join(FUNCTIONALS)}, smile:SET (openSMILE functionals) or {WHISPER} "
            f"(Whisper's encoder, pooled), ESTIMATOR: {', '.join(ESTIMATORS)} (e.g. "
            "compare+logreg).")
    if features.strip().lower() == WHISPER:
        return FeatureSet(features, WHISPER), estimator.lower()
    parsed = parse_features(features, option)
    if not parsed.per_clip:
        raise CommandError(f"{option} {text}: a baseline learns from openSMILE functionals "
                           f"({', '.join(FUNCTIONALS)}, smile:SET) or {WHISPER}, not from "
                           f"{features}.")
    return parsed, estimator.lower()


def baseline_pipelines(texts, *, n_jobs=None, random_state=None, memory=None) -> dict:
    """The classical pipelines of ``--baselines``, by the name the user gave.

    With ``memory``, baselines on the same functionals share the cached features.
    """
    texts = list(texts or [])
    if len({t.strip().lower() for t in texts}) != len(texts):
        raise CommandError(f"--baselines names the same baseline twice: {' '.join(texts)}.")
    return {t.strip(): classical_pipeline(*parse_baseline(t), n_jobs=n_jobs,
                                          random_state=random_state, memory=memory)
            for t in texts}
