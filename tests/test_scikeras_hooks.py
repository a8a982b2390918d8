"""The two private scikeras hooks SERClassifier still uses, pinned by behaviour.

SERClassifier leans on scikeras's public surface (KerasClassifier, ``target_encoder``, routed
parameter names) wherever it can. Two pieces have no public equivalent: resolving the routed
``optimizer__``/``loss__``/``metrics__``/``compile__`` parameters into compile arguments, and
instantiating ``callbacks``/``callbacks__`` parameters. If a new scikeras renames or changes
them, these tests fail with a message that names the hook, rather than training silently with
the wrong optimizer settings.
"""

from __future__ import annotations

import keras
import pytest
import scikeras
from scikeras.wrappers import BaseWrapper, KerasClassifier

from sklearn_ser import SERClassifier

HOOKS = ("_get_compile_kwargs", "_initialize_callbacks")


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_exists(hook):
    assert callable(getattr(KerasClassifier, hook, None)), (
        f"scikeras {scikeras.__version__} has no BaseWrapper.{hook}; SERClassifier's "
        "_scikeras_* methods must be ported to its replacement."
    )
    assert getattr(KerasClassifier, hook) is getattr(BaseWrapper, hook)


def test_compile_kwargs_resolve_routed_optimizer_loss_and_compile_parameters():
    clf = SERClassifier(optimizer="adam", optimizer__learning_rate=0.0123,
                        loss=keras.losses.Huber, loss__name="routed_huber",
                        compile__run_eagerly=True)
    kwargs = clf._scikeras_compile_kwargs()
    optimizer, loss = kwargs["optimizer"], kwargs["loss"]
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == pytest.approx(0.0123)
    assert isinstance(loss, keras.losses.Huber)
    assert loss.name == "routed_huber"
    assert kwargs["run_eagerly"] is True


def test_fit_callbacks_are_instantiated_with_routed_parameters():
    clf = SERClassifier(callbacks=[keras.callbacks.TerminateOnNaN, keras.callbacks.CSVLogger],
                        callbacks__1__filename="log.csv")
    callbacks = clf._scikeras_fit_callbacks()
    kinds = sorted(type(cb).__name__ for cb in callbacks)
    assert kinds == ["CSVLogger", "TerminateOnNaN"]
    csv = next(cb for cb in callbacks if isinstance(cb, keras.callbacks.CSVLogger))
    assert csv.filename == "log.csv"
    # the hook's scratch attributes are not left behind as if they were fitted state
    assert not hasattr(clf, "_fit_callbacks")


def test_label_smoothing_as_documented_trains_on_one_hot_targets():
    import numpy as np

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 6, 3)).astype("float32"), np.repeat(["a", "b", "c"], 4)
    clf = SERClassifier(arch="cnn", epochs=1, model__filters=(2,), model__dense_units=None,
                        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
                        random_state=0).fit(X, y)
    assert clf.model_.loss.get_config()["label_smoothing"] == pytest.approx(0.1)
    assert clf.predict_proba(X).shape == (12, 3)
