"""Training keeps freed large blocks for reuse (glibc), and undoes it after."""

import ctypes

import numpy as np
import pytest
import torch

from skhyperdys import HypernetClassifier, _allocator
from skhyperdys._allocator import AFTERWARDS, TRAINING, reuse_large_blocks


class FakeLibc:
    """Records the calls reuse_large_blocks makes to glibc."""

    def __init__(self):
        self.calls = []

    def mallopt(self, option, value):
        self.calls.append(("mallopt", option, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


SET = [("mallopt", k, v) for k, v in TRAINING.items()]
RESTORED = [("mallopt", k, v) for k, v in AFTERWARDS.items()] + [("malloc_trim", 0)]


@pytest.fixture
def libc(monkeypatch):
    fake = FakeLibc()
    monkeypatch.setattr(_allocator, "_glibc", lambda: fake)
    for name in (*_allocator._USER_OPTIONS, "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    return fake


def test_sets_thresholds_then_restores_and_trims(libc):
    with reuse_large_blocks():
        assert libc.calls == SET
    assert libc.calls == SET + RESTORED


def test_nested_uses_set_once_and_restore_at_the_end(libc):
    with reuse_large_blocks():
        with reuse_large_blocks():
            pass
        assert libc.calls == SET
    assert libc.calls == SET + RESTORED


def test_restores_when_the_body_raises(libc):
    with pytest.raises(KeyError):
        with reuse_large_blocks():
            raise KeyError("boom")
    assert libc.calls == SET + RESTORED


@pytest.mark.parametrize(
    "name, value",
    [
        ("MALLOC_MMAP_THRESHOLD_", "131072"),
        ("MALLOC_TRIM_THRESHOLD_", "131072"),
        ("MALLOC_TOP_PAD_", "0"),
        ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072"),
    ],
)
def test_user_malloc_options_are_left_alone(libc, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with reuse_large_blocks():
        pass
    assert libc.calls == []


def test_other_tunables_do_not_count_as_a_malloc_choice(libc, monkeypatch):
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.rtld.optional_static_tls=512")
    with reuse_large_blocks():
        pass
    assert libc.calls == SET + RESTORED


def test_nothing_happens_without_glibc(monkeypatch):
    monkeypatch.setattr(_allocator, "_glibc", lambda: None)
    with reuse_large_blocks():
        pass  # no error, nothing to call


def test_fit_trains_inside_and_restores_after(libc):
    seen = []

    class Spy(HypernetClassifier):
        def train_step(self, batch, **fit_params):
            seen.append(list(libc.calls))
            return super().train_step(batch, **fit_params)

    rng = np.random.default_rng(0)
    X = {"features": rng.standard_normal((8, 16)).astype("float32")}
    clf = Spy(max_epochs=2, embed_dim=8, context_dim=4, hyper_hidden=8, random_state=0)
    clf.fit(X, [0, 1] * 4)
    assert seen and all(calls == SET for calls in seen)
    assert libc.calls == SET + RESTORED
    clf.partial_fit(X, [0, 1] * 4)
    assert libc.calls == (SET + RESTORED) * 2


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _mapped_and_free_heap():
    """glibc's bytes in mmapped blocks, and free bytes kept in the heap."""
    mallinfo2 = _allocator._glibc().mallinfo2
    mallinfo2.restype = _Mallinfo2
    info = mallinfo2()
    return info.hblkhd, info.fordblks


@pytest.mark.skipif(
    _allocator._glibc() is None or not hasattr(_allocator._glibc(), "mallinfo2"),
    reason="glibc >= 2.33 only",
)
def test_real_glibc_keeps_a_freed_large_block_in_the_heap(monkeypatch):
    for name in (*_allocator._USER_OPTIONS, "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    size = 96 << 20  # above the 32 MiB that glibc maps afresh every time
    with reuse_large_blocks():
        mapped_before, _ = _mapped_and_free_heap()
        block = torch.ones(size // 4)
        mapped_during, _ = _mapped_and_free_heap()
        del block
        _, free_heap = _mapped_and_free_heap()
    # From the heap, not mapped; once freed, kept there for the next step.
    assert mapped_during - mapped_before < size / 2
    assert free_heap >= size
    # Afterwards: glibc's thresholds again, a block this large is mapped.
    mapped_before, _ = _mapped_and_free_heap()
    block = torch.ones(size // 4)
    mapped_during, _ = _mapped_and_free_heap()
    del block
    assert mapped_during - mapped_before >= size
