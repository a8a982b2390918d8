"""Train the pretrained Whisper model (``load_pretrained()``) and write its model card.

The recipe (:func:`sklearn_ser.pretrained.recipe`) fitted on the six common emotions of
CREMA-D, TESS and EmoDB. The head is fitted on the embeddings of embed.py's cache, which the
same WhisperTransformer computed; the script checks that the saved pipeline, reading the
audio files itself, gives the same probabilities on a sample of clips.

    python benchmarks/whisper/train_pretrained.py
"""

import json
import time
from pathlib import Path

import numpy as np
from _common import SIX, embeddings, load, revision

import sklearn_ser
from sklearn_ser.backbones import get_backbone
from sklearn_ser.pretrained import PRETRAINED, recipe
from sklearn_ser.pretrained._recipe import RECIPE_LAYER

HERE = Path(__file__).resolve().parent
MODEL_FILE, CARD_FILE = PRETRAINED["whisper"]
OLD_CARD = PRETRAINED["cnn_gru"][1]

parts = {c: embeddings(c, layer=RECIPE_LAYER) for c in ("crema_d", "tess", "emodb")}
keep = {c: np.isin(y, SIX) for c, (_, y, _) in parts.items()}
X = np.concatenate([parts[c][0][keep[c]] for c in parts])
y = np.concatenate([parts[c][1][keep[c]] for c in parts])
paths = np.concatenate([np.asarray(load(c).X)[keep[c]] for c in parts])

model = recipe()
model.steps[0][1].fit(paths[:1])      # the encoder learns nothing: fit validates, finds weights
model[1:].fit(X, y)
sample = np.random.default_rng(0).choice(len(paths), 24, replace=False)
gap = np.abs(model.predict_proba(list(paths[sample])) - model[1:].predict_proba(X[sample])).max()
assert gap < 1e-4, f"the pipeline and the cached features disagree by {gap}"
sklearn_ser.save(model, MODEL_FILE)

results = [json.loads(line) for name in ("literal_results", "selection_results")
           if (HERE / f"{name}.jsonl").is_file()
           for line in (HERE / f"{name}.jsonl").read_text().splitlines()]
backbone = get_backbone(model.steps[0][1].backbone)
old = json.loads(OLD_CARD.read_text(encoding="utf-8"))
counts = {c: int(keep[c].sum()) for c in parts}
card = {
    "name": "sklearn-ser pretrained six-emotion model, Whisper edition",
    "file": MODEL_FILE.name,
    "file_bytes": MODEL_FILE.stat().st_size,
    "format": "sklearn-ser safe model format (the head); the encoder is the pinned backbone",
    "sklearn_ser_version": sklearn_ser.__version__,
    "pipeline": repr(model).replace("\n", " "),
    "backbone": {"name": backbone.name, "repository": backbone.repo_id,
                 "revision": backbone.revision, "layer": RECIPE_LAYER,
                 "model_bin_sha256": backbone.files["model.bin"].sha256,
                 "licence": backbone.licence, "citation": backbone.citation,
                 "installed_from": list(backbone.pip_names)},
    "input": "audio paths or waveforms (16 kHz unless input_sr is set); any length",
    "emotions": list(SIX),
    "training_data": [{**d, "clips_used": counts[d["corpus"]]} for d in old["training_data"]],
    "terms_of_use": old["terms_of_use"] + " Whisper's weights: MIT licence (OpenAI).",
    "terms_short": old["terms_short"],
    "accuracy": results,
    "intended_use": old.get("intended_use"),
    "limitations": [
        old["limitations"][0],
        old["limitations"][1],
        "Speech unlike CREMA-D, TESS and EmoDB (other speakers, rooms, microphones, "
        "languages) shifts Whisper's features: adapt the model to such recordings first "
        "(sklearn_ser.pretrained.adapt, sklearn-ser predict --adapt), best per speaker, on a "
        "few dozen recordings or more that hold several emotions.",
        old["limitations"][3],
    ],
    "training_command": "python benchmarks/whisper/embed.py && "
                        "python benchmarks/whisper/train_pretrained.py",
    "revision": revision(),
    "date": time.strftime("%Y-%m-%d"),
}
CARD_FILE.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
print(f"{MODEL_FILE} ({card['file_bytes']} bytes), {CARD_FILE}")
