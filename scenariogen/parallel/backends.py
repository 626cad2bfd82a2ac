"""Where tasks run: the ``local`` backend (this machine) and the ``ray`` backend (a Ray cluster).

A backend is a small, picklable description (which engine, how many workers);
``backend.session(spec)`` opens the engine for one spec and gives a
:class:`Session`: ``submit`` tasks (:mod:`scenariogen.parallel.tasks`), then
``next_result`` returns the result of *some* finished task, in whatever order
they finish. Callers put results back in task order themselves (the ``generate``
driver buffers out-of-order shards and writes them in index order).

Which backend or how many workers never changes a result: a task's numbers
depend only on its rows, the run seed and the global index of its first
scenario.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import multiprocessing
import os
from dataclasses import dataclass
from typing import Any

from ..dsl import schema as S
from ..errors import ParameterError, ScenarioGenError

BACKENDS = ("local", "ray")
#: How the local backend runs tasks when not told: "threads" (one task at a time in this process, the
#: kernel on ``workers`` numba threads) measured faster than "processes" on the 2-core development machine
#: (see benchmarks/test_parallel.py): a spawned worker pays its start-up (imports, kernel cache load) and
#: every shard is pickled across, while the kernel already keeps all cores busy.
LOCAL_MODE_DEFAULT = "threads"
LOCAL_MODES = ("threads", "processes")
#: Ray task retries after a worker process dies (Ray's ``max_retries``); task exceptions are not retried
#: (they are deterministic: the same rows fail the same way).
RAY_MAX_RETRIES = 3


def _max_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


# ------------------------------------------------------------------------ sessions


class Session:
    """An open backend for one spec: submit tasks, collect results as they finish."""

    #: how many tasks the caller should keep submitted at once to keep every worker busy
    window: int = 1

    def submit(self, task: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def next_result(self) -> Any:  # pragma: no cover - interface
        """Block until a submitted task finishes and return its result (tasks finish in any order)."""
        raise NotImplementedError

    @property
    def pending(self) -> int:  # pragma: no cover - interface
        """Tasks submitted whose results were not yet returned."""
        raise NotImplementedError

    def cancel(self) -> None:
        """Forget every submitted task whose result was not returned yet (best effort to stop them)."""

    def close(self) -> None:
        self.cancel()

    def __enter__(self) -> Session:  # noqa: PYI034 (subclasses return themselves, typed as Session)
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _InlineSession(Session):
    """Tasks run one at a time in this process, when their result is asked for; the kernel itself runs
    on ``threads`` numba threads (restored on close)."""

    window = 1

    def __init__(self, spec: S.ScenarioSpec, threads: int | None) -> None:
        import numba

        self.spec = spec
        self.queue: collections.deque = collections.deque()
        self._before = numba.get_num_threads()
        if threads is not None:
            numba.set_num_threads(threads)

    def submit(self, task: Any) -> None:
        self.queue.append(task)

    def next_result(self) -> Any:
        return self.queue.popleft().run(self.spec)

    @property
    def pending(self) -> int:
        return len(self.queue)

    def cancel(self) -> None:
        self.queue.clear()

    def close(self) -> None:
        import numba

        self.cancel()
        numba.set_num_threads(self._before)


_WORKER_SPEC: S.ScenarioSpec | None = None


def _process_init(spec: S.ScenarioSpec, threads: int) -> None:
    global _WORKER_SPEC
    import numba

    _WORKER_SPEC = spec
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def _process_run(task: Any) -> Any:
    if _WORKER_SPEC is None:
        raise RuntimeError("worker process was not initialised with a spec")
    return task.run(_WORKER_SPEC)


class _ProcessSession(Session):
    """Tasks run in ``workers`` spawned processes, one numba thread each. A pool broken by a dying worker
    is rebuilt and its unfinished tasks resubmitted (at most ``retries`` times per run)."""

    def __init__(self, spec: S.ScenarioSpec, workers: int, retries: int = RAY_MAX_RETRIES) -> None:
        self.spec = spec
        self.workers = workers
        self.window = 2 * workers
        self.retries = retries
        self.futures: dict[cf.Future, Any] = {}
        self.pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        # 'spawn': a forked child would inherit numba's thread pool state, which is not fork-safe
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_process_init, initargs=(self.spec, 1))

    def submit(self, task: Any) -> None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            fut = self.pool.submit(_process_run, task)
        except BrokenProcessPool as exc:  # a worker died since the last result: next_result rebuilds
            fut = cf.Future()
            fut.set_exception(exc)
        self.futures[fut] = task

    def next_result(self) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        while True:
            if not self.futures:
                raise RuntimeError("next_result() with no task submitted")
            done, _ = cf.wait(list(self.futures), return_when=cf.FIRST_COMPLETED)
            fut = next(iter(done))
            try:
                result = fut.result()
            except BrokenProcessPool:
                if self.retries <= 0:
                    raise ScenarioGenError("a local worker process died repeatedly; giving up") from None
                self.retries -= 1
                tasks = list(self.futures.values())
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.futures.clear()
                self.pool = self._new_pool()
                for t in tasks:
                    self.submit(t)
                continue
            del self.futures[fut]
            return result

    @property
    def pending(self) -> int:
        return len(self.futures)

    def cancel(self) -> None:
        for f in self.futures:
            f.cancel()
        self.futures.clear()

    def close(self) -> None:
        self.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


#: seconds to wait for a TCP answer at a ``--ray-address`` before giving up
RAY_CONNECT_TIMEOUT = 5.0


def _check_reachable(address: str, timeout: float = RAY_CONNECT_TIMEOUT) -> None:
    """A clear error now if nothing answers at a Ray ``HOST:PORT`` or ``ray://HOST:PORT`` address, or
    at the one ``auto`` stands for (the last cluster started on this machine). Ray itself, given an
    address where no head runs, retries forever and prints a warning every few seconds."""
    import socket

    rest = address.removeprefix("ray://")
    if address == "auto":
        try:  # Ray's own lookup (RAY_ADDRESS, else the address file of the last `ray start`)
            from ray._private.services import canonicalize_bootstrap_address

            rest = canonicalize_bootstrap_address("auto")
        except Exception:  # noqa: BLE001 - a private helper: without it, leave the address to Ray
            return
        if rest is None:
            raise ParameterError("address", "auto: no Ray cluster runs on this machine (start one with "
                                 "`ray start --head`, or give no address for a local instance)")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        if address.startswith("ray://"):
            return
        raise ParameterError("address", f"{address!r}: expected HOST:PORT (`ray start --head` prints it), "
                             "ray://HOST:PORT or auto")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        where = address if rest == address.removeprefix("ray://") else f"{address} ({rest})"
        raise ScenarioGenError(f"cannot join the Ray cluster at {where}: nothing answers there ({why}); "
                               "is a Ray head running? (`ray start --head` prints its address)") from None


def _ray_run(spec: S.ScenarioSpec, task: Any, threads: int) -> Any:
    """Body of the Ray task: run ``task`` with ``threads`` numba threads in this worker process."""
    import numba

    threads = max(1, min(threads, numba.config.NUMBA_NUM_THREADS))
    if numba.get_num_threads() != threads:
        numba.set_num_threads(threads)
    return task.run(spec)


class _RaySession(Session):
    def __init__(self, spec: S.ScenarioSpec, backend: RayBackend) -> None:
        ray = _import_ray()
        self.ray = ray
        self.started = False
        if not ray.is_initialized():
            kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if backend.address is None:
                # "local": always a new instance, never a cluster that `ray start` left running here
                kw.update(address="local", num_cpus=backend.workers or os.cpu_count() or 1)
            else:
                _check_reachable(backend.address)
                kw["address"] = backend.address
            try:
                ray.init(**kw)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = backend.address or "a local Ray instance"
                why = str(exc).strip() or f"{type(exc).__name__}, no reason given (is a Ray head running there?)"
                raise ScenarioGenError(f"cannot start or join {where}: {why}") from None
            self.started = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = backend.workers or max(1, cpus)
        # at most ``workers`` tasks at once (the caller submits the next one as soon as a result is in)
        self.window = self.workers
        self.max_retries = backend.max_retries
        self.spec_ref = ray.put(spec)
        self.remote = ray.remote(_ray_run).options(num_cpus=1, max_retries=backend.max_retries,
                                                   retry_exceptions=False)
        self.refs: dict[Any, Any] = {}

    def submit(self, task: Any) -> None:
        self.refs[self.remote.remote(self.spec_ref, task, 1)] = task

    def next_result(self) -> Any:
        ray = self.ray
        if not self.refs:
            raise RuntimeError("next_result() with no task submitted")
        ready, _ = ray.wait(list(self.refs), num_returns=1)
        ref = ready[0]
        task = self.refs.pop(ref)
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if getattr(exc, "cause", None) is not None else exc
            if isinstance(cause, ScenarioGenError):
                raise ScenarioGenError(str(cause)) from None
            raise ScenarioGenError(f"task {task.k} failed on a Ray worker: {type(cause).__name__}: {cause}") from None
        except ray.exceptions.RayError as exc:
            raise ScenarioGenError(f"task {task.k} failed on the Ray cluster after {self.max_retries} retries: "
                                   f"{type(exc).__name__}: {exc}") from None

    @property
    def pending(self) -> int:
        return len(self.refs)

    def cancel(self) -> None:
        for ref in self.refs:
            self.ray.cancel(ref)  # a no-op for a task that already finished
        self.refs.clear()

    def close(self) -> None:
        self.cancel()
        if self.started:
            self.ray.shutdown()


# ------------------------------------------------------------------------ backends


@dataclass(frozen=True)
class LocalBackend:
    """This machine: ``mode`` "threads" runs tasks in this process with ``workers`` numba threads (default:
    all of numba's threads); "processes" runs them in ``workers`` spawned processes (default: all cores)."""

    workers: int | None = None
    mode: str = LOCAL_MODE_DEFAULT
    name: str = "local"

    def __post_init__(self) -> None:
        if self.mode not in LOCAL_MODES:
            raise ScenarioGenError(f"unknown local mode {self.mode!r} (modes: {', '.join(LOCAL_MODES)})")
        if self.workers is not None:
            top = _max_threads() if self.mode == "threads" else (os.cpu_count() or 1) * 4
            if not 1 <= self.workers <= top:
                raise ParameterError("workers", f"must be between 1 and {top}, got {self.workers}")

    @property
    def parallelism(self) -> int:
        """Tasks (threads) working at once."""
        if self.workers is not None:
            return self.workers
        return _max_threads() if self.mode == "threads" else (os.cpu_count() or 1)

    def session(self, spec: S.ScenarioSpec) -> Session:
        if self.mode == "threads":
            return _InlineSession(spec, self.workers)
        return _ProcessSession(spec, self.parallelism)


@dataclass(frozen=True)
class RayBackend:
    """A Ray cluster: ``address`` joins a running one (``ray start --head`` prints it), None starts a local
    instance with ``workers`` CPUs (default: all cores) or reuses the one this process already holds.
    ``workers`` also caps the tasks running at once (default: the cluster's CPUs)."""

    workers: int | None = None
    address: str | None = None
    max_retries: int = RAY_MAX_RETRIES
    name: str = "ray"

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ParameterError("workers", f"must be a positive number, got {self.workers}")
        if self.max_retries < 0:
            raise ParameterError("max_retries", f"must be >= 0, got {self.max_retries}")

    def session(self, spec: S.ScenarioSpec) -> Session:
        return _RaySession(spec, self)


Backend = LocalBackend | RayBackend


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ScenarioGenError("the ray backend needs Ray: pip install 'scenariogen[ray]'") from None
    return ray


def make_backend(name: str = "local", workers: int | None = None, address: str | None = None) -> Backend:
    """The backend called ``name`` ("local" or "ray"), checked before anything runs."""
    if name not in BACKENDS:
        raise ParameterError("backend", f"{name!r} is unknown (backends: {', '.join(BACKENDS)})")
    if name == "local":
        if address is not None:
            raise ParameterError("address", "needs the ray backend")
        return LocalBackend(workers=workers)
    _import_ray()
    return RayBackend(workers=workers, address=address)


__all__ = [
    "BACKENDS",
    "LOCAL_MODES",
    "LOCAL_MODE_DEFAULT",
    "Backend",
    "LocalBackend",
    "RayBackend",
    "Session",
    "make_backend",
]
