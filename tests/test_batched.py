"""The batched torch path against librosa (the reference)."""

import librosa
import numpy as np
import pytest

from skhyperdys.batched import delta_operators, feature_images, feature_stacks
from skhyperdys.features import feature_image, feature_stack

SR = 8000


def _relative_error(got, ref):
    return np.abs(got - ref).max() / np.abs(ref).max()


@pytest.fixture(scope="module")
def clips():
    rng = np.random.default_rng(0)
    lengths = [int(s * SR) for s in rng.uniform(3, 8, size=6)] + [1, 700, 1100]
    return [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in lengths]


@pytest.mark.parametrize("features", ["logmel", "mfcc"])
@pytest.mark.parametrize(
    "settings",
    [dict(), dict(n_fft=256, hop_length=64, n_mels=40, delta_width=5, top_db=None)],
)
def test_stacks_match_librosa(clips, features, settings):
    stacks = feature_stacks(clips, SR, features=features, **settings)
    for y, stack in zip(clips, stacks, strict=True):
        ref = feature_stack(y, SR, features=features, **settings)
        assert tuple(stack.shape) == ref.shape
        for channel in range(3):
            assert _relative_error(stack[channel].numpy(), ref[channel]) < 1e-4


@pytest.mark.parametrize("width", [3, 5, 9])
@pytest.mark.parametrize("order", [1, 2])
def test_delta_operators_reproduce_librosa_delta(width, order):
    S = np.random.default_rng(width).standard_normal((4, 20))
    interior, left, right = delta_operators(width, order)
    half = width // 2
    ref = librosa.feature.delta(S, width=width, order=order)
    got = np.empty_like(S)
    for t in range(half, 20 - half):
        got[:, t] = S[:, t - half : t + half + 1] @ interior
    got[:, :half] = S[:, :width] @ left.T
    got[:, 20 - half :] = S[:, 20 - width :] @ right.T
    np.testing.assert_allclose(got, ref, atol=1e-10)


def test_images_match_per_clip_path(clips):
    # Scaled images span about 4.5 units. Min-max scaling of a nearly
    # constant channel (the deltas of a 1-sample clip span 0.08) magnifies
    # float32 differences, hence 1e-3 rather than the stacks' 1e-4.
    images = feature_images(clips, SR, image_size=(96, 80))
    for y, image in zip(clips, images, strict=True):
        ref = feature_image(y, SR, image_size=(96, 80))
        np.testing.assert_allclose(image, ref, rtol=0, atol=1e-3)


def test_feature_stacks_rejects_unknown_features():
    with pytest.raises(ValueError, match="features must be one of"):
        feature_stacks([np.zeros(8000)], 8000, features="cqt")
