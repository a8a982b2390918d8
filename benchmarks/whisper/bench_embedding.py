"""Batched embedding against one clip at a time, side by side in one run.

One clip at a time is what a loop over files does: ``transform([path])`` per clip, each
decoded, turned into log-mels and encoded before the next is read. Batched is one
``transform(paths)``: clips in batches of similar length, the next chunk decoded while the
encoder works. The embedding cache is cleared before each, and the outputs are compared.

    python benchmarks/whisper/bench_embedding.py --clips 300 --layer 3
"""

import argparse
import time

import numpy as np
from _common import load, record

from sklearn_ser import WhisperTransformer
from sklearn_ser.transformers.whisper import clear_embedding_cache

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--corpus", default="crema_d")
p.add_argument("--clips", type=int, default=300)
p.add_argument("--layer", type=int, default=3)
p.add_argument("--batch-size", type=int, default=16)
args = p.parse_args()

paths = list(np.random.default_rng(0).choice(load(args.corpus).X, args.clips, replace=False))
embed = WhisperTransformer(layer=args.layer, batch_size=args.batch_size).fit(paths[:1])
embed.transform(paths[:2])  # load the encoder and warm it up outside the timings
times = {}
clear_embedding_cache()
start = time.perf_counter()
single = np.concatenate([embed.transform([path]) for path in paths])
times["one_at_a_time_s"] = time.perf_counter() - start
clear_embedding_cache()
start = time.perf_counter()
batched = embed.transform(paths)
times["batched_s"] = time.perf_counter() - start
clear_embedding_cache()
record("bench_embedding_results", corpus=args.corpus, clips=args.clips, layer=args.layer,
       batch_size=args.batch_size, **{k: round(v, 2) for k, v in times.items()},
       clips_per_s={k[:-2]: round(args.clips / v, 1) for k, v in times.items()},
       speedup=round(times["one_at_a_time_s"] / times["batched_s"], 2),
       max_abs_difference=float(np.abs(single - batched).max()))
