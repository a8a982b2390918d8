"""Docstring sections that several public objects share, written once.

A docstring names a shared section by a line that holds only ``{{name}}``; :func:`fill_doc`
puts the section there, indented like the placeholder, when the module is imported. Sphinx,
``help()`` and ``--doctest-modules`` all read the filled ``__doc__``. An unknown name is an
error at import time, so a typo cannot reach the rendered docs. The corpus loaders add their
own sections, filled from the corpus registry (:mod:`sklearn_ser.datasets._docs`).

This module imports nothing from the package, so that any module can use it.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Mapping

__all__ = ["SECTIONS", "fill_doc", "fill_sections"]

_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)\{\{(?P<key>\w+)\}\}[ ]*$", re.MULTILINE)

_CLIPS = """\
X : sequence of path-like, list of 1-D arrays, or ndarray of shape (n_samples, n_audio)
    Audio clips."""

_FEATURES = """\
X : array-like of shape (n_samples, n_frames, n_features) or (n_samples, n_features)
    Clean feature sequences (no views axis), shaped as in ``fit``."""

_AUGMENTATION = """\
y : ndarray of shape (n_samples,)
    Mono waveform.
sr : int
    Its sample rate in Hz.
rng : numpy.random.Generator
    Source of every random draw, so that a seed reproduces the view."""

#: The shared sections, by placeholder name.
SECTIONS: Mapping[str, str] = {
    # the front-end parameters every audio transformer has, whole (name, type, default)
    "pad_mode": (
        'pad_mode : {"constant", "wrap"}, default="constant"\n'
        "    How a clip shorter than ``duration`` (after trimming) is filled: ``\"constant\"``\n"
        "    appends silence, ``\"wrap\"`` repeats it from its start."
    ),
    "truncated": (
        'truncated : {"error", "warn"}, default="error"\n'
        "    A file holding fewer samples than its header declares (cut short by a failed copy\n"
        "    or download, or forged) raises an\n"
        "    :class:`~sklearn_ser.frontend.decode.AudioInputError` naming it; ``\"warn\"`` uses\n"
        "    the samples present and warns."
    ),
    # the audio transformers' fit, transform and fit_transform
    "clips_parameters": "Parameters\n----------\n" + _CLIPS,
    "clips_fit_parameters": "Parameters\n----------\n" + _CLIPS + "\ny : None\n    Ignored.",
    # fit_transform of a transformer with augmented views (see AudioFeatureTransformer's note)
    "views_fit_transform": (
        "With ``augment`` set the output has an extra views axis, ``(n_samples, n_views,\n"
        "n_frames, n_features)``, view 0 being the clean clip; without it, the output equals\n"
        "``fit(X).transform(X)``."
    ),
    # SERClassifier's predict side
    "features_parameters": "Parameters\n----------\n" + _FEATURES,
    # the augmentations' common signature f(y, sr, rng, **params)
    "augmentation_parameters": "Parameters\n----------\n" + _AUGMENTATION,
}


def fill_sections(doc: str | None, sections: Mapping[str, str]) -> str | None:
    """``doc`` with each ``{{name}}`` line replaced by ``sections[name]``, indented like it."""
    if doc is None:  # python -OO strips docstrings
        return None

    def fill(match: re.Match) -> str:
        key = match["key"]
        if key not in sections:
            raise KeyError(f"unknown docstring section {key!r}; known: {sorted(sections)}")
        return textwrap.indent(sections[key], match["indent"], lambda line: line.strip())

    return _PLACEHOLDER.sub(fill, doc)


def _class_sections(cls) -> dict[str, str]:
    """The sections that name the class they are filled into."""
    fit_parameters = SECTIONS["clips_fit_parameters"]
    return {
        "clips_fit_sections": f"{fit_parameters}\n\nReturns\n-------\nself : {cls.__name__}\n"
        "    This estimator, fitted.",
    }


def fill_doc(obj):
    """Decorator: fill the ``{{name}}`` lines of ``obj``'s docstring from :data:`SECTIONS`.

    On a class, the docstrings of the methods defined in its body are filled too, and the
    sections may name the class (``{{clips_fit_sections}}``: a transformer's ``fit``).

    Examples
    --------
    >>> from sklearn_ser.utils._docstrings import fill_doc
    >>> @fill_doc
    ... def predict(X):
    ...     '''Predict.
    ...
    ...     {{features_parameters}}
    ...     '''
    >>> [line.strip()[:12] for line in predict.__doc__.splitlines()[2:5]]
    ['Parameters', '----------', 'X : array-li']
    """
    if not isinstance(obj, type):
        obj.__doc__ = fill_sections(obj.__doc__, SECTIONS)
        return obj
    sections = {**SECTIONS, **_class_sections(obj)}
    obj.__doc__ = fill_sections(obj.__doc__, sections)
    for member in vars(obj).values():
        function = getattr(member, "__func__", member)  # static and class methods
        if inspect.isfunction(function):
            function.__doc__ = fill_sections(function.__doc__, sections)
    return obj
