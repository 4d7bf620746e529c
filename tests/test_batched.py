"""The batched paths (numpy/scipy on the CPU, torch elsewhere) against librosa."""

import librosa
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skhyperdys import SpectrogramImages
from skhyperdys.batched import (
    _deltas,
    _feature_images_torch,
    _scale_into,
    delta_matrix,
    delta_operators,
    feature_images,
    feature_stacks,
    resize_matrix,
)
from skhyperdys.features import feature_image, feature_stack, scale_image

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


def _check_scaled_images(clips, images, image_size, **params):
    """Each scaled image against its per-clip one; degenerate clips unscaled.

    Scaled images span about 4.5 units. Min-max scaling divides by each
    channel's span, so float32 differences grow as the span shrinks: hence
    1e-3 rather than the stacks' 1e-4. The 1-sample clip's delta-delta
    channel is rounding noise of a near-flat span, which min-max scaling
    magnifies without bound (1.1e-3 apart on an AVX2 CPU, within 1e-3 on
    AVX-512 ones): it is compared before scaling, in its own units, where the
    two paths' rounding is not magnified.
    """
    for y, image in zip(clips, images, strict=True):
        if len(y) == 1:
            unscaled = feature_images([y], SR, image_size=image_size, scaling=None)
            ref = feature_image(y, SR, image_size=image_size, scaling=None)
            for channel in range(3):
                assert _relative_error(unscaled[0, channel], ref[channel]) < 1e-4
            continue
        ref = feature_image(y, SR, image_size=image_size, **params)
        np.testing.assert_allclose(image, ref, rtol=0, atol=1e-3)


def test_images_match_per_clip_path(clips):
    images = feature_images(clips, SR, image_size=(96, 80))
    _check_scaled_images(clips, images, (96, 80))


def test_feature_stacks_rejects_unknown_features():
    with pytest.raises(ValueError, match="features must be one of"):
        feature_stacks([np.zeros(8000)], 8000, features="cqt")


@pytest.mark.parametrize("features", ["logmel", "mfcc"])
@pytest.mark.parametrize(
    "settings",
    [
        dict(image_size=(96, 80)),
        # Frequency shrunk (40 bands -> 24 rows), time enlarged; no top_db.
        dict(image_size=(24, 700), n_fft=256, hop_length=64, n_mels=40,
             delta_width=5, top_db=None),
        dict(image_size=(64, 64), fmin=100.0, fmax=3000.0, n_mfcc=13),
    ],
)  # fmt: skip
def test_cpu_images_match_librosa_for_every_setting(clips, features, settings):
    # Unscaled, so that each channel's error is seen at its own scale.
    images = feature_images(clips, SR, features=features, scaling=None, **settings)
    for y, image in zip(clips, images, strict=True):
        ref = feature_image(y, SR, features=features, scaling=None, **settings)
        for channel in range(3):
            assert _relative_error(image[channel], ref[channel]) < 1e-4


@pytest.mark.parametrize("scaling", ["imagenet", "minmax", "standard", None])
def test_scaling_matches_scale_image(scaling):
    # Channels far from zero (MFCC 0 sits near -500 dB): scaling must
    # subtract before multiplying, or float32 cancellation costs 1e-3.
    rng = np.random.default_rng(0)
    images = (rng.standard_normal((4, 3, 16, 12)) - 500).astype(np.float32)
    images[1, 2] = -3.0  # a constant channel
    got = _scale_into(np.empty_like(images), images, scaling)
    expected = np.stack([scale_image(image, scaling) for image in images])
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5)


def test_images_are_written_into_out_and_rounded_once(clips):
    full = feature_images(clips, SR, image_size=(32, 32))
    out = np.full((len(clips) + 2, 3, 32, 32), 7, dtype=np.float16)
    got = feature_images(clips, SR, image_size=(32, 32), out=out[1:-1])
    assert np.shares_memory(got, out)
    np.testing.assert_array_equal(out[1:-1], full.astype(np.float16))
    assert (out[0] == 7).all() and (out[-1] == 7).all()  # nothing else touched


@pytest.mark.parametrize(("n_in", "n_out"), [(688, 224), (128, 224), (40, 24),
                                             (9, 300), (224, 224), (1, 5)])  # fmt: skip
def test_resize_matrix_is_torchs_antialiased_resize(n_in, n_out):
    x = np.random.default_rng(n_in).standard_normal((n_in, 3))
    by_torch = F.interpolate(
        torch.tensor(x)[None, None], size=(n_out, 3), mode="bilinear",
        antialias=True, align_corners=False,
    )[0, 0].numpy()  # fmt: skip
    np.testing.assert_allclose(resize_matrix(n_in, n_out) @ x, by_torch, atol=1e-12)


@pytest.mark.parametrize("width", [3, 5, 9])
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("n_frames", [9, 10, 57])
def test_delta_matrix_is_librosa_delta(width, order, n_frames):
    S = np.random.default_rng(n_frames).standard_normal((4, n_frames))
    expected = librosa.feature.delta(S, width=width, order=order)
    got = S @ delta_matrix(n_frames, width, order).T
    np.testing.assert_allclose(got, expected, atol=1e-10)


@pytest.mark.parametrize("image_size", [(96, 80), (24, 20)])  # up; down (antialias)
def test_gpu_path_arithmetic_matches_librosa_on_the_cpu(clips, image_size):
    """The torch path a GPU runs, run here on the CPU: the same numbers."""
    if image_size == (24, 20):
        # the 1-sample clip's deltas are rounding noise that min-max scaling
        # magnifies (6e-3 apart from librosa on either path when downsampled)
        clips = clips[:6]
    out = np.empty((len(clips), 3, *image_size), dtype=np.float32)
    images = _feature_images_torch(
        clips, SR, image_size=image_size, scaling="imagenet", device="cpu", out=out
    )
    assert images is out
    _check_scaled_images(clips, images, image_size)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_images_match_librosa(clips):
    images = feature_images(clips, SR, image_size=(96, 80), device="cuda")
    for y, image in zip(clips, images, strict=True):
        ref = feature_image(y, SR, image_size=(96, 80))
        np.testing.assert_allclose(image, ref, rtol=0, atol=1e-3)


def test_images_are_written_into_a_strided_out(clips):
    full = feature_images(clips, SR, image_size=(32, 32))
    # Channels first in memory: clips and channels cannot merge into one axis.
    out = np.zeros((3, len(clips), 32, 32), dtype=np.float32).transpose(1, 0, 2, 3)
    feature_images(clips, SR, image_size=(32, 32), out=out)
    np.testing.assert_array_equal(out, full)


@pytest.mark.parametrize("scaling", ["imagenet", "minmax", "standard", None])
def test_a_tensor_out_is_filled_where_it_is_with_the_same_numbers(clips, scaling):
    """The device-resident path (issue 21), run here on the CPU."""
    clips = clips[:6]
    kwargs = dict(image_size=(48, 40), scaling=scaling, device="cpu")
    reference = _feature_images_torch(
        clips, SR, out=np.empty((6, 3, 48, 40), np.float32), **kwargs
    )
    out = torch.empty((6, 3, 48, 40), dtype=torch.float16)
    images = _feature_images_torch(clips, SR, out=out, **kwargs)
    assert images is out  # filled in place, never a numpy array
    np.testing.assert_allclose(images.float().numpy(), reference, rtol=1e-3, atol=2e-3)


@pytest.mark.parametrize("scaling", ["imagenet", "minmax", "standard"])
def test_silence_is_a_constant_image_on_both_paths(scaling):
    """Float32 rounding of a flat -100 dB is not stretched into a noise image.

    Before FLAT_SPREAD, min-max scaling mapped the 1e-5 rounding noise of a
    silent clip to the full range: a noise image that differed between the
    two paths and from one CPU to another (the CLI's novelty flag of a
    silent file depended on the machine).
    """
    silence = [np.zeros(8000), np.zeros(12000)]
    params = dict(image_size=(64, 64), n_mels=32, scaling=scaling)
    batched = SpectrogramImages(backend="torch", **params).transform(silence)
    per_clip = SpectrogramImages(backend="librosa", **params).transform(silence)
    np.testing.assert_array_equal(batched, per_clip)
    flat = batched.reshape(2, 3, -1)
    assert (flat == flat[:, :, :1]).all()  # every channel constant


@pytest.mark.parametrize("order", [1, 2])
def test_deltas_at_each_clips_start_and_end_match_librosa(order):
    """Each clip's first and last frames, where librosa fits its edge windows.

    Three clips of different lengths side by side, each with a steep ramp at
    its start and a flat end, so that a start computed from the wrong window
    (the clip's end, or the previous clip's) differs from librosa's.
    """
    width, half = 9, 4
    rng = np.random.default_rng(order)
    blocks = []
    for n in (12, 30, 9):
        block = rng.standard_normal((5, n))
        block[:, :width] += 40.0 * np.arange(width)  # steep ramp at the start
        blocks.append(block)
    S = torch.as_tensor(np.concatenate(blocks, axis=1))
    got = _deltas(S, [b.shape[1] for b in blocks], width, order, "cpu").numpy()
    start = 0
    for block in blocks:
        n = block.shape[1]
        ref = librosa.feature.delta(block, width=width, order=order)
        np.testing.assert_allclose(got[:, start : start + half], ref[:, :half])
        np.testing.assert_allclose(got[:, start + n - half : start + n], ref[:, -half:])
        start += n
    # librosa fits a polynomial of degree `order` to each edge window, whose
    # order-th derivative is the same at every frame of the window: its edge
    # filters are all the interior one, so exchanging the start's operator
    # with the end's changes nothing (the window each one reads does).
    interior, left, right = delta_operators(width, order)
    np.testing.assert_allclose(left, right, atol=1e-14)
    np.testing.assert_allclose(left, np.tile(interior, (half, 1)), atol=1e-14)
