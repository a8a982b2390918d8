"""scikit-learn's common estimator checks on AudioFeatureTransformer.

A 2-D float array is a batch of equal-length waveforms, so the generic tabular test data of
the checks is valid (if odd-sounding) audio.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ser import AudioFeatureTransformer

# Every common check applies and passes. Two design choices make that so: a 2-D array is a
# table of equal-length waveforms, so transform checks its width against fit (lists of 1-D
# waveforms take any length), and float32 is the only dtype preserved (features are float32,
# what the Keras models consume).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [AudioFeatureTransformer(duration=0.05, n_fft=64, hop_length=32, n_mels=16, n_mfcc=8)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_common_checks(estimator, check):
    check(estimator)
