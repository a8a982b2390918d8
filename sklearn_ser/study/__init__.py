"""The five-architecture study of the seed recipe, speaker-independent, resumable.

:func:`compare_architectures` is what ``sklearn-ser compare`` runs. The features are
extracted once (for the library's transformers, which learn nothing from the audio: once
for all clips, shared by the folds; otherwise once per fold) and every architecture is
trained on them, which is exactly what ``cross_validate(Pipeline([transformer,
SERClassifier(arch=a)]))`` computes for each architecture ``a``.

Classical pipelines (``baselines``, e.g. openSMILE functionals and a logistic regression)
are fitted on the same folds, each from the audio with its own feature transformer, and
reported in the same tables, so the table shows what the networks are up against.

With ``checkpoint``, every finished (model, fold) is saved as it completes, keyed by a hash
of the whole configuration: a stopped study resumes where it stopped, and a changed one
starts afresh instead of mixing results (:mod:`sklearn_ser.study._checkpoint`).
"""

from ._compare import compare_architectures, study_settings
from ._result import ENSEMBLE, StudyResult

__all__ = ["ENSEMBLE", "StudyResult", "compare_architectures", "study_settings"]
