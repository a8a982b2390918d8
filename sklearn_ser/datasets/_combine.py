"""Corpora by registry name, and several corpora joined into one Bunch.

:func:`load_corpus` and :func:`load_corpora` look names up in the registry
(:mod:`._registry`), which names each corpus' loader without importing it; nothing here
imports a corpus module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
from sklearn.utils import Bunch

from ._bunch import COMMON_COLUMNS, SKIPPED_COLUMNS, make_bunch
from ._registry import get_corpus

__all__ = ["concat_corpora", "load_corpora", "load_corpus"]


def concat_corpora(bunches: Iterable[Bunch]) -> Bunch:
    """Concatenate corpus Bunches into one, e.g. for cross-corpus training or evaluation.

    Rows keep the order of the inputs. Corpus-specific columns missing from a corpus are
    filled with missing values. Speaker ids stay unique because every loader prefixes them
    with the corpus name.

    Parameters
    ----------
    bunches : iterable of Bunch
        Results of the ``load_*`` functions (or of :func:`load_corpus`).

    Returns
    -------
    data : Bunch
        Same fields as a single corpus: ``frame``, ``X``, ``y``, ``groups``,
        ``target_names``, ``skipped`` and ``DESCR``. Use ``data.frame["corpus"]`` as the
        groups of :class:`~sklearn_ser.model_selection.LeaveOneCorpusOut`.

    Raises
    ------
    ValueError
        If no Bunch is given or the same clip (path) appears in two inputs.

    Examples
    --------
    >>> from sklearn_ser.datasets import concat_corpora, load_emodb, load_tess
    >>> data = concat_corpora([load_emodb("emodb"), load_tess("tess")])  # doctest: +SKIP
    >>> data.frame["corpus"].value_counts()  # doctest: +SKIP
    corpus
    tess     2800
    emodb     535
    Name: count, dtype: int64
    """
    bunches = list(bunches)
    if not bunches:
        raise ValueError("concat_corpora needs at least one corpus Bunch, got none.")
    for i, bunch in enumerate(bunches):
        if not isinstance(bunch, Mapping) or "frame" not in bunch:
            raise TypeError(
                f"concat_corpora expects Bunches returned by the loaders; item {i} is "
                f"{type(bunch).__name__} without a 'frame'."
            )
    frame = pd.concat([b["frame"] for b in bunches], ignore_index=True, sort=False)
    duplicated = frame["path"][frame["path"].duplicated()]
    if not duplicated.empty:
        raise ValueError(
            f"{duplicated.size} clip(s) appear in more than one of the corpora to combine, "
            f"e.g. '{duplicated.iloc[0]}'; load each corpus once."
        )
    columns = list(COMMON_COLUMNS) + [c for c in frame.columns if c not in COMMON_COLUMNS]
    skipped_parts = [b["skipped"] for b in bunches if len(b.get("skipped", ())) > 0]
    skipped = (
        pd.concat(skipped_parts, ignore_index=True)
        if skipped_parts
        else pd.DataFrame(columns=SKIPPED_COLUMNS)
    )
    descr = "\n\n".join(b.get("DESCR", "").split("\n\nLoaded: ")[0] for b in bunches)
    return make_bunch(frame[columns], skipped=skipped, descr=descr)


def load_corpus(name, root, **kwargs) -> Bunch:
    """Load one corpus by name: ``load_corpus("emodb", root)`` is ``load_emodb(root)``.

    Parameters
    ----------
    name : str
        One of :data:`CORPUS_NAMES`: ``"ravdess"`` (takes ``subset=``), ``"ravdess_speech"``,
        ``"ravdess_song"``, ``"crema_d"``, ``"tess"``, ``"savee"``, ``"emodb"``. Case and
        ``-`` versus ``_`` do not matter (``"CREMA-D"`` works).
    root : str or os.PathLike
        Folder of the corpus.
    **kwargs
        Passed to the loader, e.g. ``emotions=``, ``merge_calm=``, ``subset=``.

    Returns
    -------
    data : Bunch
        See the corpus loader (e.g. :func:`load_emodb`).

    Raises
    ------
    ValueError
        If ``name`` is not a known corpus.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_corpus
    >>> load_corpus("not_a_corpus", ".")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown corpus 'not_a_corpus'; choose one of ['ravdess', ...].
    >>> data = load_corpus("crema-d", "CREMA-D", emotions=["angry", "sad"])  # doctest: +SKIP
    """
    return get_corpus(name).load(root, **kwargs)


def load_corpora(roots, **kwargs) -> Bunch:
    """Load several corpora and concatenate them (see :func:`concat_corpora`).

    Parameters
    ----------
    roots : mapping of str to path
        Corpus name (as in :func:`load_corpus`) to its folder, e.g.
        ``{"emodb": "data/emodb", "tess": "data/tess"}``. Use ``"ravdess_speech"`` and
        ``"ravdess_song"`` to load both RAVDESS subsets.
    **kwargs
        Options applied to every loader: ``emotions=`` and ``merge_calm=``.

    Returns
    -------
    data : Bunch
        ``frame``, ``X``, ``y``, ``groups`` (speaker ids, unique across corpora),
        ``target_names``, ``skipped`` and ``DESCR``; ``frame["corpus"]`` names the corpus of
        each clip (both RAVDESS subsets are ``"ravdess"``: they share their actors).

    Raises
    ------
    ValueError
        If ``roots`` is empty, names an unknown corpus or names the same corpus twice.

    Examples
    --------
    >>> from sklearn_ser.datasets import COMMON_EMOTIONS, load_corpora
    >>> data = load_corpora(
    ...     {"ravdess_speech": "RAVDESS/speech", "ravdess_song": "RAVDESS/song",
    ...      "crema_d": "CREMA-D", "tess": "TESS", "savee": "SAVEE", "emodb": "emodb"},
    ...     emotions=COMMON_EMOTIONS, merge_calm=True,
    ... )  # doctest: +SKIP
    """
    if not isinstance(roots, Mapping):
        raise TypeError(
            "roots must map corpus names to folders, e.g. {'emodb': 'data/emodb'}; "
            f"got {type(roots).__name__}."
        )
    if not roots:
        raise ValueError("roots is empty: name at least one corpus and its folder.")
    entries = [get_corpus(name) for name in roots]
    if len({entry.name for entry in entries}) != len(entries):
        raise ValueError(f"A corpus is named twice in {list(roots)}.")
    unknown = sorted(set(kwargs) - {"emotions", "merge_calm"})
    if unknown:
        raise TypeError(
            f"load_corpora got unexpected option(s) {unknown}; only emotions= and "
            "merge_calm= apply to every corpus (use load_corpus for corpus options)."
        )
    return concat_corpora(
        entry.load(root, **kwargs) for entry, root in zip(entries, roots.values())
    )
