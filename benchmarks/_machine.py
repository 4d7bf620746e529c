"""Shared helpers of the benchmarks: the machine they ran on, the device, timing.

Every benchmark prints :func:`describe` first (CPU model, logical cores, the
matrix-instruction flags that decide whether bfloat16 / float16 / AMX paths
are fast, torch's version and thread settings, the BLAS pools, the load
average; the GPU with ``--device cuda``), so that a figure is never quoted
without the machine it came from. :func:`add_device_argument` and
:func:`resolve_device` give each script the same ``--device`` option, which
fails with one clear line, not a torch traceback, when the device is missing.
"""

import os
import platform
import sys
import time
from contextlib import contextmanager

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from skhyperdys._threads import single_threaded

#: CPU flags worth printing: AVX-512 (oneDNN's fast float32 kernels), the
#: bfloat16 and float16 dot products, and Intel AMX tiles.
_FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16",
          "amx_int8", "amx_fp16")  # fmt: skip


def cpu_info():
    """``(model, logical cores, set of flags)`` from /proc/cpuinfo (Linux)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, os.cpu_count(), flags


def cpu_line():
    """One line: the CPU model, its logical cores and the flags of :data:`_FLAGS`."""
    model, cores, flags = cpu_info()
    present = " ".join(f"{f} {'yes' if f in flags else 'no'}" for f in _FLAGS)
    return f"CPU: {model}, {cores} logical cores; {present}"


def load_average():
    """The 1, 5 and 15 minute load averages, as a string."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def blas_pools():
    """The thread pools threadpoolctl sees: ``openblas 2, openmp 2, ...``."""
    pools = [
        f"{p.get('internal_api', '?')} {p.get('num_threads', '?')}"
        for p in threadpool_info()
    ]
    return ", ".join(pools) or "none found"


def describe(device="cpu", extra=None):
    """Print the machine, torch and its thread settings, and ``extra`` lines."""
    device = torch.device(device)
    print(cpu_line())
    print(
        f"torch {torch.__version__} (CPU capability "
        f"{torch.backends.cpu.get_cpu_capability()}; oneDNN bfloat16 "
        f"{'yes' if torch.ops.mkldnn._is_mkldnn_bf16_supported() else 'no'}, "
        f"float16 {'yes' if torch.ops.mkldnn._is_mkldnn_fp16_supported() else 'no'})"
        f", numpy {np.__version__}, Python {platform.python_version()}"
    )
    print(
        f"threads: torch {torch.get_num_threads()} (inter-op "
        f"{torch.get_num_interop_threads()}); BLAS/OpenMP pools: {blas_pools()}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )
    if device.type == "cuda":
        index = device.index
        if index is None:
            index = torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        print(
            f"GPU: {props.name}, compute capability {props.major}.{props.minor}, "
            f"{props.total_memory / 2**30:.0f} GiB; bfloat16 "
            f"{'yes' if torch.cuda.is_bf16_supported() else 'no'}; CUDA "
            f"{torch.version.cuda}"
        )
    print(f"device: {device}; load average (1, 5, 15 min): {load_average()}")
    for line in extra or ():
        print(line)
    sys.stdout.flush()


def add_device_argument(parser):
    """``--device``, default ``"cpu"``."""
    parser.add_argument(
        "--device",
        default="cpu",
        help='where torch computes: "cpu", "cuda" or "cuda:N"',
    )


def resolve_device(device):
    """``torch.device(device)``, or exit with one line saying why it is unusable."""
    try:
        device = torch.device(device)
    except (RuntimeError, ValueError) as error:
        sys.exit(f"--device {device!r} is not a torch device: {error}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            sys.exit(
                f"--device {device}: torch {torch.__version__} sees no CUDA GPU "
                "(torch.cuda.is_available() is False). Run on a machine with a "
                "GPU, or use --device cpu."
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            sys.exit(
                f"--device {device}: only {torch.cuda.device_count()} CUDA "
                "device(s) visible."
            )
    elif device.type != "cpu":
        sys.exit(f"--device {device}: these benchmarks support cpu and cuda only.")
    return device


def synchronize(device):
    """Wait for the GPU's queued work (no-op on the CPU)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


@contextmanager
def best_threads(single):
    """One torch and one BLAS/OpenMP thread if ``single``, else leave them."""
    if not single:
        yield
        return
    # The library's own: one cached threadpoolctl controller, so the limit
    # costs microseconds, not threadpool_limits' ~5 ms library scan per call.
    with single_threaded():
        yield


def rotated(items, k):
    """``items`` started at position ``k`` (modulo its length), wrapped around.

    Repeat ``k`` of an alternated benchmark runs its variants in this order,
    so that none always runs first (cold) or last.
    """
    items = list(items)
    k %= len(items)
    return items[k:] + items[:k]


def fast_settings(device):
    """``HypernetClassifier`` precision/layout settings worth timing on ``device``.

    float32 (the default) first; float16 only on a GPU (on a CPU without
    float16 units it falls back to float32).
    """
    settings = {
        "float32": {},
        "bfloat16": {"precision": "bfloat16"},
        "channels_last": {"channels_last": True},
        "bfloat16 + channels_last": {"precision": "bfloat16", "channels_last": True},
    }
    if torch.device(device).type == "cuda":
        settings["float16"] = {"precision": "float16"}
        settings["float16 + channels_last"] = {
            "precision": "float16",
            "channels_last": True,
        }
    return settings


def sgemm_gflops(size=1024, repeats=7, threads=1):
    """float32 matrix product speed, GFLOP/s (numpy's BLAS at ``threads``).

    The best of ``repeats`` ``size x size`` products: a practical ceiling for
    float32 arithmetic on ``threads`` cores (None: BLAS's default, all of
    them), against which a FLOP count gives "the fastest this could be".
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    times = []
    with threadpool_limits(threads):
        np.matmul(a, b, out=out)
        for _ in range(repeats):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            times.append(time.perf_counter() - start)
    return 2 * size**3 / min(times) / 1e9


def count_flops(fn):
    """Floating-point operations of ``fn()``, by torch's ``FlopCounterMode``.

    Counts matrix products and convolutions (2 per multiply-add), forward
    and, if ``fn`` runs it, backward: for a CNN, nearly all of the work.
    """
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def percentile(values, q):
    """The ``q``-th percentile (0-100) of ``values``, linear interpolation."""
    return float(np.percentile(np.asarray(values), q))
