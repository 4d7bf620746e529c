"""Finding an encoder's weights on this machine, never on the network.

A model is given as ``"ge2e"`` (the weights in the Resemblyzer wheel), a
folder in transformers' ``save_pretrained`` layout, a model id resolved in
the local Hugging Face cache (``local_files_only=True``, so a missing model
fails at once instead of after a minute of retries where there is no
network), or a loaded model. Models loaded by name stay loaded for the
process, so that the clones a grid search makes share one copy.
"""

import copy
import os
import threading

import torch

__all__ = ["clear_cache", "load_encoder"]

_CACHE = {}
_CACHE_LOCK = threading.Lock()


def _cache_folder():
    try:
        from huggingface_hub.constants import HF_HUB_CACHE

        return HF_HUB_CACHE
    except ImportError:  # pragma: no cover - transformers depends on it
        return "~/.cache/huggingface/hub"


def not_found_message(model):
    """How to get the weights of hub id ``model`` onto an offline machine."""
    return (
        f"{model!r} is neither a folder nor a model in the local Hugging Face "
        f"cache ({_cache_folder()}), and skhyperdys never downloads weights at "
        "run time. To get them onto this machine: on one with internet, run "
        f"`hf download {model}` and copy its cache folder here (HF_HOME or "
        "HF_HUB_CACHE says where it is read); or there, save the model and its "
        "feature extractor with `AutoModel.from_pretrained(...)"
        ".save_pretrained(folder)` and `AutoFeatureExtractor.from_pretrained(...)"
        ".save_pretrained(folder)`, copy the folder, and pass "
        "SpeechEncoder(model='/path/to/folder')."
    )


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ImportError(
            "SpeechEncoder needs transformers for Hugging Face models: pip "
            "install 'skhyperdys[encoders]'."
        ) from None
    return transformers


def _from_pretrained(source, revision, extractor=True):
    """``(model, feature_extractor, revision)`` from a folder or the cache."""
    transformers = _transformers()
    kwargs = dict(local_files_only=True)
    if revision is not None:
        kwargs["revision"] = revision
    is_folder = os.path.isdir(source)
    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()  # "Loading weights" bars
    try:
        return _read_pretrained(transformers, source, kwargs, is_folder, extractor)
    finally:
        if bars:
            transformers.utils.logging.enable_progress_bar()


def _read_pretrained(transformers, source, kwargs, is_folder, with_extractor):
    try:
        model = transformers.AutoModel.from_pretrained(source, **kwargs)
    except OSError as err:
        if is_folder:
            raise FileNotFoundError(
                f"{source!r} is a folder but holds no transformers model a "
                f"from_pretrained call reads ({err}); save one there with "
                "model.save_pretrained(folder)."
            ) from None
        raise FileNotFoundError(not_found_message(source)) from None
    except ValueError as err:  # a config of a model type transformers lacks
        raise ValueError(f"{source!r}: transformers cannot build it: {err}") from None
    commit = getattr(model.config, "_commit_hash", None)
    revision = None if is_folder else commit
    if not with_extractor:
        return model, None, revision
    try:
        extractor = transformers.AutoFeatureExtractor.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as err:
        raise FileNotFoundError(
            f"{source!r} has a model but no feature extractor "
            f"(preprocessor_config.json) to read ({err}); save it beside the "
            "model with feature_extractor.save_pretrained(folder), or pass "
            "SpeechEncoder(feature_extractor=...)."
        ) from None
    return model, extractor, revision


def _feature_extractor_of(model, given):
    """The feature extractor to use with a loaded model object."""
    transformers = _transformers()
    if given is not None and not isinstance(given, (str, os.PathLike)):
        return given
    source = given if given is not None else getattr(model, "name_or_path", "")
    if source:
        try:
            return transformers.AutoFeatureExtractor.from_pretrained(
                os.fspath(source), local_files_only=True
            )
        except (OSError, ValueError):
            pass
    raise ValueError(
        f"no feature extractor found for the {type(model).__name__} given as "
        "model (its name_or_path holds none); pass SpeechEncoder("
        "feature_extractor=...) with the one it was trained with, e.g. "
        "transformers.Wav2Vec2FeatureExtractor(...)."
    )


def load_encoder(model, *, revision=None, feature_extractor=None, device="cpu"):
    """The encoder of a :class:`~skhyperdys.encoders.SpeechEncoder` ``model``.

    Parameters
    ----------
    model : str, os.PathLike or transformers.PreTrainedModel
        ``"ge2e"``, a folder, a model id in the local cache, or a model.
    revision : str or None, default=None
        Branch, tag or commit of a model id in the cache.
    feature_extractor : None, str, os.PathLike or feature extractor, default=None
        Replaces the model's own feature extractor.
    device : str or torch.device, default="cpu"
        Where it runs.

    Returns
    -------
    encoder : HFEncoder or GE2EEncoder
        Models given by name are loaded once per process and device.

    Raises
    ------
    FileNotFoundError
        If the weights are not on this machine; the message says how to get
        them.
    ImportError
        If transformers (or, for ``"ge2e"``, Resemblyzer) is not installed.
    ValueError
        If the model is not an audio encoder, or has no feature extractor.
    """
    from ._ge2e import GE2EEncoder
    from ._hf import HFEncoder

    device = torch.device(device)
    if isinstance(model, str) and model == "ge2e":
        key = ("ge2e", str(device))
        with _CACHE_LOCK:
            if key not in _CACHE:
                _CACHE[key] = GE2EEncoder(device)
            return _CACHE[key]
    if isinstance(model, (str, os.PathLike)):
        source = os.fspath(model)
        name = os.path.abspath(source) if os.path.isdir(source) else source
        extractor_key = (
            feature_extractor
            if feature_extractor is None or isinstance(feature_extractor, str)
            else id(feature_extractor)
        )
        key = ("transformers", name, revision, extractor_key, str(device))
        with _CACHE_LOCK:
            if key not in _CACHE:
                loaded, extractor, commit = _from_pretrained(
                    source, revision, extractor=feature_extractor is None
                )
                if feature_extractor is not None:
                    extractor = _feature_extractor_of(loaded, feature_extractor)
                _CACHE[key] = HFEncoder(
                    loaded, extractor, name=name, revision=commit, device=device
                )
            return _CACHE[key]
    if isinstance(model, torch.nn.Module) and hasattr(model, "config"):
        extractor = _feature_extractor_of(model, feature_extractor)
        name = getattr(model, "name_or_path", "") or ""
        commit = getattr(model.config, "_commit_hash", None)
        # A copy: the user's model is neither moved nor put in evaluation mode.
        return HFEncoder(
            copy.deepcopy(model), extractor, name=name, revision=commit, device=device
        )
    raise TypeError(
        "model must be 'ge2e', a folder or Hugging Face model id (str), or a "
        f"transformers model; got {type(model).__name__}."
    )


def clear_cache():
    """Forget the encoders loaded by name (they are loaded again when used).

    A process keeps each encoder it loads by name (so that the clones of a
    grid search share one copy); this frees them, e.g. after weights in a
    folder were replaced.

    Returns
    -------
    None

    Examples
    --------
    >>> from skhyperdys.encoders import clear_cache
    >>> clear_cache()
    """
    with _CACHE_LOCK:
        _CACHE.clear()
