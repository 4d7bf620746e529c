"""``show_versions()``: what a bug report needs to know about this installation."""

import importlib.metadata
import platform
import sys

# (distribution name, what it is for); the required ones first.
_REQUIRED = (
    "numpy",
    "scipy",
    "scikit-learn",
    "skorch",
    "torch",
    "torchvision",
    "librosa",
    "soundfile",
    "safetensors",
    "joblib",
    "pandas",
    "tqdm",
)
_OPTIONAL = (
    ("matplotlib", "skhyperdys.plotting"),
    ("opensmile", "eGeMAPS contexts"),
    ("grad-cam", "grad-cam saliency methods"),
    ("mapie", "conformal prediction sets"),
    ("dask", "distributed grid search"),
    ("distributed", "distributed grid search"),
    ("silero-vad", "audit detector='silero'"),
)


def _version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _torch_build():
    """torch's compute back-ends: CUDA (and the GPU), oneDNN, threads."""
    import torch

    lines = {}
    cuda = torch.version.cuda
    if cuda is None:
        lines["CUDA"] = "not built with CUDA"
    elif torch.cuda.is_available():
        count = torch.cuda.device_count()
        names = sorted({torch.cuda.get_device_name(i) for i in range(count)})
        lines["CUDA"] = f"{cuda}, {count} GPU(s): {', '.join(names)}"
    else:
        lines["CUDA"] = f"{cuda} (built with it; no GPU visible)"
    if torch.backends.mkldnn.is_available():
        capability = torch.backends.cpu.get_cpu_capability()
        lines["oneDNN"] = f"yes (CPU capability {capability})"
    else:
        lines["oneDNN"] = "no"
    intra, inter = torch.get_num_threads(), torch.get_num_interop_threads()
    lines["threads"] = f"{intra} intra-op, {inter} inter-op"
    return lines


def versions():
    """The information :func:`show_versions` prints, as a dict of sections."""
    import skhyperdys

    system = {
        "skhyperdys": skhyperdys.__version__,
        "python": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "machine": platform.platform(),
    }
    required = {name: _version(name) or "NOT INSTALLED" for name in _REQUIRED}
    soundfile = _version("soundfile")
    if soundfile:
        try:
            import soundfile as sf

            required["soundfile"] += f" (libsndfile {sf.__libsndfile_version__})"
        except (ImportError, OSError) as err:
            required["soundfile"] += f" (cannot load libsndfile: {err})"
    optional = {
        f"{name} ({purpose})": _version(name) or "not installed"
        for name, purpose in _OPTIONAL
    }
    return {
        "System": system,
        "torch build": _torch_build() if _version("torch") else {},
        "Dependencies": required,
        "Optional dependencies": optional,
    }


def show_versions():
    """Print the versions of skhyperdys, Python and every library it uses.

    Paste the output into a bug report: it names the library and Python
    versions, the platform, torch's build (CUDA and the GPUs it sees, oneDNN,
    threads), the versions of the required dependencies (with soundfile's
    libsndfile) and of the optional ones. Versions are read from the
    installed packages' metadata.

    Returns
    -------
    None
        It prints; :func:`skhyperdys._show_versions.versions` returns the same
        as a dict.

    Examples
    --------
    >>> import skhyperdys
    >>> skhyperdys.show_versions()  # doctest: +ELLIPSIS
    <BLANKLINE>
    System:
      skhyperdys: ...
    """
    for section, entries in versions().items():
        print(f"\n{section}:")
        width = max((len(key) for key in entries), default=0)
        for key, value in entries.items():
            print(f"  {key:>{width}}: {value}")
