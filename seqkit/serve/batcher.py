"""Micro-batching: concurrent requests to one model share its calls.

A model answers a batch of 32 sentences in little more time than one, so requests wait in a short queue:
the worker takes the oldest and, for up to `wait` seconds or until the model's batch is full, the later
ones that can share its call (same key: the same decoding options); one call in a worker thread answers
them all and each request gets its slice. The queue is bounded and a request waits at most `timeout`
seconds, so that a burst becomes quick refusals (QueueFull, Timeout) instead of a stall.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

RunBatch = Callable[[Hashable, list], list]  # (key, items) -> one result per item, in order


class QueueFull(Exception):
    """Too many requests are waiting for this model."""


class Timeout(Exception):
    """A request was not answered within the time limit."""


@dataclass(eq=False)  # jobs are compared by identity
class Job:
    """One request: its items (sentences, texts, ...) and the future its answer goes to."""

    key: Hashable
    items: list
    future: asyncio.Future


class Batcher:
    """The queue and worker of one model; `calls` counts model calls, `requests` requests answered."""

    def __init__(self, run_batch: RunBatch, max_batch: int, wait: float, max_queue: int, timeout: float):
        self.run_batch, self.max_batch, self.wait = run_batch, max_batch, wait
        self.max_queue, self.timeout = max_queue, timeout
        self.calls = self.requests = self.items = self.largest = 0
        self._pending: deque[Job] = deque()
        self._arrived = asyncio.Event()
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        """Start the worker on the running event loop."""
        self._worker = asyncio.get_running_loop().create_task(self._work())

    async def stop(self) -> None:
        """Stop the worker; requests still queued get Timeout."""
        if self._worker:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        for job in self._pending:
            if not job.future.done():
                job.future.set_exception(Timeout("the server is shutting down"))
        self._pending.clear()

    def stats(self) -> dict[str, int]:
        """Counters for /health: model calls, requests and items answered, largest batch, queue length."""
        return {"calls": self.calls, "requests": self.requests, "items": self.items,
                "largest_batch": self.largest, "queued": len(self._live())}

    async def submit(self, key: Hashable, items: Sequence[Any]) -> list:
        """One result per item, computed in a batch with other requests of the same key."""
        if not items:
            return []
        if len(self._live()) >= self.max_queue:
            raise QueueFull(f"{self.max_queue} requests are already waiting for this model; retry shortly")
        job = Job(key, list(items), asyncio.get_running_loop().create_future())
        self._pending.append(job)
        self._arrived.set()
        try:
            return await asyncio.wait_for(job.future, self.timeout)  # cancels the job when it times out
        except asyncio.TimeoutError:
            raise Timeout(f"no answer within {self.timeout:g} s; the server is busy, retry or send "
                          "fewer sentences") from None

    def _live(self) -> list[Job]:
        """Queued jobs whose client still waits (a timed-out job's future is cancelled)."""
        return [job for job in self._pending if not job.future.done()]

    def _batchable(self) -> list[Job]:
        """The oldest live job and the later ones of its key that fit in one batch with it."""
        live = self._live()
        if not live:
            return []
        taken: list[Job] = []
        size = 0
        for job in live:
            if job.key == live[0].key and (not taken or size + len(job.items) <= self.max_batch):
                taken.append(job)
                size += len(job.items)
        return taken

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._live():
                self._pending.clear()
                self._arrived.clear()
                await self._arrived.wait()
            deadline = loop.time() + self.wait
            while sum(len(j.items) for j in self._batchable()) < self.max_batch and loop.time() < deadline:
                self._arrived.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), deadline - loop.time())
            jobs = self._batchable()
            self._pending = deque(job for job in self._live() if job not in jobs)
            if jobs:
                await self._answer(jobs)

    async def _answer(self, jobs: list[Job]) -> None:
        """Run one model call for `jobs`; if it fails, each job alone, so that a bad request fails only
        itself."""
        items = [item for job in jobs for item in job.items]
        self.calls += 1
        self.largest = max(self.largest, len(items))
        try:
            results = await asyncio.to_thread(self.run_batch, jobs[0].key, items)
        except Exception as e:  # the client gets it; the app turns it into a JSON error
            if len(jobs) > 1:
                for job in jobs:
                    await self._answer([job])
            elif not jobs[0].future.done():
                jobs[0].future.set_exception(e)
            return
        start = 0
        for job in jobs:
            if not job.future.done():
                job.future.set_result(results[start:start + len(job.items)])
                self.requests += 1
                self.items += len(job.items)
            start += len(job.items)
