"""Result files: JSON, CSV tables and the Markdown report."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..utils._json import json_data

__all__ = ["safe_name", "write_json", "write_markdown_report", "write_results"]


def safe_name(name) -> str:
    """``name`` as a file-name part: every character but letters, digits and ``-_.`` is ``_``.

    Examples
    --------
    >>> from sklearn_ser.report.files import safe_name
    >>> safe_name("fold 1/cnn")
    'fold_1_cnn'
    """
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))


def write_json(path, document) -> Path:
    """Write ``document`` as indented JSON; NumPy values become Python ones, NaN null.

    Parameters
    ----------
    path : str or path-like
        Output file.
    document : object
        Mappings, sequences, NumPy arrays and scalars, strings and numbers.

    Returns
    -------
    path : Path
    """
    path = Path(path)
    path.write_text(json.dumps(json_data(document, finite=True), indent=2) + "\n", encoding="utf-8")
    return path


def write_results(out_dir, folds: pd.DataFrame, summary: pd.DataFrame,
                  extra: Mapping | None = None) -> dict[str, Path]:
    """Write the results table as CSV (per fold and summary) and as one JSON document.

    Parameters
    ----------
    out_dir : str or path-like
        Folder, created if needed.
    folds : DataFrame
        One row per (model, fold).
    summary : DataFrame
        Output of :func:`summarize_folds`.
    extra : mapping, default=None
        More JSON-serialisable content for ``results.json`` (settings, confusion matrices,
        training histories...). NaN becomes null.

    Returns
    -------
    paths : dict of str to Path
        ``"folds_csv"``, ``"summary_csv"`` and ``"json"``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "folds_csv": out / "results_folds.csv",
        "summary_csv": out / "results_summary.csv",
        "json": out / "results.json",
    }
    folds.to_csv(paths["folds_csv"], index=False)
    summary.rename_axis("model").to_csv(paths["summary_csv"])
    document = {
        "folds": folds.to_dict(orient="records"),
        "summary": summary.rename_axis("model").reset_index().to_dict(orient="records"),
        **(dict(extra) if extra else {}),
    }
    write_json(paths["json"], document)
    return paths


def write_markdown_report(path, *, title: str, settings: Mapping[str, object],
                          table: str, sections: Sequence[tuple[str, str]] = (),
                          figures: Mapping[str, Mapping[str, str]] | None = None,
                          notes: Sequence[str] = ()) -> Path:
    """Write a self-contained Markdown report: settings, results table, notes and figures.

    Parameters
    ----------
    path : str or path-like
        Output ``.md`` file; figure links are written relative to its folder.
    title : str
        Top-level heading.
    settings : mapping
        Shown as a two-column table (what was run, so the report can be reproduced).
    table : str
        The results table in Markdown (see :func:`format_table` with ``markdown=True``).
    sections : sequence of (heading, markdown) pairs, default=()
        Extra sections after the table.
    figures : mapping of str to mapping of str to str, default=None
        Per model, caption -> image path; shown in one section per model.
    notes : sequence of str, default=()
        Bullet points under the table (how to read it).

    Returns
    -------
    path : Path
    """
    path = Path(path)
    lines = [f"# {title}", "", "## Settings", "", "| Setting | Value |", "|---|---|"]
    for key, value in settings.items():
        text = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        lines.append(f"| {key} | {text.replace('|', '/')} |")
    lines += ["", "## Results", "", table, ""]
    lines += [f"- {note}" for note in notes]
    if notes:
        lines.append("")
    for heading, body in sections:
        lines += [f"## {heading}", "", body.rstrip(), ""]
    if figures:
        lines += ["## Figures", ""]
        for model, images in figures.items():
            lines += [f"### {model}", ""]
            for caption, image in images.items():
                rel = os.path.relpath(image, path.parent).replace(os.sep, "/")
                lines += [f"![{caption}]({rel})", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
