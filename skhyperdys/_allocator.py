"""Let glibc reuse the large blocks a CPU training step frees.

A training step of AlexNet allocates and frees hundreds of megabytes of
tensors of the same sizes in every step: gradients, and under ``torch.autocast``
the bfloat16 copies of the weights and the float32 copies of their gradients.
glibc's ``malloc`` serves blocks above its mmap threshold (at most 32 MiB by
default) with fresh ``mmap`` calls and returns them with ``munmap`` when
freed, so every step pays again for the kernel to map and zero those pages:
a bfloat16 + channels-last fit ran 1.27x faster without that, float32 1.04x
(10 epochs on the project's 2-core CPU, ``python
benchmarks/bench_training.py --parts allocator --allocator-epochs 10``).
:func:`reuse_large_blocks` raises the threshold (and the heap's trim
threshold) for the duration of training, so that freed blocks stay in the
heap and the next step reuses them; afterwards it sets glibc's largest
dynamic thresholds and hands the freed memory back to the system
(``malloc_trim``).

It does nothing where the C library is not glibc, or where the user has set
glibc's malloc options (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``,
``MALLOC_TOP_PAD_`` or ``GLIBC_TUNABLES`` with a ``glibc.malloc`` entry): the
user's choice stands. The same can be had by hand, for a whole process, with
``MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647``.
"""

import ctypes
import ctypes.util
import os
import platform
import threading
from contextlib import contextmanager
from functools import lru_cache

# mallopt parameter numbers from glibc's malloc.h.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

#: Thresholds during training: blocks up to 1 GiB come from the heap, and the
#: heap is not trimmed (mallopt takes an int, hence 2**31 - 1).
TRAINING = {M_MMAP_THRESHOLD: 1 << 30, M_TRIM_THRESHOLD: 2**31 - 1}
#: Thresholds afterwards: the largest glibc's dynamic thresholds reach on a
#: 64-bit system (32 MiB, and twice that for trimming). glibc cannot be put
#: back into its dynamic mode once a threshold has been set.
AFTERWARDS = {M_MMAP_THRESHOLD: 32 << 20, M_TRIM_THRESHOLD: 64 << 20}

_USER_OPTIONS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")

_lock = threading.Lock()
_depth = 0


@lru_cache(maxsize=1)
def _glibc():
    """glibc, loaded through ctypes; None elsewhere (macOS, Windows, musl)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


def _user_has_chosen():
    if any(name in os.environ for name in _USER_OPTIONS):
        return True
    return "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "")


def _set(libc, thresholds):
    for option, value in thresholds.items():
        libc.mallopt(option, value)


@contextmanager
def reuse_large_blocks():
    """Run the body with glibc keeping freed large blocks for reuse.

    Nested and concurrent uses (e.g. fits in threads) share one setting: the
    first to enter sets it, the last to leave restores it.
    """
    global _depth
    libc = _glibc()
    if libc is None or _user_has_chosen():
        yield
        return
    with _lock:
        if _depth == 0:
            _set(libc, TRAINING)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _set(libc, AFTERWARDS)
                libc.malloc_trim(0)
