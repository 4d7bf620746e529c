import librosa
import numpy as np
import pytest

from skhyperdys.features import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    feature_image,
    feature_stack,
    min_clip_length,
    pad_for_deltas,
    resize_image,
    scale_image,
    spectral_matrix,
)

SR = 8000


@pytest.fixture
def clip():
    return np.random.default_rng(0).standard_normal(SR * 2).astype(np.float32)


def test_logmel_channel_equals_librosa(clip):
    settings = dict(n_fft=512, hop_length=128, n_mels=64)
    expected = librosa.power_to_db(
        librosa.feature.melspectrogram(y=clip, sr=SR, **settings)
    )
    stack = feature_stack(clip, SR, **settings)
    np.testing.assert_array_equal(stack[0], expected)
    np.testing.assert_array_equal(
        stack[1], librosa.feature.delta(expected, width=9, order=1)
    )
    np.testing.assert_array_equal(
        stack[2], librosa.feature.delta(expected, width=9, order=2)
    )


def test_log_mel_keeps_top_db_below_the_peak(clip):
    # a loud second, then a second 120 dB quieter: a range top_db must cut
    y = np.concatenate([clip[:SR], 1e-6 * clip[SR:]])
    settings = dict(n_fft=512, hop_length=128, n_mels=64)
    power = librosa.feature.melspectrogram(y=y, sr=SR, **settings)
    for top_db in (80.0, 40.0):
        S = spectral_matrix(y, SR, top_db=top_db, **settings)
        np.testing.assert_array_equal(S, librosa.power_to_db(power, top_db=top_db))
        assert S.max() - S.min() == pytest.approx(top_db)
    assert np.ptp(spectral_matrix(y, SR, top_db=None, **settings)) > 100


def test_mfcc_channel_equals_librosa(clip):
    settings = dict(n_fft=256, hop_length=64, n_mels=40)
    expected = librosa.feature.mfcc(y=clip, sr=SR, n_mfcc=13, **settings)
    got = spectral_matrix(clip, SR, features="mfcc", n_mfcc=13, **settings)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_unknown_features_raise(clip):
    with pytest.raises(ValueError, match="features must be one of"):
        spectral_matrix(clip, SR, features="cqt")


@pytest.mark.parametrize("n_samples", [1, 5, 511, 1023])
def test_short_clips_are_padded_so_deltas_work(n_samples):
    y = np.ones(n_samples)
    stack = feature_stack(y, SR, n_fft=512, hop_length=128, delta_width=9)
    assert stack.shape == (3, 128, 9)
    assert np.isfinite(stack).all()


def test_pad_for_deltas_leaves_long_clips_alone(clip):
    assert pad_for_deltas(clip, 512, 128, 9) is clip
    padded = pad_for_deltas(clip[:10], 512, 128, 9)
    assert padded.shape == (min_clip_length(512, 128, 9),)
    np.testing.assert_array_equal(padded[:10], clip[:10])
    assert not padded[10:].any()


def test_resize_keeps_channels_and_constant_values():
    image = np.full((3, 40, 300), 2.5)
    out = resize_image(image, (64, 96))
    assert out.shape == (3, 64, 96) and out.dtype == np.float32
    np.testing.assert_allclose(out, 2.5, rtol=1e-6)


def test_resize_is_bilinear_with_half_pixel_centres_and_antialiased():
    # a ramp along time (columns), another along frequency (rows), per channel
    cols = np.tile(np.arange(4.0), (3, 6, 1))  # values 0 1 2 3 across
    up = resize_image(cols, (6, 8))  # twice as wide: half-pixel centres
    np.testing.assert_allclose(
        up[:, 0], np.tile([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3], (3, 1))
    )
    rows = np.tile(np.arange(16.0)[:, None], (3, 1, 5))  # 0..15 down
    down = resize_image(rows, (4, 5))  # a quarter as high: a 4-wide filter
    # antialiased: each output averages its 4 inputs (a triangle of support 8
    # symmetric about 4j + 1.5), so a ramp stays a ramp inside; plain
    # bilinear would read 4j + 1.5 from two inputs only, the same on a ramp,
    # so the edge rows tell them apart: the filter is cut and renormalised
    np.testing.assert_allclose(down[0, 1:3, 0], [5.5, 9.5], rtol=1e-6)
    assert 1.5 < down[0, 0, 0] < 2.0 and 13.0 < down[0, 3, 0] < 13.5
    assert (np.diff(down[:, :, 0], axis=1) > 0).all()  # low bands stay on top


def test_minmax_and_imagenet_scaling(clip):
    stack = feature_stack(clip, SR)
    mm = scale_image(stack, "minmax")
    np.testing.assert_allclose(mm.min(axis=(1, 2)), 0)
    np.testing.assert_allclose(mm.max(axis=(1, 2)), 1)
    net = scale_image(stack, "imagenet")
    mean = np.asarray(IMAGENET_MEAN)[:, None, None]
    std = np.asarray(IMAGENET_STD)[:, None, None]
    np.testing.assert_allclose(net, (mm - mean) / std, rtol=1e-5, atol=1e-6)


def test_standard_scaling_and_constant_channels():
    image = np.stack([np.arange(12.0).reshape(3, 4), np.zeros((3, 4)), np.ones((3, 4))])
    std = scale_image(image, "standard")
    np.testing.assert_allclose(std[0].mean(), 0, atol=1e-6)
    np.testing.assert_allclose(std[0].std(), 1, rtol=1e-5)
    assert not std[1:].any()
    assert not scale_image(image, "minmax")[1:].any()
    np.testing.assert_array_equal(scale_image(image, None), image)


def test_unknown_scaling_raises():
    with pytest.raises(ValueError, match="scaling must be one of"):
        scale_image(np.zeros((3, 2, 2)), "zscore")


def test_feature_image_composes_the_steps(clip):
    params = dict(n_fft=512, hop_length=128, n_mels=64)
    expected = scale_image(resize_image(feature_stack(clip, SR, **params), (96, 80)))
    got = feature_image(clip, SR, image_size=(96, 80), **params)
    assert got.shape == (3, 96, 80) and got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_every_path_reads_its_defaults_from_one_place():
    import dataclasses
    import inspect

    from skhyperdys import EgemapsFunctionals, SpectrogramImages, batched, features
    from skhyperdys.features import DEFAULTS

    settings = {f.name: getattr(DEFAULTS, f.name) for f in dataclasses.fields(DEFAULTS)}
    callables = [
        features.spectral_matrix,
        features.feature_stack,
        features.feature_image,
        features.scale_image,
        batched.feature_stacks,
        batched.feature_images,
        SpectrogramImages,
        EgemapsFunctionals,
    ]
    for func in callables:
        shared = {
            name: p.default
            for name, p in inspect.signature(func).parameters.items()
            if name in settings and p.default is not inspect.Parameter.empty
        }
        assert shared, func
        assert shared == {name: settings[name] for name in shared}, func
    # SpectrogramImages exposes every setting
    params = SpectrogramImages().get_params()
    assert {k: params[k] for k in settings} == settings
