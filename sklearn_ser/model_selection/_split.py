"""Cross-corpus splitting: :class:`LeaveOneCorpusOut`."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils.validation import check_array

__all__ = ["LeaveOneCorpusOut"]


class LeaveOneCorpusOut(BaseCrossValidator):
    """Cross-corpus cross-validator: each split tests on one corpus and trains on the others.

    Pass the corpus of each clip as ``groups`` (``data.frame["corpus"]`` of a combined
    Bunch). Test corpora come in sorted order. Because speaker ids never cross corpora, every
    split is also speaker-independent.

    Parameters
    ----------
    test_corpora : list of str, default=None
        Corpora to hold out, one split each (training always uses all the other corpora).
        None holds out every corpus in turn. Names must occur in ``groups``.

    See Also
    --------
    sklearn.model_selection.LeaveOneGroupOut : The generic splitter this one specialises.
    sklearn.model_selection.StratifiedGroupKFold : Speaker-independent folds within corpora.

    Notes
    -----
    Corpora differ in language, recording set-up and emotion inventory (e.g. boredom exists
    only in EmoDB): restrict the combined data to shared emotions
    (``emotions=COMMON_EMOTIONS``) before a cross-corpus evaluation, or the classifier is
    tested on classes it never saw.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.model_selection import LeaveOneCorpusOut
    >>> corpus = np.array(["emodb", "emodb", "tess", "tess", "savee", "savee"])
    >>> X = np.zeros((6, 1))
    >>> cv = LeaveOneCorpusOut()
    >>> cv.get_n_splits(X, groups=corpus)
    3
    >>> for train, test in cv.split(X, groups=corpus):
    ...     print(np.unique(corpus[test]), train)
    ['emodb'] [2 3 4 5]
    ['savee'] [0 1 2 3]
    ['tess'] [0 1 4 5]
    >>> cv = LeaveOneCorpusOut(test_corpora=["emodb"])
    >>> [test.tolist() for _, test in cv.split(X, groups=corpus)]
    [[0, 1]]
    """

    # Let metadata routing (sklearn.set_config(enable_metadata_routing=True)) pass groups
    # to split by default, as for sklearn's own group splitters.
    __metadata_request__split = {"groups": True}

    def __init__(self, test_corpora=None):
        self.test_corpora = test_corpora

    def _corpora(self, groups):
        if groups is None:
            raise ValueError(
                "LeaveOneCorpusOut needs groups: the corpus of each sample, e.g. "
                "data.frame['corpus'] of a Bunch from load_corpora."
            )
        groups = check_array(groups, input_name="groups", ensure_2d=False, dtype=None)
        if groups.ndim != 1:
            raise ValueError(
                f"groups must be 1-D (one corpus per sample), got shape {groups.shape}."
            )
        present = np.unique(groups)
        if present.size < 2:
            raise ValueError(
                f"LeaveOneCorpusOut needs at least 2 corpora in groups, got {present.tolist()}: "
                "with one corpus there is nothing to train on. For speaker-independent "
                "splits within a corpus use GroupKFold on speaker ids."
            )
        if self.test_corpora is None:
            return groups, present
        if isinstance(self.test_corpora, (str, numbers.Number)) or not hasattr(
            self.test_corpora, "__iter__"
        ):
            raise TypeError(
                f"test_corpora must be a list of corpus names or None, got {self.test_corpora!r}."
            )
        wanted = list(self.test_corpora)
        if not wanted:
            raise ValueError("test_corpora is empty: name at least one corpus or pass None.")
        missing = [c for c in wanted if c not in set(present.tolist())]
        if missing:
            raise ValueError(
                f"test_corpora {missing} do not occur in groups; present corpora: "
                f"{present.tolist()}."
            )
        return groups, np.array(sorted(set(wanted)), dtype=present.dtype)

    def _iter_test_masks(self, X=None, y=None, groups=None):
        groups, test_corpora = self._corpora(groups)
        for corpus in test_corpora:
            yield groups == corpus

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: the number of test corpora.

        Parameters
        ----------
        X, y : object
            Ignored, present for API compatibility.
        groups : array-like of shape (n_samples,)
            Corpus of each sample. Required.

        Returns
        -------
        n_splits : int
            Number of splitting iterations.
        """
        return len(self._corpora(groups)[1])

    def split(self, X, y=None, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples (e.g. clip paths).
        y : array-like of shape (n_samples,), default=None
            Ignored, present for API compatibility.
        groups : array-like of shape (n_samples,)
            Corpus of each sample. Required.

        Yields
        ------
        train : ndarray
            Training indices: every sample whose corpus is not the test corpus.
        test : ndarray
            Test indices: the samples of one corpus.
        """
        return super().split(X, y, groups)
