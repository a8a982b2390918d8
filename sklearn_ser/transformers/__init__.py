"""The transformers: audio clips in, features out, side by side on one front end.

Each decodes and conditions its clips with :mod:`sklearn_ser.frontend` and makes augmented
views with its :func:`~sklearn_ser.frontend.make_views`; they differ in the features:

- :mod:`.audio_features`: :class:`~sklearn_ser.AudioFeatureTransformer`, frame-level
  spectral features (log-mel by default);
- :mod:`.smile`: :class:`~sklearn_ser.OpenSmileTransformer`, openSMILE functionals or
  low-level descriptors, and :func:`~sklearn_ser.transformers.smile.make_functionals_pipeline`;
- :mod:`.embeddings`: :class:`~sklearn_ser.SpeechEmbeddingTransformer`, wav2vec 2.0, HuBERT
  or WavLM through transformers;
- :mod:`.whisper`: :class:`~sklearn_ser.WhisperTransformer`, Whisper's encoder through
  CTranslate2.

The classes are imported as ``from sklearn_ser import ...``; this package imports none of
its modules, so that the optional extras (opensmile, torch) are loaded only when used.
"""
