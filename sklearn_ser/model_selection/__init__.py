"""Cross-corpus splitting.

Speaker-independent cross-validation needs nothing new: pass the loaders' ``groups`` (speaker
ids) to :class:`~sklearn.model_selection.GroupKFold` or
:class:`~sklearn.model_selection.StratifiedGroupKFold`. What scikit-learn lacks is a named,
validated splitter for the cross-corpus protocol: train on some corpora, test on an unseen one.
"""

from ._split import LeaveOneCorpusOut

__all__ = ["LeaveOneCorpusOut"]
