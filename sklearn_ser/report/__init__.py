"""Tables, figures and result files: the presentation of what the study measured.

Everything here is plain data in, text or files out: the study (:mod:`sklearn_ser.study`)
and :mod:`sklearn_ser.metrics` compute, these functions present. Figures are drawn on
explicit :class:`matplotlib.figure.Figure` objects, never through pyplot, so the back end of
the caller (a notebook's, say) is left alone and no display is needed.

Modules: :mod:`~sklearn_ser.report.tables` (text and Markdown tables),
:mod:`~sklearn_ser.report.figures` (PNG figures), :mod:`~sklearn_ser.report.files` (JSON,
CSV, Markdown) and :mod:`~sklearn_ser.report.comparison` (the study's whole report).
"""

from ..metrics import METRICS, summarize_folds
from .comparison import comparison_settings, write_comparison_report
from .figures import plot_confusion_matrix, plot_emotion_profile, plot_training_curves
from .files import write_json, write_markdown_report, write_results
from .tables import format_fold_table, format_table

__all__ = [
    "METRICS",
    "comparison_settings",
    "format_fold_table",
    "format_table",
    "plot_confusion_matrix",
    "plot_emotion_profile",
    "plot_training_curves",
    "summarize_folds",
    "write_comparison_report",
    "write_json",
    "write_markdown_report",
    "write_results",
]
