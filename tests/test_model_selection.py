"""Speaker-independent and cross-corpus splits on combined fixture corpora."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import (
    LeaveOneGroupOut,
    cross_val_score,
    cross_validate,
)

from sklearn_ser.datasets import COMMON_EMOTIONS, load_corpora
from sklearn_ser.model_selection import LeaveOneCorpusOut

EMODB_SPEAKERS = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]
EMODB_LETTERS = "WEAFTN"  # the six shared emotions (boredom L left out)


@pytest.fixture(scope="module")
def combined(tmp_path_factory):
    """EmoDB (10 speakers), TESS (2) and SAVEE (4) fixture trees with the six shared emotions."""
    root = tmp_path_factory.mktemp("combined")
    files = [
        root / "emodb" / "wav" / f"{speaker}{sentence}{letter}a.wav"
        for speaker in EMODB_SPEAKERS
        for sentence in ("a01", "b02")
        for letter in EMODB_LETTERS
    ]
    files += [
        root / "tess" / f"{speaker}_{emotion}" / f"{speaker}_{word}_{emotion}.wav"
        for speaker in ("OAF", "YAF")
        for word in ("back", "bar", "bite")
        for emotion in ("angry", "disgust", "fear", "happy", "neutral", "sad")
    ]
    files += [
        root / "savee" / speaker / f"{code}{n:02d}.wav"
        for speaker in ("DC", "JE", "JK", "KL")
        for code in ("a", "d", "f", "h", "n", "sa")
        for n in (1, 2)
    ]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    return load_corpora(
        {"emodb": root / "emodb", "tess": root / "tess", "savee": root / "savee"},
        emotions=COMMON_EMOTIONS,
    )


def test_speaker_ids_are_unique_across_corpora(combined):
    # what makes any group splitter speaker-independent on combined corpora: speaker "03" of
    # one corpus is never the same group as a speaker "03" of another
    frame = combined.frame
    assert combined.groups.tolist() == frame["speaker"].tolist()
    assert frame["speaker"].nunique() == 16  # 10 EmoDB + 2 TESS + 4 SAVEE speakers
    assert frame.groupby("speaker")["corpus"].nunique().max() == 1
    assert {g.split("_", 1)[0] for g in frame["speaker"]} == {"emodb", "tess", "savee"}


def test_leave_one_corpus_out_splits(combined):
    corpus = combined.frame["corpus"].to_numpy()
    cv = LeaveOneCorpusOut()
    assert cv.get_n_splits(combined.X, groups=corpus) == 3
    splits = list(cv.split(combined.X, combined.y, groups=corpus))
    tested = [np.unique(corpus[test]).tolist() for _, test in splits]
    assert tested == [["emodb"], ["savee"], ["tess"]]
    for train, test in splits:
        assert not set(corpus[train]) & set(corpus[test])
        assert not set(combined.groups[train]) & set(combined.groups[test])
        assert len(train) + len(test) == len(corpus)
    # Same partition as the generic sklearn splitter.
    expected = list(LeaveOneGroupOut().split(combined.X, groups=corpus))
    for (train, test), (train_ref, test_ref) in zip(splits, expected):
        np.testing.assert_array_equal(train, train_ref)
        np.testing.assert_array_equal(test, test_ref)


def test_leave_one_corpus_out_selected_test_corpora(combined):
    corpus = combined.frame["corpus"]
    cv = LeaveOneCorpusOut(test_corpora=["tess", "emodb"])
    tested = [sorted(set(corpus.iloc[test])) for _, test in cv.split(combined.X, groups=corpus)]
    assert tested == [["emodb"], ["tess"]]
    assert cv.get_n_splits(groups=corpus) == 2


def test_leave_one_corpus_out_in_cross_validation(combined):
    corpus = combined.frame["corpus"].to_numpy()
    X = np.zeros((len(corpus), 1))
    scores = cross_val_score(
        DummyClassifier(strategy="most_frequent"),
        X,
        combined.y,
        groups=corpus,
        cv=LeaveOneCorpusOut(),
    )
    assert scores.shape == (3,)
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            DummyClassifier(), X, combined.y, params={"groups": corpus}, cv=LeaveOneCorpusOut()
        )
    assert result["test_score"].shape == (3,)


@pytest.mark.parametrize(
    "params, groups, error, match",
    [
        ({}, None, ValueError, "needs groups: the corpus of each sample"),
        ({}, ["emodb"] * 4, ValueError, r"at least 2 corpora in groups, got \['emodb'\]"),
        (
            {"test_corpora": ["iemocap"]},
            ["a", "b", "a", "b"],
            ValueError,
            r"\['iemocap'\] do not occur",
        ),
        ({"test_corpora": "a"}, ["a", "b", "a", "b"], TypeError, "list of corpus names or None"),
        ({"test_corpora": []}, ["a", "b", "a", "b"], ValueError, "test_corpora is empty"),
        ({}, ["a", "b", "a"], ValueError, r"inconsistent numbers of samples: \[4, 3\]"),
    ],
)
def test_leave_one_corpus_out_errors(params, groups, error, match):
    with pytest.raises(error, match=match):
        list(LeaveOneCorpusOut(**params).split(np.zeros((4, 1)), groups=groups))


def test_leave_one_corpus_out_rejects_2d_groups():
    with pytest.raises(ValueError, match=r"groups must be 1-D .* got shape \(4, 2\)"):
        LeaveOneCorpusOut().get_n_splits(groups=[["a", "b"]] * 4)


def test_leave_one_corpus_out_repr_shows_its_parameter():
    assert repr(LeaveOneCorpusOut(test_corpora=["emodb"])) == (
        "LeaveOneCorpusOut(test_corpora=['emodb'])"
    )
