"""``--scheduler``: run a command's joblib work on a dask.distributed cluster."""

from __future__ import annotations

from contextlib import contextmanager

from .errors import CommandError, one_line

__all__ = ["SCHEDULER_TIMEOUT", "dask_scheduler"]

#: Seconds to wait for the scheduler of --scheduler before giving up.
SCHEDULER_TIMEOUT = 10


@contextmanager
def dask_scheduler(address, console, timeout=None):
    """Inside the block, joblib runs on the dask cluster at ``address`` (None: locally).

    Whatever runs through joblib without an explicit backend (the per-clip feature
    extraction) becomes tasks of that cluster; the rest stays in this process.
    """
    if address is None:
        yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise CommandError("--scheduler needs dask.distributed, which is not installed: "
                           "pip install 'sklearn-ser[dask]'.") from None
    import joblib

    timeout = SCHEDULER_TIMEOUT if timeout is None else timeout
    try:
        client = Client(address, timeout=timeout)
    except (OSError, ValueError) as exc:  # a TimeoutError is an OSError
        raise CommandError(f"--scheduler {address}: no dask scheduler answered within "
                           f"{timeout} s ({one_line(exc)}).") from None
    with client, joblib.parallel_config(backend="dask"):
        n_workers = len(client.scheduler_info().get("workers", {}))
        console.info(f"Dask scheduler {address}: {n_workers} workers.")
        yield
