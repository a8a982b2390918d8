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
    progress : sklearn_ser.utils.progress.Progress
        Anything with ``update(n, **postfix)``, such as
        :class:`~sklearn_ser.utils.progress.Progress`.
    """

    def __init__(self, progress):
        super().__init__()
        self.progress = progress

    def on_epoch_end(self, epoch, logs=None):
        """Advance the display by one epoch, with the epoch's loss and validation accuracy.

        Parameters
        ----------
        epoch : int
            Index of the finished epoch (Keras counts from 0).
        logs : dict or None
            The epoch's metrics, as Keras passes them.
        """
        logs = logs or {}
        self.progress.update(1, **{k: float(logs[k]) for k in ("loss", "val_accuracy")
                                   if k in logs})
