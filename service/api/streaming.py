"""Driving a chat stream (a sync generator) from async routes, and counting how it ended."""

from __future__ import annotations

from collections.abc import Generator

from starlette.concurrency import run_in_threadpool

from service.api.errors import classify
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
