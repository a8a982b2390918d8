"""The clip front end: what every transformer does to a clip before its own features.

One direction, one module per stage::

    inputs     X (paths | waveforms | 2-D array) -> one source per clip   clip_sources
    decode     checked header -> bounded blocks -> mono -> resample       load_audio
    condition  peak-normalise -> trim silence -> pad/crop to duration     condition
    views      fit_transform only: the clip + one view per augmentation   make_views
    features   frame-level matrix (n_frames, n_features)                  extract_features

The names above, with the vocabularies of ``augment=`` (:data:`AUGMENTATIONS`) and
``features=`` (:data:`FEATURES`) and the error every stage raises (:class:`AudioInputError`),
are importable from here; each stage's module holds the rest (:mod:`.augment` the
augmentations, :mod:`.dsp` the signal processing the features and augmentations share).
:mod:`.clip` runs one clip through the stages in a joblib worker, :mod:`.extraction` runs it
over all clips, :mod:`.smile_clip` is the openSMILE worker and :mod:`.stream` cuts long
recordings into windows. None of these modules imports scikit-learn except
:mod:`.extraction` and :mod:`.inputs` (lazily), so a worker starts fast.
"""

from .augment import AUGMENTATIONS
from .condition import condition
from .decode import AudioContentWarning, AudioInputError, audio_info, load_audio
from .features import FEATURES, FeatureParams, extract_features, register_feature
from .inputs import clip_sources
from .views import make_views

__all__ = [
    "AUGMENTATIONS",
    "FEATURES",
    "AudioContentWarning",
    "AudioInputError",
    "FeatureParams",
    "audio_info",
    "clip_sources",
    "condition",
    "extract_features",
    "load_audio",
    "make_views",
    "register_feature",
]
