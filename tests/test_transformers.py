import os
import pathlib
import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import SR, small_transformer

from skhyperdys import MultiTaskImages, SpectrogramImages
from skhyperdys._threads import single_threaded
from skhyperdys.features import feature_image
from skhyperdys.inspection import UnusualInputWarning


def _expected(y, transformer):
    # The transformer computes under single_threaded() (BLAS threads change
    # summation order in the last float bit), so the reference does too.
    with single_threaded():
        return feature_image(y, transformer.sr, **transformer._image_params())


def test_variable_length_list(recordings):
    tr = small_transformer(backend="librosa")
    out = tr.fit_transform(recordings.data[:4])
    assert out.shape == (4, 3, 64, 64) and out.dtype == np.float32
    for y, image in zip(recordings.data[:4], out, strict=True):
        np.testing.assert_array_equal(image, _expected(y, tr))


@pytest.mark.parametrize("features", ["logmel", "mfcc"])
def test_torch_backend_matches_librosa_backend(recordings, features):
    X = recordings.data[:8] + [np.ones(3)]
    fast = small_transformer(features=features, n_mfcc=20).transform(X)
    exact = small_transformer(features=features, n_mfcc=20, backend="librosa")
    np.testing.assert_allclose(fast, exact.transform(X), rtol=0, atol=1e-4)


def test_default_output_is_three_by_224_square(rng):
    out = SpectrogramImages().fit_transform([rng.standard_normal(SR)])
    assert out.shape == (1, 3, 224, 224)


@pytest.mark.parametrize("container", [list, tuple, "object_array", "2d_array"])
def test_containers_give_the_same_images(container, rng):
    waves = [rng.standard_normal(SR).astype(np.float32) for _ in range(3)]
    if container == "object_array":
        X = np.empty(3, dtype=object)
        X[:] = waves
    elif container == "2d_array":
        X = np.stack(waves)
    else:
        X = container(waves)
    tr = small_transformer()
    np.testing.assert_array_equal(tr.fit_transform(X), tr.transform(list(waves)))


def test_integer_waveforms_are_accepted(rng):
    y = (rng.standard_normal(SR) * 3000).astype(np.int16)
    out = small_transformer().fit_transform([y])
    assert np.isfinite(out).all()


def test_audio_files_mono_stereo_and_resampled(tmp_path, rng):
    y = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    z = np.sin(2 * np.pi * 300 * np.arange(SR) / SR).astype(np.float32)
    mono = tmp_path / "mono.wav"
    stereo = tmp_path / "stereo.wav"
    hi_rate = tmp_path / "hi.flac"
    sf.write(mono, y, SR, subtype="FLOAT")
    sf.write(stereo, np.stack([y, z], axis=1), SR, subtype="FLOAT")
    sf.write(hi_rate, np.repeat(y, 2), 2 * SR)
    tr = small_transformer(backend="librosa")
    out = tr.fit_transform([str(mono), stereo, hi_rate])  # str and PathLike
    np.testing.assert_array_equal(out[0], _expected(y, tr))
    # stereo mixed to mono: the mean of the channels
    np.testing.assert_allclose(out[1], _expected((y + z) / 2, tr), atol=1e-5)
    # resampled from 16 kHz as librosa does (soxr, high quality)
    stored, _ = sf.read(hi_rate, dtype="float32")
    at_sr = librosa.resample(stored, orig_sr=2 * SR, target_sr=SR)
    np.testing.assert_allclose(out[2], _expected(at_sr, tr), atol=1e-5)


def test_files_and_arrays_mix(tmp_path, rng):
    y = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    path = tmp_path / "a.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    out = small_transformer().fit_transform([y, path])
    # Equal to float32 rounding: the same clip at another position of a batch
    # can round its last bit differently (vectorised loops on some CPUs).
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n_samples", [1, 2, 100])
def test_very_short_clips(n_samples, rng):
    out = small_transformer().fit_transform([rng.standard_normal(n_samples)])
    assert out.shape == (1, 3, 64, 64) and np.isfinite(out).all()


def test_n_jobs_gives_identical_output(recordings):
    X = recordings.data[:20]
    serial = small_transformer().transform(X)
    parallel = small_transformer(n_jobs=2).transform(X)
    np.testing.assert_array_equal(serial, parallel)


def test_thread_settings_are_restored_after_transform(recordings):
    # transform runs with one torch and one BLAS thread per worker thread;
    # the process's own settings must come back afterwards.
    from threadpoolctl import threadpool_info

    torch.set_num_threads(2)
    before = [pool["num_threads"] for pool in threadpool_info()]
    small_transformer(n_jobs=2).transform(recordings.data[:20])
    assert torch.get_num_threads() == 2
    assert [pool["num_threads"] for pool in threadpool_info()] == before


def test_verbose_shows_progress(recordings, capsys):
    small_transformer(verbose=1).transform(recordings.data[:3])
    assert "SpectrogramImages" in capsys.readouterr().err


def test_stateless_fit_changes_nothing(recordings):
    tr = small_transformer()
    before = dict(vars(tr))
    assert tr.fit(recordings.data[:2]) is tr
    # fit only records the sample rate it saw
    assert vars(tr) == {**before, "sr_": tr.sr}
    # transform works without fit
    SpectrogramImages(image_size=(64, 64)).transform(recordings.data[:1])


def test_mfcc_features(recordings):
    out = small_transformer(features="mfcc", n_mfcc=20).fit_transform(
        recordings.data[:2]
    )
    assert out.shape == (2, 3, 64, 64)
    assert not np.array_equal(out, small_transformer().transform(recordings.data[:2]))


def test_input_is_not_modified(rng):
    y = rng.standard_normal(SR)
    copy = y.copy()
    small_transformer().fit_transform([y])
    np.testing.assert_array_equal(y, copy)


# --- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "X, error, match",
    [
        ([np.ones(100), np.array([])], ValueError, r"X\[1\] is empty"),
        ([np.ones(100), np.array([0.0, np.nan])], ValueError, r"X\[1\].*NaN"),
        ([np.ones(100), np.array([np.inf, 1.0])], ValueError, r"X\[1\].*infinite"),
        ([np.ones((2, 100))], ValueError, r"X\[0\] has shape \(2, 100\).*mono"),
        ([np.ones(100), 3.0], ValueError, r"X\[1\] has shape \(\)"),
        ([np.ones(100), ["a", "b"]], TypeError, r"X\[1\] has dtype"),
        ([np.ones(100), np.array([True, False])], TypeError, r"X\[1\] has dtype bool"),
        ([np.ones(100), np.array([1 + 2j])], ValueError, r"X\[1\] is complex"),
        ([np.ones(100), {"y": 1}], TypeError, r"X\[1\]"),
        ([np.ones(100), None], TypeError, r"X\[1\]"),
        ([], ValueError, "no recordings"),
        (np.ones(100), ValueError, "1-D numeric array.*one waveform"),
        (np.ones((2, 3, 4)), ValueError, "shape"),
        ("clip.wav", TypeError, "single str"),
        (pathlib.Path("clip.wav"), TypeError, "single"),
        (5, TypeError, "sequence of recordings"),
    ],
)
def test_bad_input_names_the_item(X, error, match):
    tr = small_transformer()
    with pytest.raises(error, match=match):
        tr.fit(X)
    with pytest.raises(error, match=match):
        tr.transform(X)


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.wav"
    with pytest.raises(FileNotFoundError, match=r"X\[1\].*nope\.wav"):
        small_transformer().fit_transform([np.ones(100), missing])


def test_unreadable_file(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(ValueError, match=r"X\[0\].*notes\.wav"):
        small_transformer().fit_transform([bad])


def test_unreadable_file_in_parallel_worker(tmp_path, rng):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(os.urandom(64))
    X = [rng.standard_normal(200) for _ in range(20)] + [bad]
    with pytest.raises(ValueError, match=r"X\[20\].*bad\.wav"):
        small_transformer(n_jobs=2).transform(X)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(sr=0), "'sr' parameter"),
        (dict(features="cqt"), "'features' parameter"),
        (dict(n_mels=0), "'n_mels' parameter"),
        (dict(features="mfcc", n_mfcc=40, n_mels=20), "n_mfcc=40 exceeds"),
        (dict(hop_length=1.5), "'hop_length' parameter"),
        (dict(delta_width=4), "delta_width must be odd"),
        (dict(delta_width=1), "'delta_width' parameter"),
        (dict(fmax=5000), "fmax <= sr / 2"),
        (dict(fmin=3000, fmax=2000), "fmin < fmax"),
        (dict(top_db=-1), "'top_db' parameter"),
        (dict(image_size=224), "'image_size' parameter"),
        (dict(image_size=(224, 0)), "image_size must be"),
        (dict(scaling="zscore"), "'scaling' parameter"),
        (dict(backend="numba"), "'backend' parameter"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        SpectrogramImages(**params).fit([np.ones(100)])


def test_float16_output_halves_memory_and_rounds_once(recordings):
    full = small_transformer().transform(recordings.data)
    half = small_transformer(dtype="float16").transform(recordings.data)
    assert half.dtype == np.float16
    assert half.nbytes * 2 == full.nbytes
    np.testing.assert_array_equal(half, full.astype(np.float16))


@pytest.mark.parametrize("dtype", ["float64", "int8", "bfloat16"])
def test_unsupported_dtype(dtype, recordings):
    with pytest.raises(ValueError, match="dtype must be one of"):
        small_transformer(dtype=dtype).transform(recordings.data[:1])


def test_memmap_dir_writes_new_files_and_keeps_the_values(recordings, tmp_path):
    mine = tmp_path / "images-mine.npy"
    mine.write_bytes(b"not to be touched")
    X = recordings.data[:20]
    expected = small_transformer(dtype="float16").transform(X)
    transformer = small_transformer(dtype="float16", memmap_dir=tmp_path)
    first, second = transformer.transform(X), transformer.transform(X[:5])
    assert isinstance(first, np.memmap) and first.dtype == np.float16
    assert first.filename != second.filename  # each call, its own file
    assert {pathlib.Path(a.filename).parent for a in (first, second)} == {tmp_path}
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(second, expected[:5])
    np.testing.assert_array_equal(np.load(first.filename), expected)
    assert mine.read_bytes() == b"not to be touched"
    first[0] = 0  # copy-on-write: the file keeps the images
    np.testing.assert_array_equal(np.load(first.filename), expected)


def test_memmap_dir_must_exist(recordings, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="not an existing folder"):
        small_transformer(memmap_dir=missing).transform(recordings.data[:2])
    assert not missing.exists()


# --- inputs a model is not built for: flagged, once per call ------------------------


def test_silent_and_short_recordings_are_flagged_once(rng):
    fine = 0.1 * rng.standard_normal(SR)
    # past the first chunk of 16 recordings too: each flag names its own item
    with pytest.warns(UnusualInputWarning, match=r": X\[18\]: silent \(") as caught:
        small_transformer().transform([fine] * 18 + [np.zeros(SR)] + [fine] * 3)
    assert "X[0]" not in str(caught[0].message)
    X = [
        fine,
        np.zeros(2 * SR),  # digital silence
        1e-4 * np.sign(rng.standard_normal(2 * SR)),  # +-1e-4: -80 dBFS
        fine[: SR // 20],  # 0.05 s
        fine,
    ]
    with pytest.warns(UnusualInputWarning) as caught:
        images = small_transformer().transform(X)
    assert images.shape == (5, 3, 64, 64)  # made all the same
    (warning,) = caught
    message = str(warning.message)
    assert message.startswith("SpectrogramImages: 3 of 5 inputs are unlike")
    assert "X[1]: silent (loudest 20 ms at -inf dBFS)" in message
    assert "X[2]: near-silent (loudest 20 ms at -80 dBFS, under -60 dBFS)" in message
    assert "X[3]: short (0.050 s, under 0.25 s)" in message
    assert "X[0]" not in message and "X[4]" not in message
    # the duration rule follows min_duration; None turns it off
    with pytest.warns(UnusualInputWarning) as caught:
        small_transformer(min_duration=None).transform(X)
    assert "short" not in str(caught[0].message)
    with pytest.warns(UnusualInputWarning, match=r"X\[0\]: short \(1.000 s, under 2 s"):
        small_transformer(min_duration=2).transform(X[:1])


def test_fine_recordings_raise_no_flag(recordings):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusualInputWarning)
        small_transformer().transform(recordings.data)
        # quiet but not silent: -40 dBFS at the loudest
        small_transformer().transform([0.01 * np.ones(SR)])


def test_multi_task_flags_come_in_one_warning(rng):
    fine = 0.1 * rng.standard_normal(SR)
    X = [(fine, np.zeros(SR)), (fine[:400], fine)]
    with pytest.warns(UnusualInputWarning) as caught:
        MultiTaskImages(small_transformer()).transform(X)
    (warning,) = caught
    message = str(warning.message)
    assert "X[0]: task 1 silent" in message
    assert "X[1]: task 0 short (0.050 s" in message


def test_folders_and_empty_files_are_named_for_what_they_are(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"X\[1\]: '.*' is a directory, not an"):
        small_transformer().fit_transform([np.ones(100), tmp_path])
    with pytest.raises(ValueError, match=r"X\[0\]: '.*empty\.wav' is empty \(0 by"):
        small_transformer().transform([empty])


def test_torch_output_is_the_same_images_as_a_tensor(recordings, tmp_path):
    X = recordings.data[:4]
    as_array = small_transformer().transform(X)
    as_tensor = small_transformer(output="torch").transform(X)
    assert isinstance(as_tensor, torch.Tensor) and as_tensor.device.type == "cpu"
    np.testing.assert_array_equal(as_tensor.numpy(), as_array)
    with pytest.raises(ValueError, match="output='torch' and memmap_dir"):
        small_transformer(output="torch", memmap_dir=tmp_path).transform(X)
