"""Save a fitted model to one file and load it back, without pickle.

:func:`dump` writes a fitted :class:`~skhyperdys.HypernetClassifier`, or a
fitted :class:`~sklearn.pipeline.Pipeline` of skhyperdys steps, to a single
`safetensors <https://huggingface.co/docs/safetensors>`_ file; :func:`load`
rebuilds it. The file holds

* the weights (the classifier's ``module_``, a :class:`BackboneFeatures`
  step's ``backbone_``) and the fitted arrays (``novelty_reference_``,
  ``context_mean_``, ...) as tensors; a pretrained speech encoder
  (:class:`~skhyperdys.encoders.SpeechEncoder`) only by name, revision and a
  fingerprint of its weights, which :func:`load` checks;
* in the safetensors header, as JSON: each step's ``get_params(deep=False)``,
  the other fitted attributes (``input_spec_``, ``seed_``, the classes), the
  sample rate, the format version and the versions of the libraries that
  wrote it.

It holds no optimizer state and no training history: a loaded model
predicts exactly as the saved one did, and ``fit`` trains it afresh.

Loading runs nothing the file supplies: no pickle, no ``torch.load``, no
``eval``. The settings may name classes only from a fixed list (the
skhyperdys estimators and modules, ``torch.nn``, ``torch.optim``,
``torch.utils.data``, skorch's datasets and callbacks); only those
estimators, skorch's validation split and a list of skorch callbacks that
act during training alone are constructed from them. Anything else in a file
is refused; no module outside that list is imported.
"""

import dataclasses
import importlib
import inspect
import json
import numbers
import os
import pathlib
import platform
import tempfile
import warnings

import numpy as np
import torch
from sklearn.pipeline import Pipeline

__all__ = [
    "CARD_FIELDS",
    "FORMAT_VERSION",
    "ModelVersionWarning",
    "dump",
    "load",
    "read_metadata",
]

#: Version of the file format written by :func:`dump`, ``"major.minor"``.
#: :func:`load` reads files of the same major version (a newer minor
#: version only adds fields) and refuses others.
FORMAT_VERSION = "1.0"

# Keys of the safetensors header (str -> str) this module writes.
_VERSION_KEY = "skhyperdys.format_version"
_SETTINGS_KEY = "skhyperdys.model"

# What a model card may say, in the order `python -m skhyperdys info` prints it
# (after SpeechBrain's and Hugging Face's model cards).
CARD_FIELDS = (
    "name",
    "description",
    "intended_use",
    "training_data",
    "evaluation",
    "limitations",
    "authors",
    "license",
    "citation",
)

# Libraries whose versions are recorded, and compared when loading.
_LIBRARIES = ("skhyperdys", "torch", "torchvision", "skorch", "scikit-learn", "numpy")

# Tags of JSON objects standing for values JSON has no type for.
_TAGS = (
    "__tuple__",
    "__dict__",
    "__float__",
    "__path__",
    "__device__",
    "__ndarray__",
    "__ref__",
    "__estimator__",
    "__object__",
    "__tensor__",
    "__state_dict__",
    "__input_spec__",
)

# Modules whose classes the settings may name (``"torch.nn.CrossEntropyLoss"``).
_REFERENCE_MODULES = (
    "torch.nn",
    "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.utils.data",
    "skorch.dataset",
    "skorch.callbacks",
    "skhyperdys",
    "skhyperdys.modules",
    "skhyperdys.model_selection",
)
# Functions the settings may name (skorch callbacks print with ``sink=print``).
_REFERENCE_FUNCTIONS = {"builtins.print"}

# skorch callbacks a file may hold: initialising them (as loading does) has
# no effect outside the net (Checkpoint makes folders, loggers open runs).
_CALLBACKS = (
    "BatchScoring",
    "EarlyStopping",
    "EpochScoring",
    "EpochTimer",
    "Freezer",
    "GradientNormClipping",
    "InputShapeSetter",
    "LRScheduler",
    "PassthroughScoring",
    "PrintLog",
    "ProgressBar",
    "Unfreezer",
)

# skorch's own bookkeeping: rebuilt by ``initialize()``, never stored.
_SKORCH_RUNTIME = {
    "callbacks_",
    "criterion_",
    "cuda_dependent_attributes_",
    "history_",
    "init_context_",
    "initialized_",
    "module_",
    "optimizer_",
    "prefixes_",
    "virtual_params_",
}


class ModelVersionWarning(UserWarning):
    """A model file written with other library versions than the running ones.

    The model loads, but its predictions may differ slightly from those of the
    process that saved it (e.g. another torch version's kernels).

    Parameters
    ----------
    *args
        The message, as for any warning.

    Examples
    --------
    >>> import warnings
    >>> from skhyperdys.io import ModelVersionWarning
    >>> issubclass(ModelVersionWarning, UserWarning)
    True
    """


# --- what may be stored ----------------------------------------------------------


def _estimator_classes():
    """The estimators a file may hold, by the name the settings use."""
    import skhyperdys
    from skhyperdys.audit import LogMelStatistics
    from skhyperdys.encoders import SpeechEncoder

    names = (
        "SpectrogramImages",
        "MultiTaskImages",
        "ImagesAndContext",
        "EgemapsFunctionals",
        "BackboneFeatures",
        "HypernetClassifier",
    )
    classes = {f"skhyperdys.{name}": getattr(skhyperdys, name) for name in names}
    classes["skhyperdys.encoders.SpeechEncoder"] = SpeechEncoder
    classes["skhyperdys.audit.LogMelStatistics"] = LogMelStatistics
    return classes


def _constructible(cls):
    """Whether settings may construct an instance of ``cls`` (not an estimator)."""
    import skorch.callbacks
    from skorch.dataset import ValidSplit

    from .model_selection import GroupValidSplit

    callbacks = {getattr(skorch.callbacks, name) for name in _CALLBACKS}
    return cls in callbacks or cls in (ValidSplit, GroupValidSplit)


def _refuse_callback(value, where):
    return TypeError(
        f"cannot store {where} = {value!r} in a model file: of skorch's "
        f"callbacks it keeps only those that act during training alone "
        f"({', '.join(_CALLBACKS)}), so that loading touches no file, run or "
        "logger. Remove it before dump, e.g. "
        "pipe.set_params(clf__callbacks=[...]); the weights it helped train "
        "are stored either way."
    )


def _reference_name(obj):
    """The public dotted name of an allowed class or function, or None."""
    qualname = getattr(obj, "__qualname__", "")
    if "." in qualname or "<" in qualname:
        return None
    for module_name in _REFERENCE_MODULES:
        module = importlib.import_module(module_name)
        if isinstance(obj, type) and getattr(module, qualname, None) is obj:
            return f"{module_name}.{qualname}"
    name = f"{getattr(obj, '__module__', '')}.{qualname}"
    return name if name in _REFERENCE_FUNCTIONS else None


def _resolve(name, where):
    """The allowed class or function named ``name`` in a file."""
    module_name, _, attr = str(name).rpartition(".")
    if name in _REFERENCE_FUNCTIONS:
        return getattr(importlib.import_module(module_name), attr)
    if module_name in _REFERENCE_MODULES:
        obj = getattr(importlib.import_module(module_name), attr, None)
        if isinstance(obj, type):
            return obj
    raise ValueError(
        f"{where} names {name!r}, which a model file may not name (only "
        f"classes from {', '.join(_REFERENCE_MODULES)}); the file was not "
        "written by skhyperdys.io.dump, or by a version that allows more."
    )


def _refuse(value, where):
    return TypeError(
        f"cannot store {where} = {value!r} in a model file: settings are stored "
        "as JSON data (numbers, strings, lists, dicts, None), skhyperdys "
        "estimators and classes from torch.nn, torch.optim, torch.utils.data, "
        "skorch and skhyperdys, never as code, so that loading runs nothing "
        "from the file. Replace it by a built-in option (e.g. backbone='alexnet', "
        "head='hyper', an int random_state) before fitting, or save the "
        "weights alone with the classifier's save_params()."
    )


# --- settings to JSON and back ---------------------------------------------------


def _encode(value, where):
    """``value`` as JSON data, tagging what JSON has no type for."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if np.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) and k not in _TAGS for k in value):
            return {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        return {
            "__dict__": [
                [_encode(k, f"{where} key"), _encode(v, f"{where}[{k!r}]")]
                for k, v in value.items()
            ]
        }
    if isinstance(value, os.PathLike):
        return {"__path__": os.fspath(value)}
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, np.ndarray):
        return _encode_ndarray(value, where)
    if isinstance(value, type) or inspect.isroutine(value):
        name = _reference_name(value)
        if name is None:
            raise _refuse(value, where)
        return {"__ref__": name}
    estimators = _estimator_classes()
    for name, cls in estimators.items():
        if type(value) is cls:
            return {"__estimator__": name, "params": _encode_params(value, where)}
    name = _reference_name(type(value))
    if name is not None and _constructible(type(value)):
        return {"__object__": name, "params": _encode_params(value, where)}
    if type(value).__module__.startswith("skorch.callbacks"):
        raise _refuse_callback(value, where)
    raise _refuse(value, where)


def _encode_ndarray(array, where):
    if array.dtype.kind in "biufU" or (
        array.dtype.kind == "O"
        and all(v is None or isinstance(v, (str, bool, int, float)) for v in array.flat)
    ):
        return {
            "__ndarray__": [_encode(v, where) for v in array.ravel().tolist()],
            "dtype": array.dtype.str if array.dtype.kind != "O" else "O",
            "shape": list(array.shape),
        }
    raise _refuse(array, where)


def _init_params(obj, where):
    """``get_params(deep=False)``, or the constructor's arguments read back."""
    if hasattr(obj, "get_params"):
        return obj.get_params(deep=False)
    params = {}
    for name, param in inspect.signature(type(obj)).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if not hasattr(obj, name):
            raise _refuse(obj, where)
        params[name] = getattr(obj, name)
    return params


def _encode_params(obj, where):
    params = _init_params(obj, where)
    return {
        name: _encode(value, f"{where} parameter {name!r}")
        for name, value in params.items()
    }


def _decode(value, where, device=None):
    """The Python value of JSON data written by :func:`_encode`."""
    if isinstance(value, list):
        return [_decode(v, where, device) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v, where, device) for v in value["__tuple__"])
    if "__dict__" in value:
        return {
            _decode(k, where, device): _decode(v, where, device)
            for k, v in value["__dict__"]
        }
    if "__float__" in value:
        return float(value["__float__"])
    if "__path__" in value:
        return pathlib.Path(value["__path__"])
    if "__device__" in value:
        return torch.device(value["__device__"])
    if "__ndarray__" in value:
        data = [_decode(v, where) for v in value["__ndarray__"]]
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in "biufUO":
            raise ValueError(f"{where}: an array of dtype {dtype} is not allowed.")
        array = np.empty(len(data), dtype=dtype)
        array[:] = data
        return array.reshape(value["shape"])
    if "__ref__" in value:
        return _resolve(value["__ref__"], where)
    if "__estimator__" in value:
        cls = _estimator_classes().get(value["__estimator__"])
        if cls is None:
            raise ValueError(
                f"{where} holds an estimator {value['__estimator__']!r}, which "
                "model files may not name."
            )
        return _construct(cls, value["params"], where, device)
    if "__object__" in value:
        cls = _resolve(value["__object__"], where)
        if not _constructible(cls):
            raise ValueError(f"{where}: a model file may not construct {cls!r}.")
        return cls(**_decode_params(value["params"], where, device))
    return {k: _decode(v, where, device) for k, v in value.items()}


def _construct(cls, params, where, device=None):
    """``cls(**params)``, passing only the settings that differ from its defaults.

    The estimator's ``get_params`` then equals the saved one, and its repr
    shows what was set, as the saved estimator's did.
    """
    defaults = _encode_params(cls(), where)
    given = {k: v for k, v in params.items() if k not in defaults or defaults[k] != v}
    kwargs = _decode_params(given, where, device)
    if device is not None and "device" in defaults:
        kwargs["device"] = device
    _check_device(kwargs.get("device"), where)
    return cls(**kwargs)


def _decode_params(params, where, device=None):
    """Decoded settings; ``device`` goes to the estimators among them."""
    return {
        k: _decode(v, f"{where} parameter {k!r}", device) for k, v in params.items()
    }


# --- fitted state ----------------------------------------------------------------


def _as_tensor(array):
    array = np.asarray(array)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return torch.from_numpy(np.ascontiguousarray(array))


def _unshared(tensors):
    """Contiguous tensors none of which shares memory with another (safetensors
    stores each once; a buffer may alias a fitted array, e.g. ``context_mean_``)."""
    seen, out = set(), {}
    for key, tensor in tensors.items():
        storage = tensor.untyped_storage().data_ptr()
        if storage in seen or not tensor.is_contiguous():
            tensor = tensor.clone(memory_format=torch.contiguous_format)
        seen.add(tensor.untyped_storage().data_ptr())
        out[key] = tensor
    return out


def _fitted_attributes(estimator):
    """The public fitted attributes ``name_`` of an estimator, skorch's excluded."""
    from .classifier import HypernetClassifier

    names = sorted(
        k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")
    )
    if isinstance(estimator, HypernetClassifier):
        runtime = set(_SKORCH_RUNTIME)
        for kind in ("_modules", "_criteria", "_optimizers"):
            runtime.update(f"{name}_" for name in getattr(estimator, kind, []))
        names = [k for k in names if k not in runtime]
    return names


def _encode_fitted(estimator, index, where, tensors):
    """JSON for the fitted attributes of step ``index``; arrays go to ``tensors``."""
    from ._inputs import InputSpec
    from .classifier import HypernetClassifier
    from .transformers import BackboneFeatures

    fitted = {}
    modules = []
    if isinstance(estimator, HypernetClassifier):
        modules.append("module_")
    for name in _fitted_attributes(estimator):
        value = getattr(estimator, name)
        attr_where = f"{where} fitted attribute {name!r}"
        if isinstance(value, torch.nn.Module):
            if not (isinstance(estimator, BackboneFeatures) and name == "backbone_"):
                raise _refuse(value, attr_where)
            modules.append(name)
        elif isinstance(value, InputSpec):
            fitted[name] = {
                "__input_spec__": {
                    field.name: _encode(getattr(value, field.name), attr_where)
                    for field in dataclasses.fields(value)
                }
            }
        elif isinstance(value, torch.Tensor):
            key = f"{index}.{name}"
            tensors[key] = value.detach().cpu()
            fitted[name] = {"__tensor__": key, "torch": True}
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            key = f"{index}.{name}"
            tensors[key] = _as_tensor(value)
            fitted[name] = {"__tensor__": key, "torch": False}
        else:
            fitted[name] = _encode(value, attr_where)
    for name in modules:
        prefix = f"{index}.{name}."
        for key, tensor in getattr(estimator, name).state_dict().items():
            tensors[prefix + key] = tensor.detach().cpu()
        fitted[name] = {"__state_dict__": prefix}
    return fitted


def _decode_fitted(fitted, handle, where):
    """Fitted attributes (arrays read from ``handle``) and module states."""
    from ._inputs import InputSpec

    values, states = {}, {}
    for name, value in fitted.items():
        attr_where = f"{where} fitted attribute {name!r}"
        if isinstance(value, dict) and "__tensor__" in value:
            tensor = handle.get_tensor(value["__tensor__"])
            values[name] = tensor if value.get("torch") else tensor.numpy()
        elif isinstance(value, dict) and "__state_dict__" in value:
            prefix = value["__state_dict__"]
            states[name] = {
                key[len(prefix) :]: handle.get_tensor(key)
                for key in handle.keys()
                if key.startswith(prefix)
            }
        elif isinstance(value, dict) and "__input_spec__" in value:
            fields = {
                k: _decode(v, attr_where) for k, v in value["__input_spec__"].items()
            }
            values[name] = InputSpec(**fields)
        else:
            values[name] = _decode(value, attr_where)
    return values, states


def _check_fitted(estimator, where):
    from sklearn.exceptions import NotFittedError

    from .classifier import HypernetClassifier
    from .encoders import SpeechEncoder
    from .transformers import BackboneFeatures

    if isinstance(estimator, HypernetClassifier) and not estimator.initialized_:
        raise NotFittedError(f"{where} is not fitted; call fit before dump.")
    if isinstance(estimator, BackboneFeatures) and not hasattr(estimator, "backbone_"):
        raise NotFittedError(f"{where} is not fitted; call fit before dump.")
    if isinstance(estimator, SpeechEncoder) and not hasattr(estimator, "fingerprint_"):
        raise NotFittedError(f"{where} is not fitted; call fit before dump.")


def _encode_step(estimator, index, where, tensors):
    if estimator is None or (isinstance(estimator, str) and estimator == "passthrough"):
        return estimator
    names = {cls: name for name, cls in _estimator_classes().items()}
    name = names.get(type(estimator))
    if name is None:
        raise TypeError(
            f"{where} is a {type(estimator).__name__}; a model file holds "
            f"skhyperdys estimators only ({', '.join(sorted(names.values()))}) "
            "and Pipelines of them."
        )
    _check_fitted(estimator, where)
    return {
        "class": name,
        "params": _encode_step_params(estimator, where),
        "fitted": _encode_fitted(estimator, index, where, tensors),
    }


def _encode_step_params(estimator, where):
    """A step's settings; a speech encoder's model by its name, never its weights."""
    from .encoders import SpeechEncoder

    if not isinstance(estimator, SpeechEncoder):
        return _encode_params(estimator, where)
    params = estimator.get_params(deep=False)
    if not isinstance(params["model"], (str, os.PathLike)):
        name = getattr(estimator, "model_name_", "")
        if not name:
            raise TypeError(
                f"cannot store {where}'s model, a {type(params['model']).__name__} "
                "with no name_or_path: a model file records an encoder by name "
                "and revision, never its weights. Save it with "
                "model.save_pretrained(folder) (and its feature extractor), and "
                "fit SpeechEncoder(model=folder)."
            )
        params["model"] = name
    if params["feature_extractor"] is not None and not isinstance(
        params["feature_extractor"], (str, os.PathLike)
    ):
        raise TypeError(
            f"cannot store {where}'s feature_extractor object: save it with "
            "feature_extractor.save_pretrained(folder) beside the model, and pass "
            "the folder."
        )
    return {
        name: _encode(value, f"{where} parameter {name!r}")
        for name, value in params.items()
    }


def _restore_step(entry, handle, where, device):
    from .backbones import make_backbone
    from .classifier import HypernetClassifier
    from .transformers import BackboneFeatures

    if entry is None or isinstance(entry, str):
        if entry not in (None, "passthrough"):
            raise ValueError(f"{where}: unknown step {entry!r}.")
        return entry
    cls = _estimator_classes().get(entry.get("class"))
    if cls is None:
        raise ValueError(
            f"{where} is a {entry.get('class')!r}, which model files may not hold."
        )
    estimator = _construct(cls, entry["params"], where, device)
    fitted, states = _decode_fitted(entry.get("fitted", {}), handle, where)
    for name, value in fitted.items():
        setattr(estimator, name, value)
    try:
        if cls is HypernetClassifier:
            # Build the model for the recorded input without reading any
            # weights file (weights=None), then load the stored weights.
            weights = estimator.weights
            estimator.weights = None
            try:
                estimator.initialize()
            finally:
                estimator.weights = weights
            estimator.module_.load_state_dict(states.pop("module_"))
        if cls is BackboneFeatures and "backbone_" in states:
            with torch.random.fork_rng(devices=[]):
                trunk, _, _ = make_backbone(estimator.backbone, None)
            trunk.load_state_dict(states.pop("backbone_"))
            estimator.backbone_ = (
                trunk.requires_grad_(False).eval().to(estimator.device)
            )
    except (RuntimeError, KeyError) as err:
        raise ValueError(
            f"{where}: the stored weights do not fit the model its settings "
            f"build; the file is damaged or inconsistent ({err})"
        ) from None
    if states:
        raise ValueError(f"{where}: unexpected stored modules {sorted(states)}.")
    if hasattr(estimator, "fingerprint_"):  # a SpeechEncoder: load it by name now
        try:
            estimator._encoder()
        except (OSError, ImportError) as err:
            raise type(err)(f"{where}: {err}") from None
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
    return estimator


def _check_device(device, where):
    if device is None:
        return
    kind = torch.device(device).type
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"{where} was saved to run on device={str(device)!r}, which this "
            "machine does not have; load it with device='cpu'."
        )


# --- versions --------------------------------------------------------------------


def _library_versions():
    import sklearn
    import skorch
    import torchvision

    import skhyperdys

    versions = {
        "skhyperdys": skhyperdys.__version__,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "skorch": skorch.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    return {name: str(version) for name, version in versions.items()}


def _parse_version(text, path):
    try:
        major, minor = (int(part) for part in str(text).split("."))
    except ValueError:
        raise ValueError(
            f"{path!r} has an unreadable model-file format version {text!r}."
        ) from None
    return major, minor


def _check_format(metadata, path):
    """The settings of a file of a readable format version; else a clear error."""
    if not metadata or _VERSION_KEY not in metadata or _SETTINGS_KEY not in metadata:
        raise ValueError(
            f"{path!r} is a safetensors file but not a model saved by "
            "skhyperdys.io.dump (its header holds no skhyperdys settings)."
        )
    found = metadata[_VERSION_KEY]
    major, _ = _parse_version(found, path)
    supported, _ = _parse_version(FORMAT_VERSION, path)
    if major != supported:
        import skhyperdys

        advice = (
            "upgrade skhyperdys to load it"
            if major > supported
            else "load it with the skhyperdys version that wrote it and save it again"
        )
        raise ValueError(
            f"{path!r} is in model-file format {found}; this skhyperdys "
            f"({skhyperdys.__version__}) reads format {FORMAT_VERSION} "
            f"({supported}.x) only: {advice}."
        )
    try:
        return json.loads(metadata[_SETTINGS_KEY])
    except ValueError as err:
        raise ValueError(f"{path!r} has damaged settings: {err}") from None


def _minor(version):
    """(major, minor) of a version string such as '0.1.0' or '0.2.0.dev0'."""
    parts = []
    for part in str(version).split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts + [0] * (2 - len(parts)))


def _warn_versions(saved, path):
    import skhyperdys

    writer = saved.get("skhyperdys")
    if writer is not None and _minor(writer) > _minor(skhyperdys.__version__):
        warnings.warn(
            f"{os.fspath(path)!r} was written by skhyperdys {writer}, a newer "
            f"version than this one ({skhyperdys.__version__}): it may hold "
            "settings this version reads differently or not at all. Upgrade "
            "skhyperdys (pip install -U skhyperdys) before relying on it.",
            ModelVersionWarning,
            stacklevel=3,
        )
        return
    current = _library_versions()
    differ = [
        f"{name} {saved.get(name)} (here {current[name]})"
        for name in _LIBRARIES
        if saved.get(name) != current[name]
    ]
    if differ:
        warnings.warn(
            f"{os.fspath(path)!r} was saved with other library versions: "
            f"{', '.join(differ)}. It loads, but its predictions may differ "
            "slightly from those of the process that saved it.",
            ModelVersionWarning,
            stacklevel=3,
        )


# --- the public functions --------------------------------------------------------


def _sample_rate(estimator):
    """The ``sr`` of the first step that reads audio, or None.

    A :class:`MultiTaskImages` or :class:`ImagesAndContext` left with its
    default ``images=None`` reads at a default ``SpectrogramImages``'s rate.
    """
    steps = estimator.steps if isinstance(estimator, Pipeline) else [("", estimator)]
    for _, step in steps:
        if step is None or isinstance(step, str):
            continue
        if hasattr(step, "_images"):  # MultiTaskImages
            step = step._images()
        elif hasattr(step, "_parts"):  # ImagesAndContext
            step = step._parts()[0]
        if getattr(step, "sr", None) is not None:
            return int(step.sr)
    return None


def _check_card(card):
    """The user's model card as JSON-ready data; a clear error otherwise."""
    if card is None:
        return {}
    if not isinstance(card, dict):
        raise TypeError(
            f"card must be a dict of {', '.join(CARD_FIELDS)}; got "
            f"{type(card).__name__}."
        )
    unknown = sorted(set(card) - set(CARD_FIELDS))
    if unknown:
        raise ValueError(
            f"card has unknown field(s) {unknown}; a model card holds "
            f"{', '.join(CARD_FIELDS)}."
        )
    try:
        json.dumps(card, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"card must hold text, numbers, lists and dicts only ({err})."
        ) from None
    return {field: card[field] for field in CARD_FIELDS if field in card}


def _known_facts(estimator, classes, sample_rate):
    """What the library knows about a fitted model, for its card."""
    steps = estimator.steps if isinstance(estimator, Pipeline) else [(None, estimator)]
    last = steps[-1][1]
    settings = {}
    for name, step in steps:
        if step is None or isinstance(step, str):
            continue
        params = step.get_params(deep=False)
        simple = {
            k: v
            for k, v in params.items()
            if isinstance(v, (str, int, float, bool, type(None)))
            or (isinstance(v, tuple) and all(isinstance(x, (int, float)) for x in v))
        }
        settings[name or type(step).__name__] = {
            "class": type(step).__name__,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in simple.items()},
        }
        if hasattr(step, "fingerprint_"):  # a speech encoder: which weights
            settings[name or type(step).__name__].update(
                model=step.model_name_,
                model_revision=step.model_revision_,
                weights_fingerprint=step.fingerprint_,
            )
    return {
        "classes": None if classes is None else np.asarray(classes).tolist(),
        "sample_rate": sample_rate,
        "input": getattr(getattr(last, "input_spec_", None), "describe", str)(),
        "training_samples": getattr(last, "n_samples_fit_", None),
        "settings": settings,
    }


def dump(estimator, path, *, overwrite=False, card=None):
    """Save a fitted model to one file, weights as safetensors, settings as JSON.

    The file is a `safetensors <https://huggingface.co/docs/safetensors>`_
    file: the weights of the torch modules and the fitted arrays as tensors,
    and, in its header, JSON with each step's ``get_params(deep=False)``,
    the other fitted attributes (``input_spec_``, ``seed_``, ``classes_``),
    the audio's sample rate, the format version (:data:`FORMAT_VERSION`) and
    the versions of skhyperdys, torch, torchvision, skorch, scikit-learn,
    numpy and Python. It holds no optimizer state and no training history,
    so it is about the size of the weights. Settings that JSON cannot hold
    (a module or function of your own) are refused rather than pickled.

    The file is written next to ``path`` under a temporary name and renamed
    when complete: an existing file is never left half-written.

    Parameters
    ----------
    estimator : HypernetClassifier or Pipeline
        A fitted :class:`~skhyperdys.HypernetClassifier`, or a fitted
        :class:`~sklearn.pipeline.Pipeline` whose steps are skhyperdys
        estimators (:class:`~skhyperdys.SpectrogramImages`,
        :class:`~skhyperdys.MultiTaskImages`,
        :class:`~skhyperdys.ImagesAndContext`,
        :class:`~skhyperdys.EgemapsFunctionals`,
        :class:`~skhyperdys.BackboneFeatures`,
        :class:`~skhyperdys.encoders.SpeechEncoder`,
        :class:`~skhyperdys.audit.LogMelStatistics`,
        :class:`~skhyperdys.HypernetClassifier`) or ``"passthrough"``. A
        :class:`~skhyperdys.encoders.SpeechEncoder` is stored by its model's
        name (id or folder), revision and weights fingerprint, never its
        weights: :func:`load` finds it on the machine again (the local
        Hugging Face cache or the folder) and refuses other weights.
    path : str or os.PathLike
        The file to write, e.g. ``"model.safetensors"``.
    overwrite : bool, default=False
        Replace an existing file at ``path``. By default an existing file is
        an error, and nothing is written.
    card : dict or None, default=None
        A model card, stored as data beside the model: any of
        :data:`CARD_FIELDS`: ``"name"``, ``"description"``,
        ``"intended_use"``, ``"training_data"``, ``"evaluation"`` (protocol
        and results, e.g. ``{"protocol": "5-fold subject-wise CV",
        "accuracy": 0.84}``), ``"limitations"``, ``"authors"``,
        ``"license"``, ``"citation"``; text, numbers, lists and dicts. The
        library adds what it knows (classes, sample rate, input, each
        step's settings, the number of training samples, the versions).
        :func:`read_metadata` returns it; ``python -m skhyperdys info
        MODEL`` prints it.

    Returns
    -------
    None

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    ValueError
        If ``card`` has a field not in :data:`CARD_FIELDS`.
    TypeError
        If ``estimator`` is neither of the above, or a setting or fitted
        attribute cannot be stored as data: a module, function or class of
        your own (e.g. ``backbone=my_module``, ``head=MyHead``), a
        ``RandomState`` instance, ... The message names it.
    sklearn.exceptions.NotFittedError
        If the classifier or a :class:`~skhyperdys.BackboneFeatures` step has
        not been fitted.

    See Also
    --------
    load : Read the file back.
    read_metadata : The file's settings and versions, without loading it.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skhyperdys import HypernetClassifier
    >>> from skhyperdys.io import dump, load
    >>> rng = np.random.default_rng(0)
    >>> X = {"features": rng.standard_normal((8, 16)).astype("float32")}
    >>> clf = HypernetClassifier(max_epochs=1, embed_dim=8, context_dim=4,
    ...                          hyper_hidden=8, random_state=0)
    >>> clf = clf.fit(X, ["HC", "ALS"] * 4)
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "model.safetensors")
    >>> dump(clf, path)
    >>> bool((load(path).predict_proba(X) == clf.predict_proba(X)).all())
    True
    >>> dump(clf, path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    FileExistsError: ... exists; pass overwrite=True to replace it.
    >>> folder.cleanup()
    """
    from safetensors.torch import save_file

    from .classifier import HypernetClassifier

    path = os.fspath(path)
    card = _check_card(card)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path!r} exists; pass overwrite=True to replace it.")
    tensors = {}
    if isinstance(estimator, Pipeline):
        steps = [
            [name, _encode_step(step, i, f"step {name!r}", tensors)]
            for i, (name, step) in enumerate(estimator.steps)
        ]
        pipeline_params = {
            k: v for k, v in estimator.get_params(deep=False).items() if k != "steps"
        }
        model = {
            "class": "sklearn.pipeline.Pipeline",
            "params": {
                k: _encode(v, f"Pipeline parameter {k!r}")
                for k, v in pipeline_params.items()
            },
            "steps": steps,
        }
        last = estimator.steps[-1][1]
    else:
        model = _encode_step(estimator, 0, "the estimator", tensors)
        last = estimator
    classes = last.classes_ if isinstance(last, HypernetClassifier) else None
    sample_rate = _sample_rate(estimator)
    card["model"] = _known_facts(estimator, classes, sample_rate)
    settings = {
        "format_version": FORMAT_VERSION,
        "versions": _library_versions(),
        "card": card,
        "sample_rate": sample_rate,
        "classes": None if classes is None else _encode(np.asarray(classes), "classes"),
        "model": model,
    }
    metadata = {
        "format": "pt",
        _VERSION_KEY: FORMAT_VERSION,
        _SETTINGS_KEY: json.dumps(settings, allow_nan=False),
    }
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        save_file(_unshared(tensors), temporary, metadata=metadata)
        _move(temporary, path, overwrite)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _move(source, target, overwrite):
    """Rename ``source`` to ``target``; without ``overwrite``, never replace one."""
    if overwrite:
        os.replace(source, target)
        return
    try:
        os.link(source, target)  # fails, atomically, if target appeared meanwhile
    except FileExistsError:
        raise FileExistsError(
            f"{target!r} exists; pass overwrite=True to replace it."
        ) from None
    except OSError:  # no hard links on this file system
        if os.path.exists(target):
            raise FileExistsError(
                f"{target!r} exists; pass overwrite=True to replace it."
            ) from None
        os.replace(source, target)


def _open(path):
    from safetensors import safe_open

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such model file: {path!r}")
    try:
        return safe_open(path, framework="pt", device="cpu")
    except Exception as err:  # safetensors' own error type is not public
        raise ValueError(
            f"{path!r} is not a model file saved by skhyperdys.io.dump (not a "
            f"safetensors file: {err})."
        ) from None


def read_metadata(path):
    """The settings and versions stored in a model file, without loading it.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`dump`.

    Returns
    -------
    metadata : dict
        ``"format_version"``, ``"versions"`` (library name to version),
        ``"sample_rate"`` (Hz, or None for a classifier alone),
        ``"classes"`` (list of labels, or None), ``"steps"``: a list of
        ``(name, class_name)`` pairs (name None for a classifier alone), and
        ``"card"``: the model card given to :func:`dump` with the library's
        ``"model"`` facts (an empty dict for files written before 0.1.0).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If it is not a model file, or one of a format version this
        skhyperdys cannot read.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skhyperdys import HypernetClassifier
    >>> from skhyperdys.io import dump, read_metadata
    >>> X = {"features": np.random.default_rng(0).standard_normal((8, 16))}
    >>> clf = HypernetClassifier(max_epochs=1, embed_dim=8, context_dim=4,
    ...                          hyper_hidden=8, random_state=0).fit(X, [0, 1] * 4)
    >>> folder = tempfile.TemporaryDirectory()
    >>> dump(clf, os.path.join(folder.name, "model.safetensors"))
    >>> info = read_metadata(os.path.join(folder.name, "model.safetensors"))
    >>> info["format_version"], info["classes"], info["steps"]
    ('1.0', [0, 1], [(None, 'skhyperdys.HypernetClassifier')])
    >>> folder.cleanup()
    """
    with _open(path) as handle:
        settings = _check_format(handle.metadata(), os.fspath(path))
    model = settings["model"]
    if model.get("class") == "sklearn.pipeline.Pipeline":
        steps = [
            (name, step if step is None or isinstance(step, str) else step["class"])
            for name, step in model["steps"]
        ]
    else:
        steps = [(None, model["class"])]
    classes = settings.get("classes")
    return {
        "format_version": settings["format_version"],
        "versions": settings["versions"],
        "sample_rate": settings.get("sample_rate"),
        "classes": None if classes is None else _decode(classes, "classes").tolist(),
        "steps": steps,
        "card": settings.get("card", {}),
    }


def load(path, *, device=None):
    """Load a model saved by :func:`dump`, ready to predict.

    Nothing in the file is executed: weights are read with safetensors, the
    settings are JSON, and the classes they name must be among the
    skhyperdys estimators, torch's losses, optimizers and data loaders, and
    skorch's datasets and callbacks. The classifier is rebuilt from its
    settings and its recorded input (no weights file or download is needed,
    whatever its ``weights`` setting), then the stored weights are loaded.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`dump`.
    device : str, torch.device or None, default=None
        Where the model runs: replaces the ``device`` setting of every step
        that has one (``"cpu"`` loads a model trained on a GPU on a machine
        without one). ``None`` keeps the saved settings.

    Returns
    -------
    estimator : HypernetClassifier or Pipeline
        The fitted model: its ``predict_proba`` equals that of the saved one
        (same library versions and device). Its ``history_`` is empty and
        its optimizer fresh.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a model written by :func:`dump`, is damaged, names
        classes a model file may not name, or is of another major format
        version (the message names both versions).
    RuntimeError
        If the model was saved for a CUDA device this machine lacks (pass
        ``device="cpu"``).

    Warns
    -----
    ModelVersionWarning
        If skhyperdys, torch, torchvision, skorch, scikit-learn or numpy
        differ in version from those that wrote the file.

    See Also
    --------
    dump : Write a model file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.pipeline import Pipeline
    >>> from skhyperdys import HypernetClassifier, SpectrogramImages
    >>> from skhyperdys.io import dump, load
    >>> rng = np.random.default_rng(0)
    >>> waveforms = [rng.standard_normal(8000) for _ in range(6)]
    >>> pipe = Pipeline([
    ...     ("images", SpectrogramImages(image_size=(64, 64), n_mels=32)),
    ...     ("clf", HypernetClassifier(weights=None, max_epochs=1, embed_dim=8,
    ...                                context_dim=4, hyper_hidden=8,
    ...                                random_state=0)),
    ... ]).fit(waveforms, [0, 1] * 3)
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "model.safetensors")
    >>> dump(pipe, path)
    >>> loaded = load(path)
    >>> [name for name, _ in loaded.steps]
    ['images', 'clf']
    >>> bool((loaded.predict_proba(waveforms) == pipe.predict_proba(waveforms)).all())
    True
    >>> folder.cleanup()
    """
    with _open(path) as handle:
        settings = _check_format(handle.metadata(), os.fspath(path))
        _warn_versions(settings.get("versions", {}), path)
        model = settings["model"]
        if model.get("class") == "sklearn.pipeline.Pipeline":
            steps = [
                (name, _restore_step(step, handle, f"step {name!r}", device))
                for name, step in model["steps"]
            ]
            params = _decode_params(model.get("params", {}), "the Pipeline")
            return Pipeline(steps, **params)
        return _restore_step(model, handle, "the estimator", device)
