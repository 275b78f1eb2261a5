"""Worker threads for big kernels: each has its own Store over the shared memory; calls drop the GIL."""

from __future__ import annotations

import queue
import threading


class ThreadPool:
    """`run(kernel, calls)`: the first call on the calling thread, the others on workers, then wait."""

    def __init__(self, runtime, workers: int) -> None:
        self.runtime = runtime
        self._queues: list[queue.SimpleQueue] = []
        for i in range(workers):
            q: queue.SimpleQueue = queue.SimpleQueue()
            t = threading.Thread(target=self._work, args=(q,), name=f"jaxnc-wasm-{i}", daemon=True)
            t.start()
            self._queues.append(q)

    def _work(self, q: queue.SimpleQueue) -> None:
        while True:
            exe, args, job = q.get()
            try:
                self.runtime.function(exe.module, "kernel", exe.nparams)(*args)
            except BaseException as e:  # noqa: BLE001 - re-raised on the calling thread
                job.error = e
            finally:
                job.done.release()

    def run(self, exe, calls: list[tuple]) -> None:
        job = _Job()
        mine, rest = calls[0], calls[1:]
        for i, args in enumerate(rest):
            self._queues[i % len(self._queues)].put((exe, args, job))
        self.runtime.function(exe.module, "kernel", exe.nparams)(*mine)
        for _ in rest:
            job.done.acquire()
        if job.error is not None:
            raise job.error


class _Job:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Semaphore(0)
        self.error: BaseException | None = None
