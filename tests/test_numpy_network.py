"""NumpyNetwork: the library's Keras networks run in NumPy, compared with Keras itself."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

from sklearn_ser.classifier._training import assemble_model
from sklearn_ser.defaults import ARCHITECTURE_NAMES
from sklearn_ser.models import get_builder
from sklearn_ser.numpy_network import NumpyNetwork, UnsupportedNetworkError

PRETRAINED = (Path(__file__).resolve().parents[1] / "sklearn_ser" / "pretrained"
              / "ser_six_emotions.skser")
N_FEATURES = 5
TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}

# (architecture, tiny hyperparameters, clip centering, n_frames of the Input)
CASES = [
    ("cnn", {"filters": (4, 8), "kernel_size": 3, "dense_units": 8}, True, None),
    ("cnn", {"filters": 4, "kernel_size": 4, "pool_size": 3, "dense_units": None}, False,
     None),
    ("cnn_gru", {"filters": (4, 8), "units": 4}, True, None),
    ("cnn_gru", {"filters": 4, "units": 4, "bidirectional": False, "pooling": "last",
                 "dense_units": 8}, False, None),
    ("cnn_gru", {"filters": (4, 8), "units": 4, "dense_units": 4}, True, 12),
    ("cnn_bilstm", {"filters": (4, 8), "units": 4, "dense_units": 8}, True, None),
    ("cnn_bilstm_bigru_attention", {"filters": 4, "units": 4, "dense_units": None}, False,
     None),
    ("cnn_mha_bilstm_bigru", {"filters": (4, 8), "heads": 2, "key_dim": 3, "units": 4,
                              "dense_units": 8}, True, None),
]


def randomise(model, rng):
    """Random weights everywhere, moving statistics included, so no layer is an identity."""
    for weight in model.weights:
        shape = tuple(weight.shape)
        if weight.path.rsplit("/", 1)[-1] in ("mean", "variance", "count"):
            continue  # an adapted Normalization would keep using its old statistics
        if "moving_variance" in weight.path:
            value = rng.uniform(0.5, 2.0, shape)
        else:
            value = rng.normal(0.0, 0.4, shape)
        weight.assign(value.astype("float32"))
    return model


def keras_outputs(model, X):
    return keras.ops.convert_to_numpy(model(X, training=False))


def saved(model, tmp_path, name="model.keras"):
    path = tmp_path / name
    model.save(path)
    return path


def assert_matches(network, model, X):
    ours, theirs = network.predict(X), keras_outputs(model, X)
    assert ours.dtype == np.float32
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, **TOLERANCE)


def test_the_case_list_covers_every_architecture():
    assert {case[0] for case in CASES} == set(ARCHITECTURE_NAMES)


# Keras warns of MultiHeadAttention's softmax over a single frame, a legitimate input here
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
@pytest.mark.parametrize("arch, hyper, clip, n_frames", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_architectures_match_keras(tmp_path, arch, hyper, clip, n_frames):
    rng = np.random.default_rng(0)
    mean = rng.normal(size=N_FEATURES)
    variance = rng.uniform(0.5, 2.0, size=N_FEATURES)
    model = assemble_model(get_builder(arch), hyper, (n_frames, N_FEATURES), 3,
                           clip_centering=clip, mean=mean, variance=variance)
    randomise(model, rng)
    network = NumpyNetwork.from_keras_archive(saved(model, tmp_path))
    assert network.input_shape == (n_frames, N_FEATURES)
    assert network.output_shape == (3,)
    # odd lengths and a single frame reach the "same" pooling's padded edge
    for length in [n_frames] if n_frames else [1, 2, 7, 12]:
        X = rng.normal(1.0, 2.0, size=(5, length, N_FEATURES)).astype("float32")
        assert_matches(network, model, X)
    probabilities = network.predict(X)
    # the outputs depend on the inputs well above the tolerance
    assert probabilities.std(axis=0).max() > 1e-4
    # the chunks change only BLAS's rounding
    np.testing.assert_allclose(network.predict(X, batch_size=2), probabilities, atol=1e-6)


def test_pretrained_model_matches_keras(tmp_path):
    with zipfile.ZipFile(PRETRAINED) as archive:
        (member,) = (n for n in archive.namelist() if n.endswith(".keras"))
        data = archive.read(member)
    network = NumpyNetwork.from_keras_archive(data)
    path = tmp_path / "pretrained.keras"
    path.write_bytes(data)
    import sklearn_ser.models  # noqa: F401  (registers the custom layers with Keras)

    model = keras.saving.load_model(path)
    assert network.input_shape == tuple(model.input_shape[1:]) == (63, 64)
    assert network.output_shape == (6,)
    X = np.random.default_rng(1).normal(size=(8, *network.input_shape)).astype("float32")
    assert_matches(network, model, X)


def every_option_model(rng):
    """A DAG of the other implemented layers and settings, shared and nested ones too."""
    layers = keras.layers
    inputs = keras.Input((None, 6), name="frames")
    adapted = layers.Normalization(axis=-1, name="adapted")
    adapted.adapt(rng.normal(1.0, 3.0, size=(20, 7, 6)).astype("float32"))
    x = adapted(inputs)
    a = layers.Conv1D(5, 3, padding="valid", activation="tanh", name="conv_valid")(x)
    b = layers.Conv1D(5, 4, padding="causal", name="conv_causal")(x)
    b = layers.BatchNormalization(center=False, scale=False, name="bn_plain")(b)
    b = layers.MaxPooling1D(3, strides=1, padding="valid", name="pool_valid")(b)
    merged = layers.Concatenate(name="merges")([
        layers.Add()([a, b]), layers.Subtract()([a, b]), layers.Multiply()([a, b]),
        layers.Average()([a, b]), layers.Maximum()([a, b]), layers.Minimum()([a, b]),
    ])
    x = layers.Dense(8, activation="sigmoid", use_bias=False, name="dense_3d")(merged)
    x = layers.Activation("linear", name="linear")(x)
    x = layers.LayerNormalization(center=False, name="ln_no_center")(x)
    y = layers.LayerNormalization(rms_scaling=True, name="ln_rms")(x)
    y = layers.Activation("softmax", name="softmax_3d")(y)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=5,
                                         use_bias=False, name="cross_attention")(
        query=y, value=x, key=merged)
    s = layers.Concatenate(axis=1, name="time_concat")([attended, attended])
    s = layers.MaxPooling1D(2, strides=3, padding="same", name="pool_stride3")(s)
    g = layers.GRU(4, reset_after=False, return_sequences=True, go_backwards=True,
                   name="gru_backwards")(s)
    g = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="sum",
                             name="bilstm_sum")(g)
    last = layers.Bidirectional(layers.GRU(3, activation="relu", use_bias=False),
                                merge_mode="mul", name="bigru_mul")(g)
    ave = layers.Bidirectional(layers.LSTM(3), merge_mode="ave", name="bilstm_ave")(g)
    kept = layers.GlobalMaxPooling1D(keepdims=True, name="max_keepdims")(g)
    kept = layers.GlobalAveragePooling1D(name="avg")(kept)
    vector = layers.Concatenate(name="vector")([last, ave, kept])
    body = keras.Sequential([keras.Input((9,)), layers.Dense(6, activation="relu"),
                             layers.Dropout(0.5), layers.Dense(4)], name="sequential_body")
    vector = body(vector)
    shared = layers.Dense(4, activation="tanh", name="shared")
    vector = layers.Average(name="shared_average")([shared(vector), shared(shared(vector))])
    head_in = keras.Input((4,), name="head_in")
    head = keras.Model(head_in, layers.Dense(4, activation="sigmoid", name="head_dense")(
        head_in), name="head")
    # the output is the nested model's second call, which config.json numbers oddly
    outputs = head(layers.Dense(4, name="between")(head(vector)))
    return keras.Model(inputs, outputs, name="every_option")


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_every_implemented_option_matches_keras(tmp_path):
    rng = np.random.default_rng(2)
    model = randomise(every_option_model(rng), rng)
    network = NumpyNetwork.from_keras_archive(saved(model, tmp_path))
    assert network.output_shape == (4,)
    for length in (3, 8, 13):
        X = rng.normal(size=(4, length, 6)).astype("float32")
        assert_matches(network, model, X)


def test_sequential_model_and_inverted_normalization(tmp_path):
    rng = np.random.default_rng(3)
    model = keras.Sequential([
        keras.Input((None, 4)),
        keras.layers.Normalization(mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 4.0, 0.25, 9.0],
                                   invert=True),
        keras.layers.Conv1D(3, 2, padding="same"),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(2, activation="softmax"),
    ], name="seq")
    randomise(model, rng)
    network = NumpyNetwork.from_keras_archive(saved(model, tmp_path).read_bytes())
    assert (network.name, network.input_shape, network.output_shape) == ("seq", (None, 4), (2,))
    for length in (1, 2, 5):
        assert_matches(network, model, rng.normal(size=(3, length, 4)).astype("float32"))


def test_predict_checks_its_input(tmp_path):
    model = assemble_model(get_builder("cnn"), {"filters": 4, "dense_units": None},
                           (12, N_FEATURES), 2, clip_centering=False, mean=np.zeros(5),
                           variance=np.ones(5))
    network = NumpyNetwork.from_keras_archive(saved(model, tmp_path))
    assert network.predict(np.zeros((0, 12, N_FEATURES))).shape == (0, 2)
    out = network.predict(np.zeros((3, 12, N_FEATURES), dtype="float64"))
    assert out.shape == (3, 2) and out.dtype == np.float32
    with pytest.raises(ValueError, match=r"shape \(n_samples, \*\(12, 5\)\)"):
        network.predict(np.zeros((3, 11, N_FEATURES)))
    with pytest.raises(ValueError, match="batch_size"):
        network.predict(np.zeros((3, 12, N_FEATURES)), batch_size=0)


def unsupported_models():
    layers = keras.layers

    def wrap(make, n_frames=None):
        inputs = keras.Input((n_frames, 3))
        return keras.Model(inputs, layers.GlobalAveragePooling1D()(make(inputs)))

    return {
        "masking": (lambda: wrap(lambda x: layers.LSTM(2, return_sequences=True)(
            layers.Masking(name="masking")(x))), r"'masking' \(Masking\)"),
        "dilation": (lambda: wrap(lambda x: layers.Conv1D(
            2, 3, dilation_rate=2, padding="same", name="conv_dilated")(x)),
            r"'conv_dilated' \(Conv1D\).*dilation_rate"),
        "activation": (lambda: wrap(lambda x: layers.Dense(2, activation="elu",
                                                           name="dense_elu")(x)),
                       r"'dense_elu' \(Dense\).*activation='elu'"),
        "mc_dropout": (lambda: wrap(lambda x: layers.Dropout(0.5, name="mc")(x, training=True)),
                       r"'mc' \(Dropout\).*training=True"),
        "dtype": (lambda: wrap(lambda x: layers.Dense(2, dtype="bfloat16", name="half")(x)),
                  r"'half' \(Dense\).*bfloat16"),
        "strides": (lambda: wrap(lambda x: layers.Conv1D(2, 3, strides=2, name="strided")(x),
                                 n_frames=9), r"'strided' \(Conv1D\).*strides"),
        "return_state": (lambda: wrap(lambda x: layers.GRU(2, return_state=True,
                                                           return_sequences=True,
                                                           name="stateful")(x)[0]),
                         r"'stateful' \(GRU\)"),
        "flatten": (lambda: keras.Model(*(lambda i: (i, layers.Flatten(name="flat")(i)))(
            keras.Input((4, 3)))), r"'flat' \(Flatten\)"),
    }


@pytest.mark.parametrize("case", sorted(unsupported_models()))
def test_unsupported_layers_and_settings_are_named(tmp_path, case):
    make, message = unsupported_models()[case]
    path = saved(make(), tmp_path)
    with pytest.raises(UnsupportedNetworkError, match=message):
        NumpyNetwork.from_keras_archive(path)


def rewritten(path, config=None, weights=None):
    """The archive at ``path`` with its config or its weights file changed by a function."""
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    if config is not None:
        members["config.json"] = json.dumps(config(json.loads(members["config.json"])))
    if weights is not None:
        buffer = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buffer, "r+") as store:
            weights(store)
        members["model.weights.h5"] = buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def cnn_archive(tmp_path_factory):
    model = assemble_model(get_builder("cnn"), {"filters": (4, 8), "dense_units": None},
                           (None, N_FEATURES), 2, clip_centering=True, mean=np.zeros(5),
                           variance=np.ones(5))
    return saved(model, tmp_path_factory.mktemp("cnn"))


def test_malformed_archives_raise_value_errors(cnn_archive):
    with pytest.raises(ValueError, match="not a zip") as info:
        NumpyNetwork.from_keras_archive(b"PK but not really a zip")
    assert not isinstance(info.value, UnsupportedNetworkError)
    no_weights = io.BytesIO()
    with zipfile.ZipFile(no_weights, "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(ValueError, match=r"no model\.weights\.h5 member"):
        NumpyNetwork.from_keras_archive(no_weights.getvalue())

    def reshape(store):
        path = "layers/functional/layers/conv1d_1/vars/0"
        del store[path]
        store[path] = np.zeros((5, 4, 9), dtype="float32")

    with pytest.raises(ValueError, match=r"'conv2' \(Conv1D\).*shape \(5, 4, 9\).*"
                                         r"expected \(5, 4, 8\)"):
        NumpyNetwork.from_keras_archive(rewritten(cnn_archive, weights=reshape))

    def drop(store):
        del store["layers/functional/layers/batch_normalization/vars/3"]

    with pytest.raises(ValueError, match=r"'conv1_bn' \(BatchNormalization\) .*has 3 weights"):
        NumpyNetwork.from_keras_archive(rewritten(cnn_archive, weights=drop))


def test_a_foreign_layer_with_a_library_class_name_is_refused(cnn_archive):
    def impostor(config):
        config["config"]["layers"][1]["module"] = "someone_else.layers"
        config["config"]["layers"][1]["registered_name"] = "someone_else>ClipCentering"
        return config

    with pytest.raises(UnsupportedNetworkError, match=r"'clip_centering' \(ClipCentering\).*"
                                                      r"custom layer"):
        NumpyNetwork.from_keras_archive(rewritten(cnn_archive, config=impostor))


def test_unknown_config_options_are_refused(cnn_archive):
    def new_option(config):
        conv = config["config"]["layers"][3]["config"]["layers"][1]
        conv["config"]["lora_rank"] = 4
        return config

    with pytest.raises(UnsupportedNetworkError, match=r"'conv1' \(Conv1D\).*lora_rank=4"):
        NumpyNetwork.from_keras_archive(rewritten(cnn_archive, config=new_option))


def test_predicting_imports_neither_tensorflow_nor_keras(tmp_path):
    with zipfile.ZipFile(PRETRAINED) as archive:
        (member,) = (n for n in archive.namelist() if n.endswith(".keras"))
        (tmp_path / "net.keras").write_bytes(archive.read(member))
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import sklearn_ser
        from sklearn_ser.numpy_network import NumpyNetwork
        network = NumpyNetwork.from_keras_archive({str(tmp_path / "net.keras")!r})
        out = network.predict(np.zeros((2, *network.input_shape), dtype="float32"))
        assert out.shape == (2, 6), out.shape
        leaked = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
        assert not leaked, leaked
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
