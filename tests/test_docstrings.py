"""Every public function and class documents itself the numpydoc way.

The API reference (docs/api.rst) is generated from these docstrings, and
pytest runs their Examples as doctests (``--doctest-modules``); this test
makes sure none is missing.
"""

import importlib
import inspect

import pytest

# An optional test dependency: without it, these tests skip (and say so).
docscrape = pytest.importorskip("numpydoc.docscrape")
ClassDoc, FunctionDoc = docscrape.ClassDoc, docscrape.FunctionDoc

MODULES = [
    "skhyperdys",
    "skhyperdys.audio",
    "skhyperdys.audit",
    "skhyperdys.backbones",
    "skhyperdys.batched",
    "skhyperdys.datasets",
    "skhyperdys.cli",
    "skhyperdys.encoders",
    "skhyperdys.measures",
    "skhyperdys.features",
    "skhyperdys.inspection",
    "skhyperdys.io",
    "skhyperdys.metrics",
    "skhyperdys.model_selection",
    "skhyperdys.modules",
    "skhyperdys.plotting",
]


def public_objects():
    seen = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                seen.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return seen


PUBLIC = public_objects()


def public_methods(cls):
    """Methods and properties a class defines itself (not inherited)."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(member) or isinstance(member, property):
            yield name, member


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_name_has_parameters_returns_and_examples(name):
    obj = PUBLIC[name]
    if inspect.isclass(obj):
        doc = ClassDoc(obj)
        assert doc["Parameters"] or not inspect.signature(obj).parameters, name
        for method_name, method in public_methods(obj):
            if isinstance(method, property):
                assert method.__doc__, f"{name}.{method_name} has no docstring"
                continue
            method_doc = FunctionDoc(method)
            assert method_doc["Summary"], f"{name}.{method_name} has no summary"
            if method_name in {"fit", "transform", "predict", "predict_proba"}:
                assert method_doc["Returns"], f"{name}.{method_name}: no Returns"
    else:
        doc = FunctionDoc(obj)
        takes_arguments = bool(inspect.signature(obj).parameters)
        assert doc["Parameters"] or not takes_arguments, f"{name}: no Parameters"
        assert doc["Returns"], f"{name} documents no return value"
    assert doc["Summary"], f"{name} has no summary line"
    assert any(">>>" in line for line in doc["Examples"]), f"{name}: no Examples"
