"""The clips a command works on: the demo corpus or real corpora, checked option by option.

Corpus names, loaders and fetchers come from the corpus registry
(:func:`sklearn_ser.datasets.get_corpus`); this module knows no corpus by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import defaults
from ..datasets import COMMON_EMOTIONS, CORPUS_NAMES, EMOTIONS
from . import options
from .errors import CommandError
from .parser import DEMO

__all__ = ["Data", "check_data_options", "describe_clips", "load_data"]


@dataclass
class Data:
    """Clips, labels, speakers and corpus of each clip, and a one-line description."""

    X: list
    y: np.ndarray
    groups: np.ndarray
    corpus: np.ndarray
    source: str

    def describe(self) -> str:
        return describe_clips(self.y, self.groups)


def describe_clips(y, groups) -> str:
    """``'24 clips, 4 speakers, 3 emotions (angry 8, ...)'``."""
    labels, counts = np.unique(y, return_counts=True)
    per = ", ".join(f"{label} {count}" for label, count in zip(labels, counts))
    return f"{len(y)} clips, {np.unique(groups).size} speakers, {labels.size} emotions ({per})"


def _corpus_names(raw):
    names = options.names([n.strip().lower().replace("-", "_") for n in raw],
                          [*CORPUS_NAMES, DEMO], option="--corpus", what="corpus")
    if DEMO in names and len(names) > 1:
        raise CommandError(f"--corpus {DEMO} (the synthetic corpus) cannot be combined with "
                           "real corpora.")
    return names


def _emotions(values):
    if not values:
        return None
    if [v.lower() for v in values] == ["common"]:
        return list(COMMON_EMOTIONS)
    return options.names(values, EMOTIONS, option="--emotions", what="emotion",
                         alternatives=["common"])


def check_data_options(args) -> tuple[list[str], list[str] | None]:
    """Judge the data options before anything is loaded: (corpus names, emotions)."""
    names = _corpus_names(args.corpus)
    emotions = _emotions(args.emotions)
    if names == [DEMO]:
        if args.data_dir or args.fetch:
            raise CommandError(f"--data-dir and --fetch apply to real corpora, not to "
                               f"'--corpus {DEMO}'.")
        if args.n_speakers is not None and args.n_speakers < 2:
            raise CommandError("--n-speakers: the demo corpus needs at least 2 speakers.")
        return names, emotions
    for option in ("n_speakers", "clips_per_emotion", "demo_seed"):
        if getattr(args, option) is not None:
            raise CommandError(f"--{option.replace('_', '-')} applies to the demo corpus only.")
    if args.fetch:
        if args.data_dir and len(args.data_dir) > 1:
            raise CommandError("--fetch takes at most one --data-dir (the download folder).")
        return names, emotions
    if not args.data_dir:
        raise CommandError(
            f"--corpus {' '.join(args.corpus)} needs --data-dir with the folder of each "
            "corpus (or --fetch to download them).")
    if len(args.data_dir) != len(names):
        raise CommandError(
            f"--data-dir gives {len(args.data_dir)} folder(s) for {len(names)} corpora; "
            "give one folder per --corpus, in the same order.")
    for name, folder in zip(names, args.data_dir):
        if not Path(folder).is_dir():
            reason = "is not a folder" if Path(folder).exists() else "does not exist"
            raise CommandError(f"--data-dir: the {name} folder '{folder}' {reason}.")
    return names, emotions


def _demo(args, *, sr, duration, seed, emotions, console) -> Data:
    from ..datasets import make_emotional_speech

    n_speakers = args.n_speakers or defaults.DEMO_SPEAKERS
    per_emotion = args.clips_per_emotion or defaults.DEMO_CLIPS_PER_EMOTION
    console.info(f"Generating the demo corpus ({n_speakers} speakers, {per_emotion} clips "
                 f"per speaker and emotion, {duration:g} s at {sr} Hz, seed {seed})...")
    kwargs = {} if emotions is None else {"emotions": emotions}
    data = make_emotional_speech(n_speakers=n_speakers, n_clips_per_emotion=per_emotion,
                                 sr=sr, duration=duration, random_state=seed, **kwargs)
    return Data(data.X, np.asarray(data.y), np.asarray(data.groups),
                np.full(len(data.y), DEMO, dtype=object),
                f"demo (synthetic, {n_speakers} speakers, seed {seed})")


def _http_option(name, args) -> dict:
    """``allow_http`` for a fetcher that takes it (a host without TLS), when asked for."""
    import inspect

    from ..datasets import get_corpus

    takes = "allow_http" in inspect.signature(get_corpus(name).fetcher).parameters
    return {"allow_http": True} if takes and getattr(args, "allow_http", False) else {}


def load_data(args, *, sr, duration, demo_seed, console, emotions=None) -> Data:
    """The clips the data options of ``args`` select (checked by :func:`check_data_options`).

    ``emotions`` applies where ``--emotions`` is not given (evaluate: the model's classes
    for the demo corpus).
    """
    from ..datasets import concat_corpora, get_corpus, load_corpora

    names, chosen = check_data_options(args)
    emotions = chosen or emotions
    if names == [DEMO]:
        return _demo(args, sr=sr, duration=duration, seed=demo_seed, emotions=emotions,
                     console=console)
    kwargs = {"emotions": emotions, "merge_calm": args.merge_calm}
    try:
        if args.fetch:
            home = args.data_dir[0] if args.data_dir else None
            data = concat_corpora(get_corpus(n).fetch(data_home=home, **kwargs,
                                                      **_http_option(n, args))
                                  for n in names)
        else:
            data = load_corpora(dict(zip(names, args.data_dir)), **kwargs)
    except ValueError as exc:
        # the options were judged above, so what is left is about the files themselves
        # (e.g. no clip has one of the --emotions); bugs elsewhere keep their traceback
        raise CommandError(str(exc)) from exc
    corpus = data.frame["corpus"]
    source = ", ".join(f"{name} ({count} clips)"
                       for name, count in corpus.value_counts(sort=False).items())
    return Data(data.X, np.asarray(data.y), np.asarray(data.groups),
                corpus.to_numpy(dtype=object), source)
