"""Training progress of a SERClassifier: a Keras callback that reports each epoch."""

from __future__ import annotations

import keras

__all__ = ["EpochProgress"]


class EpochProgress(keras.callbacks.Callback):
    """Advances a progress display at the end of every training epoch.

    The latest training loss and validation accuracy are shown with it. Pass it in
    ``SERClassifier(callbacks=[...])``; remove it before saving the model (callbacks only
    act during ``fit`` and the safe format refuses them).

    Parameters
    ----------
    progress : sklearn_ser.progress.Progress
        Anything with ``update(n, **postfix)``, such as
        :class:`~sklearn_ser.progress.Progress`.
    """

    def __init__(self, progress):
        super().__init__()
        self.progress = progress

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.progress.update(1, **{k: float(logs[k]) for k in ("loss", "val_accuracy")
                                   if k in logs})
