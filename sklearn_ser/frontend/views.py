"""Views, the front end's third stage (training only): a conditioned clip and its augmentations.

The one place where the seeding rule of augmented views lives, for every transformer that
makes them (:class:`~sklearn_ser.AudioFeatureTransformer`, :class:`~sklearn_ser.
OpenSmileTransformer`): a clip's ``seed`` comes from ``random_state`` and the clip's content
(:func:`sklearn_ser.frontend.extraction.view_seeds`), and augmentation ``k`` draws its
parameters from its own generator ``numpy.random.default_rng([seed, k])``, so adding or
removing a kind leaves the others' draws as they were.
"""

from __future__ import annotations

import numpy as np

from .augment import apply_augmentation
from .condition import fix_length, peak_normalize

__all__ = ["make_views"]


def make_views(y, sr, augmentations, seed, *, label="clip", pad_mode="constant", peak=None):
    """The clip and one view per augmentation, stacked: ``(1 + len(augmentations), y.size)``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The conditioned clip (:func:`sklearn_ser.frontend.condition.condition`); view 0.
    sr : int
        Its sample rate.
    augmentations : sequence of (name, func, params)
        As :func:`sklearn_ser.frontend.augment.resolve_augmentations` returns them.
    seed : int
        The clip's seed (:func:`sklearn_ser.frontend.extraction.view_seeds`).
    label : str, default="clip"
        Names the clip in the error raised when an augmentation returns no usable waveform.
    pad_mode : {"constant", "wrap"}, default="constant"
        How a view shorter than the clip is padded back to its length.
    peak : float or None, default=None
        Each view is peak-normalised, then scaled to ``peak`` when it is given (the clean
        clip's level, when the level is not what the views vary).

    Returns
    -------
    views : ndarray of shape (1 + len(augmentations), n_samples)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend import make_views
    >>> from sklearn_ser.frontend.augment import resolve_augmentations
    >>> y = np.sin(np.linspace(0, 400, 16000)).astype(np.float32)
    >>> make_views(y, 16000, resolve_augmentations(("noise", "shift")), seed=0).shape
    (3, 16000)
    """
    views = [y]
    for k, (_, func, params) in enumerate(augmentations):
        # one generator per augmentation: adding or removing a kind leaves the others' draws
        rng = np.random.default_rng([seed, k])
        view = peak_normalize(fix_length(apply_augmentation(func, params, y, sr, rng, label),
                                         y.size, pad_mode))
        views.append(view if peak is None else view * peak)
    return np.stack(views)
