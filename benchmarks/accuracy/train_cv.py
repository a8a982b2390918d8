"""Speaker-independent cross-validation of cnn_gru training recipes on cached features.

Research script for issue 7. Features come from ``extract.py`` (clean clip = view 0 plus
augmented views); training uses the training folds' views, validation and test use view 0
only, exactly what ``Pipeline([AudioFeatureTransformer(augment=...), SERClassifier()])`` does.

    python benchmarks/accuracy/train_cv.py --cache emodb_h256m64 --feats mel --epochs 30

Prints per-fold and mean unweighted average recall (balanced accuracy) and accuracy, and
appends one JSON line per run to ``results.jsonl`` next to this file.
"""

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import GroupKFold, GroupShuffleSplit
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight

CACHE = Path(os.environ.get("SER_ACC_CACHE", "/tmp/ser_acc"))
RESULTS = Path(__file__).with_name("results.jsonl")

FEATURE_SETS = {
    "mel": ["mel"],
    "mfcc20": ["mfcc<20"],
    "mfcc40": ["mfcc"],
    "mfcc20d": ["mfcc<20", "mfcc_delta<20", "mfcc_delta2<20"],
    "default": ["zcr", "rms", "mfcc<20"],  # the transformer's default features
    "mel_zr": ["zcr", "rms", "mel"],
    "mel_mfcc": ["zcr", "rms", "mfcc<20", "mel"],
    "mel_contrast": ["zcr", "rms", "mel", "spectral_contrast"],
}


def select_columns(names, spec):
    """Indices of the columns named by a feature-set spec ("mfcc<20": first 20 MFCCs)."""
    keep = []
    for item in spec:
        prefix, _, limit = item.partition("<")
        idx = [i for i, n in enumerate(names) if n == prefix or
               (n.rsplit("_", 1)[0] == prefix and n.rsplit("_", 1)[1].isdigit())]
        keep += idx[: int(limit)] if limit else idx
    return np.array(keep)


class SpecAugment(layers.Layer):
    """Zero random time and feature bands (0 = the training mean after normalisation).

    Active in training only.
    """

    def __init__(self, time_masks=2, time_width=12, freq_masks=2, freq_width=8, seed=0, **kw):
        super().__init__(**kw)
        self.time_masks, self.time_width = time_masks, time_width
        self.freq_masks, self.freq_width = freq_masks, freq_width
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _mask(self, batch, length, n_masks, width):
        pos = ops.arange(length, dtype="float32")[None, :]
        keep = ops.ones((batch, length))
        for _ in range(n_masks):
            w = keras.random.uniform((batch, 1), 0, width + 1, seed=self.seed_generator)
            start = keras.random.uniform((batch, 1), 0, 1, seed=self.seed_generator) * (length - w)
            keep = keep * ops.cast((pos < start) | (pos >= start + ops.floor(w)), "float32")
        return keep

    def call(self, x, training=False):
        if not training:
            return x
        b, t, f = ops.shape(x)[0], x.shape[1], x.shape[2]
        mt = self._mask(b, t, self.time_masks, self.time_width)[:, :, None]
        mf = self._mask(b, f, self.freq_masks, self.freq_width)[:, None, :]
        return x * mt * mf


class ClipCentre(layers.Layer):
    """Subtract each clip's mean over time, per feature (cepstral-mean-style normalisation)."""

    def call(self, x):
        return x - ops.mean(x, axis=1, keepdims=True)


class StatsPool(layers.Layer):
    """Mean and standard deviation over time."""

    def call(self, x):
        mean = ops.mean(x, axis=1)
        std = ops.sqrt(ops.mean(ops.square(x - mean[:, None]), axis=1) + 1e-5)
        return ops.concatenate([mean, std], axis=-1)


class AttentionPool(layers.Layer):
    """Softmax attention weights over time, weighted mean."""

    def build(self, shape):
        self.score = layers.Dense(1)
        self.score.build(shape)

    def call(self, x):
        w = ops.softmax(self.score(x), axis=1)
        return ops.sum(w * x, axis=1)


def build_model(shape, n_classes, a, norm_rows):
    inp = keras.Input(shape)
    x = inp
    if a.clip_centre:
        x = ClipCentre()(x)
    norm = layers.Normalization(axis=-1)
    norm.adapt(norm_rows if not a.clip_centre else norm_rows - norm_rows.mean(1, keepdims=True))
    x = norm(x)
    if a.specaug:
        x = SpecAugment(a.tmasks, a.twidth, a.fmasks, a.fwidth, seed=a.seed)(x)
    if a.in_dropout:
        x = layers.SpatialDropout1D(a.in_dropout)(x)
    reg = keras.regularizers.l2(a.l2) if a.l2 else None
    for i, width in enumerate(a.widths):
        x = layers.Conv1D(width, a.kernel, padding="same", use_bias=False,
                          kernel_regularizer=reg)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        if i < a.pools:
            x = layers.MaxPooling1D(2)(x)
        x = layers.Dropout(a.dropout)(x)
    if a.gru:
        x = layers.Bidirectional(layers.GRU(a.gru, return_sequences=a.head != "last",
                                            kernel_regularizer=reg))(x)
    if a.head == "mean":
        x = layers.GlobalAveragePooling1D()(x)
    elif a.head == "stats":
        x = StatsPool()(x)
    elif a.head == "attn":
        x = AttentionPool()(x)
    elif a.head == "max":
        x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dropout(a.head_dropout)(x)
    if a.dense:
        x = layers.Dense(a.dense, activation="relu", kernel_regularizer=reg)(x)
        x = layers.Dropout(a.head_dropout)(x)
    out = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inp, out)


class MixupData(keras.utils.PyDataset):
    """Shuffled batches; with ``alpha`` > 0 each batch is mixed with a permutation of itself."""

    def __init__(self, X, Y, w, batch, alpha, seed):
        super().__init__()
        self.X, self.Y, self.w, self.batch, self.alpha = X, Y, w, batch, alpha
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return int(np.ceil(len(self.X) / self.batch))

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.X))

    def __getitem__(self, i):
        idx = self.order[i * self.batch:(i + 1) * self.batch]
        x, y, w = self.X[idx], self.Y[idx], self.w[idx]
        if self.alpha > 0:
            lam = self.rng.beta(self.alpha, self.alpha, size=(len(idx), 1)).astype("float32")
            lam = np.maximum(lam, 1 - lam)
            perm = self.rng.permutation(len(idx))
            x = lam[:, :, None] * x + (1 - lam[:, :, None]) * x[perm]
            y = lam * y + (1 - lam) * y[perm]
            w = lam[:, 0] * w + (1 - lam[:, 0]) * w[perm]
        return x, y, w


def run_fold(Xv, y, train, test, groups, n_classes, a):
    keras.utils.set_random_seed(a.seed)
    views = Xv[train][:, a.views]  # training clips, chosen views
    n_views = views.shape[1]
    val = np.array([], dtype=int)
    if a.val_speakers:
        gss = GroupShuffleSplit(1, test_size=a.val_speakers, random_state=a.seed)
        tr_idx, val_idx = next(gss.split(train, groups=groups[train]))
        val, views = train[val_idx], views[tr_idx]
        train = train[tr_idx]
    Xtr = views.reshape(-1, *views.shape[2:])
    ytr = np.repeat(y[train], n_views)
    cw = compute_class_weight("balanced", classes=np.arange(n_classes), y=y[train])
    w = cw[ytr] if a.class_weight else np.ones(len(ytr))
    w = w.astype("float32")
    Ytr = np.eye(n_classes, dtype="float32")[ytr]
    if a.label_smoothing:
        Ytr = Ytr * (1 - a.label_smoothing) + a.label_smoothing / n_classes
    model = build_model(Xtr.shape[1:], n_classes, a, Xtr)
    steps = int(np.ceil(len(Xtr) / a.batch)) * a.epochs
    if a.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(a.lr * 0.1, steps, alpha=0.01,
                                                    warmup_target=a.lr,
                                                    warmup_steps=steps // 10)
    else:
        lr = a.lr
    opt = (keras.optimizers.AdamW(lr, weight_decay=a.wd) if a.wd
           else keras.optimizers.Adam(lr))
    model.compile(opt, "categorical_crossentropy", metrics=["accuracy"])
    callbacks = []
    val_data = None
    if len(val):
        Yval = np.eye(n_classes, dtype="float32")[y[val]]
        val_data = (Xv[val, 0], Yval, cw[y[val]].astype("float32"))
        if a.patience:
            callbacks.append(keras.callbacks.EarlyStopping(
                "val_loss", patience=a.patience, restore_best_weights=True))
    data = MixupData(Xtr, Ytr, w, a.batch, a.mixup, a.seed)
    hist = model.fit(data, epochs=a.epochs, validation_data=val_data, callbacks=callbacks,
                     verbose=0)
    if a.inner:  # selection protocol: score the held-out training speakers, never the test fold
        test = val
    proba = model.predict(Xv[test, 0], batch_size=256, verbose=0)
    if a.tta:  # average over the test clips' augmented views (outside the library contract)
        for v in range(1, Xv.shape[1]):
            proba += model.predict(Xv[test, v], batch_size=256, verbose=0)
    return proba.argmax(1), len(hist.history["loss"]), test


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", default="emodb_h256m64")
    p.add_argument("--feats", default="mel", choices=sorted(FEATURE_SETS))
    p.add_argument("--views", default="all", help="'all', or comma list of view indices (0=clean)")
    p.add_argument("--folds", type=int, default=5, help="run only the first k of 5 folds")
    p.add_argument("--only", type=int, nargs="*", help="run only these fold indices")
    p.add_argument("--clip-centre", action="store_true")
    p.add_argument("--widths", type=int, nargs="+", default=[64, 128])
    p.add_argument("--kernel", type=int, default=5)
    p.add_argument("--pools", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--in-dropout", type=float, default=0.0)
    p.add_argument("--gru", type=int, default=64)
    p.add_argument("--head", default="mean", choices=["mean", "stats", "attn", "max", "last"])
    p.add_argument("--dense", type=int, default=0)
    p.add_argument("--head-dropout", type=float, default=0.3)
    p.add_argument("--l2", type=float, default=0.0)
    p.add_argument("--wd", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--schedule", default="cosine", choices=["cosine", "const"])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--val-speakers", type=int, default=0)
    p.add_argument("--patience", type=int, default=0)
    p.add_argument("--inner", action="store_true",
                   help="with --val-speakers: report UAR on the inner validation speakers "
                        "(choosing a recipe without looking at the test folds)")
    p.add_argument("--class-weight", action="store_true")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--specaug", action="store_true")
    p.add_argument("--tmasks", type=int, default=2)
    p.add_argument("--twidth", type=int, default=12)
    p.add_argument("--fmasks", type=int, default=2)
    p.add_argument("--fwidth", type=int, default=8)
    p.add_argument("--mixup", type=float, default=0.0)
    p.add_argument("--tta", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tag", default="")
    a = p.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    d = np.load(CACHE / f"{a.cache}.npz")
    cols = select_columns(list(d["names"]), FEATURE_SETS[a.feats])
    Xv = np.ascontiguousarray(d["views"][..., cols])
    a.views = (slice(None) if a.views == "all"
               else [int(v) for v in a.views.split(",")])
    y = LabelEncoder().fit_transform(d["y"])
    groups = d["groups"]
    n_classes = int(y.max()) + 1
    folds = list(GroupKFold(5).split(Xv, y, groups))[: a.folds]
    if a.only:
        folds = [folds[k] for k in a.only]
    uars, accs, times, epochs = [], [], [], []
    for k, (train, test) in zip(a.only or range(len(folds)), folds):
        t0 = time.perf_counter()
        c0 = time.process_time()
        pred, ep, test = run_fold(Xv, y, train, test, groups, n_classes, a)
        times.append(time.perf_counter() - t0)
        uars.append(balanced_accuracy_score(y[test], pred))
        accs.append(accuracy_score(y[test], pred))
        epochs.append(ep)
        print(f"fold {k}: UAR {uars[-1]:.3f} acc {accs[-1]:.3f} epochs {ep} "
              f"{times[-1]:.0f}s wall {time.process_time() - c0:.0f}s cpu", flush=True)
    args = {k: v for k, v in vars(a).items() if k != "views"}
    args["views"] = "all" if isinstance(a.views, slice) else a.views
    print(f"MEAN UAR {np.mean(uars):.3f} (sd {np.std(uars):.3f}) acc {np.mean(accs):.3f} "
          f"time {sum(times):.0f}s | {a.tag} {json.dumps(args)}")
    with RESULTS.open("a") as fh:
        fh.write(json.dumps({"uar": uars, "acc": accs, "time": times, "epochs": epochs,
                             "mean_uar": float(np.mean(uars)),
                             "mean_acc": float(np.mean(accs)), "args": args}) + "\n")


if __name__ == "__main__":
    main()
