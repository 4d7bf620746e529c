"""skhyperdys.encoders: pretrained speech encoders as a transformer.

Every family is a tiny random model built with transformers from a small
config and saved to a folder, as a user's downloaded model would be; the
embeddings are compared with transformers' own forward pass, clip by clip,
pooled by hand. No test needs the network.
"""

import math
import time

import numpy as np
import pytest
import soundfile as sf
import torch
from sklearn.base import clone

transformers = pytest.importorskip("transformers")

from skhyperdys.encoders import SpeechEncoder, clear_cache, pool_frames  # noqa: E402
from skhyperdys.encoders._hf import HFEncoder  # noqa: E402
from skhyperdys.encoders._loading import load_encoder  # noqa: E402
from skhyperdys.inspection import UnusualInputWarning  # noqa: E402

RATE = 16000
CONV = dict(conv_dim=(16, 16, 16), conv_kernel=(10, 3, 3), conv_stride=(5, 2, 2))
ENCODER = dict(
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=2,
    intermediate_size=37,
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=2,
    **CONV,
)
# family -> (config class, its settings): each layout the library batches
# differently (see skhyperdys/encoders/_hf.py).
FAMILIES = {
    # the base models' layout: group norm in the feature encoder
    "wav2vec2": ("Wav2Vec2Config", dict(feat_extract_norm="group")),
    # the large models' layout: layer norms, stable layer norm
    "wav2vec2-large": (
        "Wav2Vec2Config",
        dict(feat_extract_norm="layer", do_stable_layer_norm=True),
    ),
    "hubert": ("HubertConfig", dict(feat_extract_norm="group")),
    "wavlm": ("WavLMConfig", dict(num_buckets=32, max_bucket_distance=80)),
    "data2vec-audio": (
        "Data2VecAudioConfig",
        dict(num_conv_pos_embeddings=5, conv_pos_kernel_size=5),
    ),
    "whisper": ("WhisperConfig", None),
}


def _whisper_config():
    return transformers.WhisperConfig(
        d_model=32,
        encoder_layers=3,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        num_mel_bins=80,
        vocab_size=100,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=1,
    )


def save_tiny_model(folder, family, seed=0):
    """A random model of ``family`` and its feature extractor, saved to ``folder``."""
    name, settings = FAMILIES[family]
    if family == "whisper":
        config = _whisper_config()
        extractor = transformers.WhisperFeatureExtractor(feature_size=80)
    else:
        config = getattr(transformers, name)(**{**ENCODER, **settings})
        extractor = transformers.Wav2Vec2FeatureExtractor(
            return_attention_mask=getattr(config, "feat_extract_norm", "layer")
            == "layer"
        )
    torch.manual_seed(seed)
    model = transformers.AutoModel.from_config(config)
    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()
    try:
        model.save_pretrained(folder)
    finally:
        if bars:
            transformers.utils.logging.enable_progress_bar()
    extractor.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """family -> the folder of a tiny random model of it."""
    return {
        family: save_tiny_model(tmp_path_factory.mktemp(family), family)
        for family in FAMILIES
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()  # a test that re-saves a folder must not see the old model
    yield
    clear_cache()


def _clips(lengths=(0.3, 0.55, 1.0, 0.8, 0.55), seed=0):
    rng = np.random.default_rng(seed)
    t = [np.arange(int(s * RATE)) / RATE for s in lengths]
    return [
        (0.3 * np.sin(2 * np.pi * rng.uniform(100, 300) * x)
         + 0.05 * rng.standard_normal(len(x))).astype(np.float32)
        for x in t
    ]  # fmt: skip


def reference(folder, clips, layer="last", pooling="mean"):
    """The plain per-clip loop: transformers' forward pass, pooled by hand."""
    model = transformers.AutoModel.from_pretrained(folder).eval()
    extractor = transformers.AutoFeatureExtractor.from_pretrained(folder)
    whisper = model.config.model_type == "whisper"
    encoder = model.get_encoder() if whisper else model
    out = []
    with torch.no_grad():
        for clip in clips:
            inputs = extractor(clip, sampling_rate=RATE, return_tensors="pt")
            if whisper:
                result = encoder(inputs["input_features"], output_hidden_states=True)
            else:
                result = encoder(**inputs, output_hidden_states=True)
            layers = layer if isinstance(layer, list) else [layer]
            pooled = []
            for one in layers:
                state = (
                    result.last_hidden_state
                    if one == "last"
                    else result.hidden_states[one]
                )[0]
                if whisper:  # the encoder frames over the clip (320 samples each)
                    state = state[: math.ceil(len(clip) / 320)]
                mean = state.mean(dim=0)
                if pooling == "mean_std":
                    mean = torch.cat([mean, state.std(dim=0, unbiased=False)])
                pooled.append(mean.numpy())
            out.append(np.stack(pooled) if isinstance(layer, list) else pooled[0])
    return np.stack(out)


# --- the numbers ------------------------------------------------------------------


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize(
    "layer, pooling", [("last", "mean"), (1, "mean_std"), ([0, 2, 3], "mean")]
)
def test_embeddings_equal_transformers_own_forward_pass(tiny, family, layer, pooling):
    clips = _clips()
    encoder = SpeechEncoder(tiny[family], layer=layer, pooling=pooling, sr=RATE)
    embeddings = encoder.fit_transform(clips)
    expected = reference(tiny[family], clips, layer, pooling)
    assert embeddings.shape == expected.shape
    np.testing.assert_allclose(embeddings, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_clip_alone_and_in_a_batch_agree(tiny, family):
    clips = _clips((0.3, 1.0, 0.45, 0.8, 0.3, 0.62), seed=1)
    encoder = SpeechEncoder(tiny[family], layer="all", sr=RATE, batch_size=4)
    batched = encoder.fit_transform(clips)
    for i, clip in enumerate(clips):
        alone = encoder.transform([clip])[0]
        np.testing.assert_allclose(batched[i], alone, atol=1e-4, rtol=0)


def test_clips_of_different_lengths_share_a_batch_where_padding_is_exact(tiny):
    assert load_encoder(tiny["wav2vec2"])._batches(
        [np.zeros(n) for n in (4000, 8000, 6000)], batch_size=8
    ) == [[0, 2, 1]]
    # data2vec-audio: padding reaches its last frames; equal frame counts only
    batches = load_encoder(tiny["data2vec-audio"])._batches(
        [np.zeros(n) for n in (4000, 8000, 4000)], batch_size=8
    )
    assert batches == [[0, 2], [1]]


def test_long_recordings_are_pooled_over_all_their_chunks(tiny):
    clip = _clips((2.0,))[0]
    encoder = SpeechEncoder(
        tiny["wav2vec2"], pooling="mean_std", chunk_duration=0.75, sr=RATE
    )
    embedding = encoder.fit_transform([clip])[0]
    # by hand: 3 equal chunks, each through the model, their frames pooled
    model = transformers.AutoModel.from_pretrained(tiny["wav2vec2"]).eval()
    extractor = transformers.AutoFeatureExtractor.from_pretrained(tiny["wav2vec2"])
    frames = []
    with torch.no_grad():
        edges = np.linspace(0, len(clip), 4).round().astype(int)
        for part in np.split(clip, edges[1:-1]):
            inputs = extractor(part, sampling_rate=RATE, return_tensors="pt")
            frames.append(model(**inputs).last_hidden_state[0].numpy())
    np.testing.assert_allclose(
        embedding, pool_frames(np.concatenate(frames), "mean_std"), atol=1e-4
    )
    whole = SpeechEncoder(tiny["wav2vec2"], pooling="mean_std", sr=RATE)
    assert np.abs(whole.fit_transform([clip])[0] - embedding).max() > 1e-3


def test_only_the_layers_asked_for_are_computed(tiny):
    encoder = SpeechEncoder(tiny["hubert"], layer=1, sr=RATE).fit([np.zeros(RATE)])
    layers = encoder._encoder().encoder.encoder.layers
    calls = [0] * len(layers)
    hooks = [
        layer.register_forward_hook(lambda *_, i=i: calls.__setitem__(i, calls[i] + 1))
        for i, layer in enumerate(layers)
    ]
    try:
        encoder.transform(_clips((0.5, 0.7)))
        assert calls[0] >= 1 and calls[2] == 0  # layer 2 of 0-2 is never run
        encoder.set_params(layer="last").transform(_clips((0.5,)))
        assert calls[2] == 1
    finally:
        for hook in hooks:
            hook.remove()
    assert len(layers) == 3  # put back whole


def test_layer_selection_and_shapes(tiny):
    clips = _clips((0.4, 0.6))
    fit = dict(sr=RATE)
    folder = tiny["wavlm"]
    assert SpeechEncoder(folder, **fit).fit_transform(clips).shape == (2, 32)
    assert SpeechEncoder(folder, layer=-1, **fit).fit_transform(clips).shape == (2, 32)
    stack = SpeechEncoder(folder, layer="all", pooling="mean_std", **fit)
    assert stack.fit_transform(clips).shape == (2, 4, 64)
    assert stack.layers_ == [0, 1, 2, 3] and stack.n_layers_ == 3
    both = SpeechEncoder(folder, layer=[-1, 0], **fit).fit(clips)
    assert both.layers_ == [3, 0]
    np.testing.assert_array_equal(
        both.transform(clips)[:, 0],
        SpeechEncoder(folder, layer=3, **fit).fit_transform(clips),
    )
    with pytest.raises(ValueError, match="has 3 layers, so hidden states 0 to 3"):
        SpeechEncoder(folder, layer=4, **fit).fit(clips)
    with pytest.raises(ValueError, match="non-empty list of ints"):
        SpeechEncoder(folder, layer=[], **fit).fit(clips)
    names = SpeechEncoder(folder, pooling="mean_std", **fit).fit(clips)
    assert names.get_feature_names_out()[[0, 32]].tolist() == ["mean_0", "std_0"]
    with pytest.raises(ValueError, match="no column names"):
        stack.get_feature_names_out()


def test_set_output_pandas_names_the_columns(tiny):
    encoder = SpeechEncoder(tiny["wav2vec2"], sr=RATE).set_output(transform="pandas")
    frame = encoder.fit_transform(_clips((0.4, 0.6)))
    assert list(frame.columns[:2]) == ["mean_0", "mean_1"] and frame.shape == (2, 32)


# --- inputs -------------------------------------------------------------------------


def test_every_input_form_is_resampled_to_the_models_rate(tiny, tmp_path):
    clip16 = _clips((0.8,))[0]
    import librosa

    clip8 = librosa.resample(clip16, orig_sr=RATE, target_sr=8000)
    path = tmp_path / "clip.wav"
    sf.write(path, clip8, 8000, subtype="FLOAT")
    encoder = SpeechEncoder(tiny["wav2vec2"], sr=8000).fit([clip8])
    as_array = encoder.transform([clip8])
    as_pair = encoder.transform([(clip8, 8000)])
    as_file = encoder.transform([str(path)])
    np.testing.assert_allclose(as_array, as_pair, atol=1e-6)
    np.testing.assert_allclose(as_array, as_file, atol=1e-5)
    # a pair at the model's own rate is not resampled at all
    native = encoder.transform([(clip16, RATE)])
    np.testing.assert_allclose(native, reference(tiny["wav2vec2"], [clip16]), atol=1e-4)


def test_short_and_silent_recordings_are_flagged_and_still_embedded(tiny):
    encoder = SpeechEncoder(tiny["wav2vec2"], sr=RATE).fit([np.zeros(RATE)])
    with pytest.warns(UnusualInputWarning, match=r"X\[0\]: silent.*X\[1\]: .*short"):
        out = encoder.transform([np.zeros(RATE), 0.1 * np.ones(20)])
    assert np.isfinite(out).all()  # 20 samples: padded to one frame's worth


def test_bad_input_is_named(tiny):
    encoder = SpeechEncoder(tiny["wav2vec2"], sr=RATE).fit([np.zeros(RATE)])
    with pytest.raises(ValueError, match=r"X\[1\] contains 1 NaN"):
        encoder.transform([np.zeros(100), np.array([0.0, np.nan])])
    with pytest.raises(FileNotFoundError, match=r"X\[0\]: no such audio file"):
        encoder.transform(["missing.wav"])
    with pytest.raises(TypeError, match="single str"):
        encoder.transform("clip.wav")


# --- finding the weights ------------------------------------------------------------


def test_a_model_not_on_this_machine_fails_at_once_saying_how_to_get_it():
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError) as caught:
        SpeechEncoder("skhyperdys-tests/no-such-model").fit([np.zeros(8000)])
    assert time.perf_counter() - start < 10  # no retries against a hub
    message = str(caught.value)
    assert "never downloads" in message
    assert "hf download skhyperdys-tests/no-such-model" in message
    assert "SpeechEncoder(model='/path/to/folder')" in message


def test_a_folder_without_a_feature_extractor_says_so(tiny, tmp_path):
    model = transformers.AutoModel.from_pretrained(tiny["hubert"])
    model.save_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="no feature extractor"):
        SpeechEncoder(str(tmp_path)).fit([np.zeros(8000)])
    extractor = transformers.Wav2Vec2FeatureExtractor()
    encoder = SpeechEncoder(str(tmp_path), feature_extractor=extractor, sr=RATE)
    np.testing.assert_allclose(
        encoder.fit_transform(_clips((0.5,))),
        reference(tiny["hubert"], _clips((0.5,))),
        atol=1e-4,
    )


def test_a_loaded_model_is_taken_and_left_as_it_was(tiny):
    model = transformers.AutoModel.from_pretrained(tiny["wavlm"]).train()
    encoder = SpeechEncoder(model, sr=RATE)
    out = encoder.fit_transform(_clips((0.5,)))
    assert model.training  # the user's object is not put in evaluation mode
    np.testing.assert_allclose(out, reference(tiny["wavlm"], _clips((0.5,))), atol=1e-4)
    assert encoder.model_name_ == tiny["wavlm"]  # its name_or_path


def test_not_an_audio_encoder_is_refused(tmp_path):
    config = transformers.BertConfig(
        hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8
    )
    model = transformers.BertModel(config)
    with pytest.raises(ValueError, match="not an audio encoder"):
        extractor = transformers.Wav2Vec2FeatureExtractor()
        SpeechEncoder(model, feature_extractor=extractor).fit([np.zeros(100)])


def test_changed_weights_under_the_same_name_are_refused(tiny, tmp_path):
    folder = save_tiny_model(tmp_path / "model", "hubert", seed=0)
    encoder = SpeechEncoder(folder, sr=RATE).fit([np.zeros(RATE)])
    save_tiny_model(tmp_path / "model", "hubert", seed=1)
    clear_cache()
    fresh = clone(encoder)
    fresh.__dict__.update(
        {k: v for k, v in vars(encoder).items() if k.endswith("_")}
    )  # the fitted state of the first, as a loaded model file has it
    with pytest.raises(ValueError, match="has other weights"):
        fresh.transform([np.zeros(RATE)])


# --- the estimator ------------------------------------------------------------------


def test_estimator_api(tiny):
    import pickle

    encoder = SpeechEncoder(tiny["wav2vec2"], layer=2, sr=RATE)
    assert clone(encoder).get_params() == encoder.get_params()
    assert not hasattr(encoder, "fingerprint_")  # no work in __init__
    clips = _clips((0.4, 0.9))
    out = encoder.fit_transform(clips)
    restored = pickle.loads(pickle.dumps(encoder))
    assert "_loaded" not in vars(restored)  # the model itself is never pickled
    np.testing.assert_array_equal(restored.transform(clips), out)
    assert len(pickle.dumps(encoder)) < 10_000
    with pytest.raises(Exception, match="not fitted"):
        SpeechEncoder(tiny["wav2vec2"]).transform(clips)


@pytest.mark.parametrize("model", ["wav2vec2", "whisper", "ge2e"])
def test_threads_give_the_same_embeddings_and_are_restored(tiny, model):
    clips = _clips((0.4, 0.9, 0.6, 0.3, 0.7))
    source = "ge2e" if model == "ge2e" else tiny[model]
    one = SpeechEncoder(source, sr=RATE, batch_size=2).fit_transform(clips)
    before = torch.get_num_threads()
    two = SpeechEncoder(source, n_jobs=2, sr=RATE, batch_size=2).fit_transform(clips)
    assert torch.get_num_threads() == before
    np.testing.assert_allclose(two, one, atol=1e-5, rtol=0)


def test_the_cache_keeps_each_recording_once(tiny, tmp_path, monkeypatch):
    encoded = []
    original = HFEncoder.frame_sums

    def counting(self, clips, *args, **kwargs):
        encoded.extend(len(c) for c in clips)
        return original(self, clips, *args, **kwargs)

    monkeypatch.setattr(HFEncoder, "frame_sums", counting)
    clips = _clips((0.4, 0.5, 0.6))
    encoder = SpeechEncoder(tiny["wav2vec2"], sr=RATE, memory=tmp_path / "cache")
    first = encoder.fit_transform(clips)
    again = clone(encoder).fit_transform(clips + [(clips[0], RATE)])
    assert len(encoded) == 3  # the pair is clips[0] again: found in the cache
    np.testing.assert_array_equal(again[:3], first)
    np.testing.assert_array_equal(again[3], first[0])
    other = clone(encoder).set_params(pooling="mean_std").fit_transform(clips)
    assert len(encoded) == 6 and other.shape == (3, 64)  # another setting


def test_precision_falls_back_with_a_warning_where_the_cpu_has_no_bf16(tiny):
    encoder = SpeechEncoder(tiny["wav2vec2"], precision="bfloat16", sr=RATE)
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        out = encoder.fit_transform(_clips((0.5,)))
        float32 = reference(tiny["wav2vec2"], _clips((0.5,)))
        np.testing.assert_allclose(out, float32, atol=0.1)
    else:
        with pytest.warns(UserWarning, match="no fast path"):
            encoder.fit_transform(_clips((0.5,)))


# --- the head on the embeddings, and everything around it ---------------------------

from conftest import small_classifier  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from skhyperdys.datasets import make_syllable_repetitions  # noqa: E402


@pytest.fixture(scope="module")
def corpus():
    """24 synthetic recordings of 8 speakers at 8 kHz, half dysarthric."""
    return make_syllable_repetitions(24, duration=(0.6, 1.2), random_state=0)


def _head(**params):
    return small_classifier(**{"max_epochs": 3, "lr": 1e-2, "embed_dim": 16, **params})


def test_the_head_on_embeddings_grid_searches_each_recording_encoded_once(
    tiny, corpus, tmp_path, monkeypatch
):
    encoded = []
    original = HFEncoder.frame_sums

    def counting(self, clips, *args, **kwargs):
        encoded.extend(range(len(clips)))
        return original(self, clips, *args, **kwargs)

    monkeypatch.setattr(HFEncoder, "frame_sums", counting)
    pipe = Pipeline(
        [
            ("encoder", SpeechEncoder(tiny["wavlm"], memory=tmp_path / "cache")),
            ("clf", _head()),
        ]
    )
    search = GridSearchCV(
        pipe,
        {"clf__context_dim": [4, 8]},
        cv=StratifiedGroupKFold(3, shuffle=True, random_state=0),
        scoring="accuracy",
    )
    search.fit(corpus.data, corpus.target, groups=corpus.groups)
    # 2 candidates x 3 folds (fit and score) and the refit: each recording once
    assert len(encoded) == len(corpus.data)
    assert search.best_params_["clf__context_dim"] in (4, 8)
    assert search.predict_proba(corpus.data).shape == (24, 2)
    assert search.best_estimator_[-1].input_spec_.kind == "features"


def test_the_head_learns_which_layer_of_a_stack_carries_the_label():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    stack = rng.standard_normal((60, 4, 8)).astype(np.float32)
    stack[:, 2, 0] += 3 * y  # only layer 2 knows the label
    clf = small_classifier(max_epochs=40, lr=3e-2, embed_dim=8).fit(stack, y)
    weights = clf.module_.embedder.layer_weights.layer_weights()
    assert int(weights.argmax()) == 2
    assert (clf.predict(stack) == y).mean() > 0.9
    assert clf.input_spec_.n_layers == 4
    with pytest.raises(ValueError, match="4-layer stack of 8-wide features; X holds"):
        clf.predict(stack[:, :3])
    with pytest.raises(ValueError, match="X holds 8-wide backbone features"):
        clf.predict(stack[:, 0])


def test_model_file_records_the_encoder_by_name_and_refuses_other_weights(
    tiny, corpus, tmp_path
):
    from safetensors import safe_open

    from skhyperdys.io import dump, load, read_metadata

    folder = save_tiny_model(tmp_path / "encoder", "wav2vec2", seed=3)
    pipe = Pipeline(
        [("encoder", SpeechEncoder(folder, layer="all")), ("clf", _head())]
    ).fit(corpus.data, corpus.target)
    path = tmp_path / "model.safetensors"
    dump(pipe, path)
    with safe_open(path, framework="pt") as handle:
        assert not any(key.startswith("0.") for key in handle.keys())  # no weights
    facts = read_metadata(path)["card"]["model"]["settings"]["encoder"]
    assert facts["model"] == folder
    assert facts["weights_fingerprint"] == pipe[0].fingerprint_
    clear_cache()
    loaded = load(path)
    np.testing.assert_array_equal(
        loaded.predict_proba(corpus.data), pipe.predict_proba(corpus.data)
    )
    save_tiny_model(tmp_path / "encoder", "wav2vec2", seed=4)  # other weights
    clear_cache()
    with pytest.raises(ValueError, match="step 'encoder'.*has other weights"):
        load(path)


def test_a_loaded_model_object_is_saved_by_its_name(tiny, corpus, tmp_path):
    from skhyperdys.io import dump, load

    model = transformers.AutoModel.from_pretrained(tiny["hubert"])
    pipe = Pipeline([("encoder", SpeechEncoder(model)), ("clf", _head())])
    pipe.fit(corpus.data, corpus.target)
    dump(pipe, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded[0].model == tiny["hubert"]
    np.testing.assert_array_equal(
        loaded.predict(corpus.data), pipe.predict(corpus.data)
    )
    model.name_or_path = ""
    nameless = SpeechEncoder(model, feature_extractor=tiny["hubert"])
    anonymous = Pipeline([("encoder", nameless), ("clf", _head())])
    anonymous.fit(corpus.data, corpus.target)
    with pytest.raises(TypeError, match="never its weights"):
        dump(anonymous, tmp_path / "other.safetensors")


def test_the_command_line_labels_wav_files_with_an_encoder_pipeline(
    tiny, corpus, tmp_path, capsys
):
    import csv

    from skhyperdys.cli import main
    from skhyperdys.io import dump

    pipe = Pipeline(
        [("encoder", SpeechEncoder(tiny["wavlm"])), ("clf", _head())]
    ).fit(corpus.data, corpus.target)
    dump(pipe, tmp_path / "model.safetensors")
    files = []
    for i in range(3):
        files.append(str(tmp_path / f"clip{i}.wav"))
        sf.write(files[-1], corpus.data[i], corpus.sr)
    sf.write(tmp_path / "silent.wav", np.zeros(RATE), RATE)  # another rate
    files.append(str(tmp_path / "silent.wav"))
    status = main(
        ["predict", str(tmp_path / "model.safetensors"), *files,
         "--output", str(tmp_path / "out.csv")]
    )  # fmt: skip
    assert status == 0
    rows = list(csv.DictReader(open(tmp_path / "out.csv")))
    expected = pipe.predict(corpus.data[:3])
    assert [r["predicted"] for r in rows[:3]] == [str(v) for v in expected]
    assert rows[3]["flag"].startswith("silent")
    assert all(r["novelty"] for r in rows)


def test_trust_tools_work_on_an_encoder_pipeline(tiny, corpus):
    from sklearn.frozen import FrozenEstimator
    from skorch.callbacks import EarlyStopping

    from skhyperdys.inspection import predictive_uncertainty
    from skhyperdys.metrics import subject_score
    from skhyperdys.model_selection import GroupValidSplit

    mapie = pytest.importorskip("mapie.classification")
    X, y, groups = corpus.data, corpus.target, corpus.groups
    head = _head(
        max_epochs=6,
        train_split=GroupValidSplit(4, random_state=0),
        callbacks=[EarlyStopping(patience=2, load_best=True)],
    )
    pipe = Pipeline([("encoder", SpeechEncoder(tiny["hubert"])), ("clf", head)])
    pipe.fit(X[:16], y[:16], clf__groups=groups[:16])  # early stopping by subject
    assert "valid_loss" in pipe[-1].history_[-1]
    result = predictive_uncertainty(pipe, X)
    assert result.proba.shape == (24, 2) and np.isfinite(result.novelty).all()
    assert (result.mutual_information >= -1e-6).all()
    score = subject_score(y, result.proba, groups, labels=pipe.classes_)
    assert 0 <= score <= 1
    conformal = mapie.SplitConformalClassifier(
        FrozenEstimator(pipe), confidence_level=0.8, prefit=True
    ).conformalize(X[16:], y[16:])
    _, sets = conformal.predict_set(X[16:])
    assert sets.shape == (8, 2, 1)
    # far from the training recordings: flagged by the classifier
    with pytest.warns(UnusualInputWarning, match="far from the training data"):
        pipe.predict([0.9 * np.sign(np.sin(np.arange(8000) / 3.0))])


def test_the_same_head_takes_other_vectors(corpus):
    from skhyperdys.audit import LogMelStatistics

    for steps in (
        [("stats", LogMelStatistics())],
        [("egemaps", pytest.importorskip("skhyperdys").EgemapsFunctionals())],
    ):
        if steps[0][0] == "egemaps":
            pytest.importorskip("opensmile")
        pipe = Pipeline([*steps, ("clf", _head(max_epochs=5))])
        pipe.fit(corpus.data, corpus.target)
        width = 80 if steps[0][0] == "stats" else 88
        assert pipe[-1].input_spec_.n_features == width
        assert pipe.predict_proba(corpus.data).shape == (24, 2)


# --- GE2E and real voices -----------------------------------------------------------

import os  # noqa: E402

REAL = os.path.join(os.path.dirname(__file__), "data", "real_speech")


def _real(pattern=""):
    return sorted(
        os.path.join(REAL, name)
        for name in os.listdir(REAL)
        if name.endswith(".wav") and pattern in name
    )


def test_ge2e_gives_resemblyzer_s_own_embeddings_on_real_speech():
    pytest.importorskip("webrtcvad")
    try:
        from resemblyzer import VoiceEncoder, preprocess_wav
    except ImportError:
        pytest.skip("Resemblyzer itself does not import here")
    files = _real()
    ours = SpeechEncoder("ge2e").fit_transform(files)
    theirs = VoiceEncoder("cpu", verbose=False)
    expected = np.stack([theirs.embed_utterance(preprocess_wav(f)) for f in files])
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_ge2e_tells_real_speakers_apart():
    files = _real("_")  # FSDD: three men, two digits, two takes each
    files = [f for f in files if "nohash" not in f]
    speakers = np.array([os.path.basename(f).split("_")[1] for f in files])
    embeddings = SpeechEncoder("ge2e").fit_transform(files)
    similarity = embeddings @ embeddings.T
    same = speakers[:, None] == speakers[None, :]
    off_diagonal = ~np.eye(len(files), dtype=bool)
    within = similarity[same & off_diagonal]
    between = similarity[~same]
    # every recording is closer to another of its speaker than to any other's
    for i in range(len(files)):
        nearest_same = similarity[i, same[i] & off_diagonal[i]].max()
        assert nearest_same > similarity[i, ~same[i]].max()
    assert within.mean() > between.mean() + 0.1


def test_ge2e_settings_it_does_not_have_are_refused():
    for params, name in [
        (dict(layer=3), "layer"),
        (dict(pooling="mean_std"), "pooling"),
        (dict(chunk_duration=5.0), "chunk_duration"),
        (dict(precision="bfloat16"), "precision"),
    ]:
        with pytest.raises(ValueError, match=f"model='ge2e' .*{name} would do nothing"):
            SpeechEncoder("ge2e", **params).fit([np.zeros(8000)])


def test_an_hf_encoder_reads_real_files_at_their_own_rates(tiny):
    files = _real()  # 8 kHz FSDD and 16 kHz Speech Commands
    encoder = SpeechEncoder(tiny["wav2vec2"]).fit(files)
    import librosa

    clips = [librosa.load(f, sr=RATE)[0] for f in files]
    np.testing.assert_allclose(
        encoder.transform(files), reference(tiny["wav2vec2"], clips), atol=1e-4
    )
