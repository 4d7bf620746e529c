"""show_versions: what a bug report needs."""

import skhyperdys
from skhyperdys._show_versions import versions


def test_show_versions_names_the_library_and_every_dependency(capsys):
    skhyperdys.show_versions()
    out = capsys.readouterr().out
    assert f"skhyperdys: {skhyperdys.__version__}" in out
    for name in ("python:", "torch:", "torchvision:", "scikit-learn:", "skorch:",
                 "librosa:", "numpy:", "scipy:", "soundfile:", "libsndfile",
                 "CUDA:", "oneDNN:", "Optional dependencies:", "opensmile"):
        assert name in out, name  # fmt: skip


def test_missing_packages_are_said_not_skipped(monkeypatch):
    import importlib.metadata

    real = importlib.metadata.version

    def version(name):
        if name in ("mapie", "librosa"):
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    info = versions()
    assert info["Dependencies"]["librosa"] == "NOT INSTALLED"
    assert info["Optional dependencies"]["mapie (conformal prediction sets)"] == (
        "not installed"
    )
