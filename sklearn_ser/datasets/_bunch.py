"""Second step of every loader: turn the scanned clips into the public Bunch.

One table row per clip with the columns every corpus shares first, speaker ids prefixed with
the corpus (unique across corpora), the ``emotions=``/``merge_calm=`` options applied, and the
aligned ``X``, ``y`` and ``groups`` that scikit-learn's cross-validation takes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._base import check_emotions
from ._registry import Corpus, get_corpus
from ._scan import Naming, _Index, check_root, drop_duplicates, relative, scan, warn_skipped

# Columns every loader produces, in this order; corpus-specific columns follow them.
COMMON_COLUMNS = ("path", "emotion", "label", "speaker", "gender", "corpus")
SKIPPED_COLUMNS = ["path", "reason", "detail"]
_INTEGER_COLUMNS = frozenset({"age", "statement", "repetition"})


def build_bunch(
    index: _Index,
    *,
    info: Corpus,
    root: Path,
    extra_columns: Sequence[str],
    descr: str,
    expected_name: str,
    emotions=None,
    merge_calm: bool = False,
) -> Bunch:
    """Turn a scanned index into the public Bunch (frame, X, y, groups, DESCR, skipped).

    ``info`` is the corpus' registry entry: its ``corpus`` id is stored in the frame, its
    ``title`` is the name shown in messages and its licence and citation end ``DESCR``.
    """
    if not isinstance(merge_calm, (bool, np.bool_)):
        raise TypeError(f"merge_calm must be True or False, got {merge_calm!r}.")
    emotions = None if emotions is None else check_emotions(emotions)
    drop_duplicates(index)
    warn_skipped(index, info.title, root)
    if not index.records:
        detail = ""
        if index.skipped:
            path, reason, _ = index.skipped[0]
            detail = (
                f" {len(index.skipped)} audio file(s) were found but none matched, "
                f"e.g. '{relative(path, root)}': {reason}."
            )
        raise FileNotFoundError(
            f"No {info.title} clips found under '{root}'. Expected audio files named like "
            f"{expected_name}.{detail}"
        )

    columns = list(COMMON_COLUMNS) + [c for c in extra_columns if c not in COMMON_COLUMNS]
    frame = pd.DataFrame.from_records(index.records)
    frame["corpus"] = info.corpus
    frame["speaker"] = info.corpus + "_" + frame["speaker"].astype(str)
    if merge_calm:
        frame.loc[frame["emotion"] == "calm", "emotion"] = "neutral"
    if emotions is not None:
        frame = frame[frame["emotion"].isin(emotions)]
        if frame.empty:
            raise ValueError(
                f"None of the {len(index.records)} {info.title} clips under '{root}' has an "
                f"emotion in {list(emotions)}."
            )
    frame = frame.sort_values("path", kind="stable").reset_index(drop=True)[columns]
    for column in _INTEGER_COLUMNS.intersection(frame.columns):
        # Nullable integers stay integers when corpora without the column are concatenated.
        frame[column] = frame[column].astype("Int64")
    skipped = pd.DataFrame(index.skipped, columns=SKIPPED_COLUMNS)
    return make_bunch(frame, skipped=skipped, descr=info.describe(descr))


def make_bunch(frame: pd.DataFrame, *, skipped: pd.DataFrame, descr: str) -> Bunch:
    """Bunch with ``frame`` and the aligned ``X`` (paths), ``y`` (emotion), ``groups`` (speaker)."""
    return Bunch(
        frame=frame,
        X=frame["path"].to_numpy(dtype=object),
        y=frame["emotion"].to_numpy(dtype=object),
        groups=frame["speaker"].to_numpy(dtype=object),
        target_names=np.array(sorted(frame["emotion"].unique()), dtype=object),
        skipped=skipped,
        DESCR=descr.rstrip() + "\n\n" + _summary(frame),
    )


def _summary(frame: pd.DataFrame) -> str:
    counts = frame["emotion"].value_counts()
    per_emotion = ", ".join(f"{name} {count}" for name, count in counts.items())
    corpora = ", ".join(sorted(frame["corpus"].unique()))
    return (
        f"Loaded: {len(frame)} clips, {frame['speaker'].nunique()} speakers "
        f"(corpus: {corpora}). Per emotion: {per_emotion}."
    )


def index_corpus(
    name: str,
    root,
    naming: Naming,
    descr: str,
    emotions=None,
    merge_calm=False,
    *,
    audio_folder: Callable[[Path], Path] | None = None,
    refine: Callable[[_Index], None] | None = None,
) -> Bunch:
    """The body of every loader: check ``root``, scan it with ``naming``, build the Bunch.

    ``audio_folder(root)`` picks the folder to scan (CREMA-D: ``AudioWAV/`` of a clone);
    ``refine(index)`` edits the scanned records before the Bunch is built (exclusions,
    metadata from a side file).
    """
    info = get_corpus(name)
    root = check_root(root, info.title)
    if audio_folder is not None:
        root = audio_folder(root)
    index = scan(root, naming.parse)
    if refine is not None:
        refine(index)
    return build_bunch(
        index,
        info=info,
        root=root,
        extra_columns=naming.columns,
        descr=descr,
        expected_name=naming.example,
        emotions=emotions,
        merge_calm=merge_calm,
    )
