"""Keep torch and BLAS/OpenMP thread pools from fighting each other."""

from contextlib import contextmanager
from functools import lru_cache

import torch
from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def _controller():
    # Finding the loaded BLAS/OpenMP libraries takes milliseconds: do it once.
    return ThreadpoolController()


@contextmanager
def single_threaded():
    """Run the body with one torch thread and one BLAS/OpenMP thread.

    Per-clip feature extraction is many small numpy and torch calls; with the
    default pools, torch's threads and numpy's contend for the same cores and
    the work runs about twice as slow. Parallelism comes from joblib workers
    instead (``n_jobs``).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with _controller().limit(limits=1):
            yield
    finally:
        torch.set_num_threads(previous)
