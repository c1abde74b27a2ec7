"""Driving a chat stream (a sync generator) from async routes, and counting how it ended."""

from __future__ import annotations

import threading
from collections.abc import Generator

import anyio
from starlette.concurrency import run_in_threadpool

from service.api.errors import classify
from service.api.shutdown import Shutdown
from service.chat import Delta
from service.metrics import Metrics
from service.schemas import ChatResponse

Item = Delta | ChatResponse
Items = Generator[Item, None, None]


def next_or_none(it: Items) -> Item | None:
    return next(it, None)


async def prefetch(it: Items) -> Item | None:
    """Pull the first item before answering 200, so a bad request or a dead model server
    still gets its proper 4xx/5xx JSON error instead of a broken stream."""
    try:
        return await run_in_threadpool(next_or_none, it)
    except BaseException:
        it.close()
        raise


def observed(it: Items, metrics: Metrics) -> Items:
    """The same items; the turn is counted as answered, refused, failed or cancelled."""
    finished = False
    try:
        for item in it:
            if isinstance(item, ChatResponse):
                finished = True
                metrics.chat_answered(item)
            yield item
    except Exception as exc:
        finished = True
        metrics.chat_failed(exc, status=classify(exc)[0])
        raise
    finally:
        it.close()
        if not finished:
            metrics.chat_cancelled()


def final(it: Items) -> ChatResponse:
    """Run a turn to its response (the non-streaming routes)."""
    try:
        for item in it:
            if isinstance(item, ChatResponse):
                return item
    finally:
        it.close()
    raise RuntimeError("chat stream ended without a response")


class GraceExpired(Exception):
    """The shutdown's grace period ended while a stream waited for its next item."""


class Puller:
    """Pulls a stream's items in a worker thread; once a shutdown began, gives up on an item
    still being made when the grace period ends.

    Before a shutdown, an item is awaited to its end, so a client that leaves stops the
    model at its next token. After the grace ends, the item is left to its thread, so the
    stream can end with an error event at once; the generator is closed when it is done.
    """

    def __init__(self, it: Items, shutdown: Shutdown) -> None:
        self.it = it
        self.shutdown = shutdown
        self._idle = threading.Event()
        self._idle.set()

    def _next(self) -> Item | None:
        try:
            return next_or_none(self.it)
        finally:
            self._idle.set()

    async def next(self) -> Item | None:
        if not self.shutdown.draining:
            return await anyio.to_thread.run_sync(next_or_none, self.it)
        result: Item | None = None
        error: BaseException | None = None
        expired = False
        self._idle.clear()
        async with anyio.create_task_group() as tg:

            async def pull() -> None:
                nonlocal result, error
                try:
                    result = await anyio.to_thread.run_sync(self._next, abandon_on_cancel=True)
                except Exception as exc:  # re-raised below, not as an exception group
                    error = exc
                tg.cancel_scope.cancel()

            async def watch() -> None:
                nonlocal expired
                await self.shutdown.wait_expired()
                expired = True
                tg.cancel_scope.cancel()

            tg.start_soon(pull)
            tg.start_soon(watch)
        if error is not None:
            raise error
        if expired and not self._idle.is_set():
            raise GraceExpired
        return result

    def close(self) -> None:
        """Stop the generator now, or when the item left to its thread is done."""
        if self._idle.is_set():
            self.it.close()
        else:
            threading.Thread(target=self._close_when_idle, daemon=True).start()

    def _close_when_idle(self) -> None:
        self._idle.wait()
        self.it.close()
