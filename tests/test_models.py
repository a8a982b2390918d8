"""Architecture builders, the registry and the custom layers (no training here)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from sklearn_ser.models import (
    ARCHITECTURES,
    HYPERPARAMETERS,
    AttentionPooling1D,
    build_cnn,
    builder_hyperparameters,
    get_builder,
)

TINY = {"filters": (4, 8), "units": 4, "dense_units": 8, "heads": 2, "key_dim": 4}

# Trainable parameters with the default hyperparameters for (94 frames, 20 features), 6 classes:
# the figures the docstrings of sklearn_ser.models.architectures document.
DOCUMENTED_PARAMS = {
    "cnn": 64_582,
    "cnn_gru": 79_622,
    "cnn_bilstm": 155_206,
    "cnn_bilstm_bigru_attention": 238_022,
    "cnn_mha_bilstm_bigru": 263_046,
}


def _tiny(name):
    accepted, _ = builder_hyperparameters(ARCHITECTURES[name])
    return {k: v for k, v in TINY.items() if k in accepted}


def _n_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_registry_holds_the_five_seed_architectures():
    assert set(ARCHITECTURES) == set(DOCUMENTED_PARAMS)
    vocabulary = {"filters", "kernel_size", "pool_size", "dropout", "units", "heads",
                  "key_dim", "dense_units", "bidirectional", "pooling"}
    assert set(HYPERPARAMETERS) == vocabulary
    with pytest.raises(TypeError):
        ARCHITECTURES["mine"] = build_cnn  # read-only: users pass callables instead


def test_registry_agrees_with_the_tensorflow_free_defaults():
    # the command line validates --arch against defaults before Keras is imported
    from sklearn_ser import defaults

    assert tuple(ARCHITECTURES) == defaults.ARCHITECTURE_NAMES
    assert defaults.ARCHITECTURE in ARCHITECTURES
    assert all(builder.__name__ == f"build_{name}" for name, builder in ARCHITECTURES.items())


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_default_sizes_match_the_documentation(name):
    model = ARCHITECTURES[name]((94, 20), 6)
    assert _n_trainable(model) == DOCUMENTED_PARAMS[name]
    assert f"{DOCUMENTED_PARAMS[name]:,}" in ARCHITECTURES[name].__doc__
    # "trains on a CPU": tens to a few hundred thousand parameters
    assert 20_000 < _n_trainable(model) < 400_000


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis:UserWarning")
@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_builder_outputs_probabilities_for_any_sequence_length(name):
    model = ARCHITECTURES[name]((None, 5), 3, **_tiny(name))
    assert model.output_shape == (None, 3)
    assert not model.compiled  # the classifier compiles; builders stay pure
    rng = np.random.default_rng(0)
    # 1 frame is what 2-D (clip-level) features become; pooling must not shrink it to 0
    for n_frames in (1, 9):
        proba = np.asarray(model(rng.normal(size=(2, n_frames, 5)).astype("float32")))
        assert proba.shape == (2, 3)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        assert np.all(proba > 0)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_builders_are_pure_and_honour_hyperparameters(name):
    builder = ARCHITECTURES[name]
    small = builder((20, 6), 4, **_tiny(name))
    again = builder((20, 6), 4, **_tiny(name))
    assert small is not again and small.layers[1] is not again.layers[1]
    bigger = builder((20, 6), 4, **{**_tiny(name), "filters": (4, 16)})
    assert small.get_layer("conv2").kernel.shape == (5, 4, 8)
    assert bigger.get_layer("conv2").kernel.shape == (5, 4, 16)
    assert _n_trainable(bigger) > _n_trainable(small)


def test_hyperparameters_change_the_layers():
    model = get_builder("cnn_mha_bilstm_bigru")((30, 6), 3, filters=8, kernel_size=3,
                                                  pool_size=3, heads=3, key_dim=5, units=6,
                                                  dense_units=None, dropout=0.0)
    assert model.get_layer("conv1").kernel.shape == (3, 6, 8)
    assert model.get_layer("conv1_pool").output.shape == (None, 10, 8)
    assert model.get_layer("self_attention").num_heads == 3
    assert model.get_layer("bigru").output.shape == (None, 12)  # 6 units per direction
    names = [layer.name for layer in model.layers]
    assert "dense" not in names and not any("dropout" in n for n in names)


@pytest.mark.parametrize(
    ("hyper", "match"),
    [
        ({"filters": 0}, "'filters' must be a positive integer"),
        ({"filters": ()}, "'filters' must name at least one"),
        ({"filters": "wide"}, "'filters' must be a positive integer"),
        ({"units": -1}, "'units' must be a positive integer"),
        ({"dropout": 1.0}, r"'dropout' must be a float in \[0, 1\)"),
        ({"kernel_size": 2.5}, "'kernel_size' must be a positive integer"),
        ({"dense_units": True}, "'dense_units' must be a positive integer"),
    ],
)
def test_bad_hyperparameters_are_named(hyper, match):
    with pytest.raises(ValueError, match=match):
        get_builder("cnn_bilstm")((20, 6), 3, **hyper)


def test_bad_shapes_and_class_counts():
    with pytest.raises(ValueError, match=r"input_shape must be \(n_frames, n_features\)"):
        build_cnn((20,), 3)
    with pytest.raises(ValueError, match="n_features"):
        build_cnn((20, 0), 3)
    with pytest.raises(ValueError, match="n_classes must be at least 2"):
        build_cnn((20, 4), 1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'heads'"):
        build_cnn((20, 4), 3, heads=2)  # the builder itself is strict


def test_get_builder():
    assert get_builder("cnn") is build_cnn

    def mine(input_shape, n_classes, width=3):
        return build_cnn(input_shape, n_classes, filters=width)

    assert get_builder(mine) is mine
    assert builder_hyperparameters(mine) == (frozenset({"width"}), False)
    with pytest.raises(ValueError, match=r"Unknown architecture 'transformer'.*'cnn_gru'"):
        get_builder("transformer")
    with pytest.raises(TypeError, match="arch must be an architecture name or a callable"):
        get_builder(3)
    with pytest.raises(TypeError, match=r"must take \(input_shape, n_classes"):
        builder_hyperparameters(lambda shape: None)


def test_attention_pooling_weights_frames():
    layer = AttentionPooling1D(units=4)
    x = np.random.default_rng(0).normal(size=(3, 6, 5)).astype("float32")
    layer.build(x.shape)
    # a zero scoring vector scores every frame alike: the weighted mean is the plain mean
    layer.score_vector.assign(np.zeros((4, 1), dtype="float32"))
    np.testing.assert_allclose(np.asarray(layer(x)), x.mean(axis=1), rtol=1e-5, atol=1e-6)
    # masked frames get no weight
    mask = np.array([[True] * 3 + [False] * 3] * 3)
    np.testing.assert_allclose(np.asarray(layer(x, mask=mask)), x[:, :3].mean(axis=1),
                               rtol=1e-5, atol=1e-6)
    # with learned scores the output is a convex combination of the frames, not the mean
    layer.score_vector.assign(np.ones((4, 1), dtype="float32") * 3)
    out = np.asarray(layer(x))
    assert np.all(out <= x.max(axis=1) + 1e-6) and np.all(out >= x.min(axis=1) - 1e-6)
    assert not np.allclose(out, x.mean(axis=1), atol=1e-3)


@pytest.mark.parametrize("name", ["cnn_bilstm_bigru_attention", "cnn_mha_bilstm_bigru"])
def test_models_round_trip_through_keras_saving(name, tmp_path):
    model = ARCHITECTURES[name]((12, 5), 3, **_tiny(name))
    x = np.random.default_rng(1).normal(size=(4, 12, 5)).astype("float32")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))
    if name == "cnn_bilstm_bigru_attention":
        assert isinstance(loaded.get_layer("attention_pool"), AttentionPooling1D)
        assert loaded.get_layer("attention_pool").units == 4
