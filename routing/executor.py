"""Where the parallel pieces of SchoolRun run: a local process pool, or a Ray cluster.

Every fan-out (the parts of a run in :mod:`routing.decompose`, the parallel seeds of the
search in :mod:`routing.solver.improve`, the variants of ``compare``, the points of
``tradeoff``, the items of ``sweep``) submits module-level functions through
:func:`open_executor` and waits on ``concurrent.futures.Future`` objects, so the code
that fans out is the same for both kinds:

- ``local`` (the default): a ``ProcessPoolExecutor`` on this machine (``spawn`` unless a
  caller asks for ``fork``); nothing to install beyond the project.
- ``ray``: each call is a Ray task (``num_cpus=1``, spread over the nodes:
  :data:`RAY_SCHEDULING`), its ``ObjectRef`` turned into a ``Future``. Ray retries a
  task whose worker process or node died (:data:`RAY_TASK_RETRIES`); an exception raised
  by the function itself is not retried and reaches the caller as it is. Ray is one
  connection per process (Ray's design): :func:`connect_ray` joins the cluster at an
  address, or starts a local instance when none is given; a Ray task that fans out
  again reuses its worker's connection.

Ray is an optional dependency (``pip install 'schoolrun[ray]'``), imported only here and
only when the ``ray`` kind is used.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Final, Protocol

from routing.errors import InvalidScenarioError

EXECUTOR_KINDS = ("local", "ray")

RAY_TASK_RETRIES = 3
"""Times Ray runs a task again after its worker process or node died (Ray's default)."""

RAY_SCHEDULING: Final = "SPREAD"
"""Ray's placement of our tasks. Its default ("hybrid") packs the tasks submitted at once
onto the submitting node until that node is busy, and those queued there stay there: 36
CPU-bound tasks of 0.4 s on two nodes of 1 CPU went 23 / 13 and the second node stood idle
for the last 2.6 s of 9.8 s; with SPREAD 19 / 17 and 8.3 s, both nodes ending within 0.2 s
(Ray 2.60, ``ray.cluster_utils.Cluster``, a quiet machine). Our tasks are independent
solves that each want a whole CPU, the case SPREAD is for."""


LOCAL_RAY_SYSTEM_CONFIG = {"worker_niceness": 0}
"""Ray runs its workers at niceness 15 by default: on a machine shared with other work they
then get a fraction of the CPU a pool process gets (measured here: a CPU-bound task took
16.5 s on Ray against 7.0 s in the pool at load 33, and 6.1 s at niceness 0). A cluster's
nodes set the same with ``RAY_worker_niceness=0`` before ``ray start``."""


class Executor(Protocol):
    """What a fan-out needs: submit a picklable call, get a ``Future``."""

    kind: str

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]: ...


def check_kind(kind: str) -> str:
    """``kind`` if it names an executor, else InvalidScenarioError naming it."""
    if kind not in EXECUTOR_KINDS:
        msg = f"executor must be one of {', '.join(EXECUTOR_KINDS)}, got '{kind}'."
        raise InvalidScenarioError(msg)
    return kind


class _LocalExecutor:
    kind = "local"

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self._pool = pool

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        return self._pool.submit(fn, *args)


class _RayExecutor:
    kind = "ray"

    def __init__(self) -> None:
        import ray

        self._ray = ray
        self._remote: dict[Callable[..., Any], Any] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._ray.remote(
                num_cpus=1, max_retries=RAY_TASK_RETRIES, scheduling_strategy=RAY_SCHEDULING
            )(fn)
            self._remote[fn] = remote
        future: Future[Any] = remote.remote(*args).future()
        return future


def connect_ray(address: str | None = None, *, num_cpus: int | None = None) -> None:
    """Join the Ray cluster at ``address`` (``ray://...`` or ``HOST:PORT``), or start a
    local instance (``num_cpus`` CPUs, default all) when ``address`` is None; nothing
    when this process is connected already (a Ray worker, a second call).

    Raises
    ------
    InvalidScenarioError
        If Ray is not installed (``pip install 'schoolrun[ray]'``).
    """
    try:
        import ray
    except ImportError as err:
        msg = "executor 'ray' needs Ray installed: pip install 'schoolrun[ray]'."
        raise InvalidScenarioError(msg) from err
    if ray.is_initialized():
        return
    # "local": a new instance of our own, never a cluster some other process on this
    # machine started (ray.init() without an address would join that one).
    ray.init(
        address=address or "local",
        num_cpus=num_cpus if address is None else None,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        _system_config=None if address else LOCAL_RAY_SYSTEM_CONFIG,
    )


@contextmanager
def open_executor(
    kind: str,
    *,
    max_workers: int,
    start_method: str = "spawn",
    initializer: Callable[..., None] | None = None,
    initargs: Sequence[Any] = (),
) -> Iterator[Executor]:
    """An executor of ``kind`` for one fan-out, closed (pool shut down) on exit.

    Parameters
    ----------
    kind
        ``local`` or ``ray`` (see the module docstring).
    max_workers
        Local: the pool's processes. Ray: unused (the cluster's CPUs bound it).
    start_method
        Local: ``spawn`` (a clean interpreter, safe with threads) or ``fork``.
    initializer, initargs
        Local: run in each pool process first (e.g. where to report progress). Ray
        workers are shared between calls, so no initializer runs there.
    """
    if check_kind(kind) == "ray":
        connect_ray()
        yield _RayExecutor()
        return
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=context,
        initializer=initializer,
        initargs=tuple(initargs),
    ) as pool:
        yield _LocalExecutor(pool)


def where() -> str:
    """Where this call runs: the Ray node's id (first 8 characters) in a Ray worker, else
    the host name; with the process id (a sweep's timeline lanes)."""
    import os
    import socket

    node = socket.gethostname()
    try:
        import ray
    except ImportError:
        pass
    else:
        if ray.is_initialized():
            node = ray.get_runtime_context().get_node_id()[:8]
    return f"{node}:{os.getpid()}"
