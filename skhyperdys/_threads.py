"""Keep torch and BLAS/OpenMP thread pools from fighting each other."""

from contextlib import contextmanager

import torch
from threadpoolctl import threadpool_limits


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
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(previous)
