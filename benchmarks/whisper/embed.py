"""Embed the three shared corpora with WhisperTransformer, once per layer (cached).

    python benchmarks/whisper/embed.py --layers 3 2 --corpora emodb tess crema_d
"""

import argparse

from _common import LOADERS, embeddings

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--layers", type=int, nargs="+", default=[3])
p.add_argument("--corpora", nargs="+", choices=list(LOADERS), default=list(LOADERS))
args = p.parse_args()
for layer in args.layers:
    for corpus in args.corpora:
        embeddings(corpus, layer=layer)
